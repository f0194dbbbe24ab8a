"""Parser for Zeek logs: JSON records and the typed rows of the TSV reader.

Both shapes arrive as flat dicts with Zeek's dotted keys (``id.orig_h``) and
``_path`` (JSON streaming logs write it; the TSV reader sets it from ``#path``).
Plain Zeek JSON has no ``_path``: the log is the one whose fields the record's
keys are (:func:`ingest.parsers.zeek_logs.pathless_log`), else a known log named in the file name
(``ParseContext.path_hint``), else ``unknown`` (``zeek:unknown``).
Records re-shaped with nested objects (``"id": {"orig_h": ...}``, as some
shippers write them) are read as the dotted keys Zeek itself writes.

Rules, so that the TSV and JSON copies of one log give identical events:

* every Zeek field is kept as ``zeek.<name>`` (``_path``/``_write_ts`` dropped);
* times become epoch floats: ``ts`` and any ISO-8601 ``...Z`` string value
  (brim's JSON writes ``time`` fields that way, ``1970-01-01T00:00:00.000000Z``
  for zero); a numeric ``ts`` of :data:`MILLIS_FROM` or more is milliseconds
  (``LogAscii::json_timestamps=JSON::TS_MILLIS``), and the other ``time``
  fields of such a log stay as written (JSON does not say which numbers are
  times), and
* floats are rounded to microseconds, the precision of Zeek's ASCII writer.

On top of the ``zeek.*`` fields, conn, dns, http, files, ssl, x509, dhcp and
notice logs set the normalised fields of ``docs/fields.md``; every log maps
``id.orig_h/p`` and ``id.resp_h/p`` to ``source.*``/``destination.*``.

Documented choices:

* ``files``: ``source.ip`` is the host that sent the file, ``destination.ip``
  the one that received it (``tx_hosts``/``rx_hosts``; for Zeek >= 5 logs with
  ``id.*`` and ``is_orig``, the connection side that sent it).
* ``http`` without a ``host`` header uses the responder address (and its port
  when not 80) as the URL host; when Zeek did not see the request line
  (``uri`` unset), ``url.full`` is the server origin ``http://host[:port]/``.
  A ``CONNECT`` names no resource but the tunnel's far end (``uri`` is
  ``host:port``): ``url.full`` is that origin, ``https://host/`` (browsers
  tunnel through a proxy only for TLS) unless the port is 80
  (``http://host/``), ``url.original`` the target as written, and no
  ``url.path``; the responder is the proxy, not the target.
* A DNS query name or TLS SNI that is not a valid domain name stays in
  ``zeek.query``/``zeek.server_name`` but gets no normalised domain field.
* Sensor events have no endpoint: ``Event.host`` is ``None``.  When a record
  proves which machine sent it (a successful Kerberos request by a machine
  account ``HOST$``), ``source.hostname`` names it, so the IP -> host map can
  learn ``source.ip`` = that host.  NTLM workstation names are client-supplied
  and unauthenticated, so they are not used that way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from graphsiem.model import Event
from ingest.normalize import (
    canonical_ip,
    digest_fields,
    epoch_seconds,
    normalize_host,
    normalize_url,
    parse_timestamp,
)
from ingest.parsers.base import ParseContext, ParseError, Parser, Record
from ingest.parsers.sensor_fields import (
    Mapper,
    answer_value,
    domain_or_none,
    ip_field,
    port_field,
    request_url,
    sensor_event,
    set_field,
    set_server_name,
)
from ingest.parsers.syslog import windows_events_in_zeek_syslog
from ingest.parsers.zeek_logs import claimed_layout, pathless_log

SOURCE = "zeek"
LABEL = "Zeek"

# "zeek.<key>" for every key seen, interned so no record builds the same string
# again; the keys that are not fields map to "".
_FIELD_NAMES: dict[str, str] = {"_path": "", "_write_ts": "", "ts": ""}


_NAME_CACHE_LIMIT = 65536


def _field_name(key: str) -> str:
    name = "zeek." + key
    if len(_FIELD_NAMES) < _NAME_CACHE_LIMIT:  # bounded: keys are attacker-controlled
        _FIELD_NAMES[key] = name
    return name


def _iso_to_epoch(value: str) -> float:
    try:
        # Fast path: Python >= 3.11 reads Zeek's "...T..:..:..ffffffZ" directly.
        moment = _fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        # zone-less or unusual shapes: the shared, documented rules
        return round(parse_timestamp(value), 6)
    # An aware datetime's timestamp() is its whole microseconds / 10**6,
    # correctly rounded, which round(_, 6) returns unchanged (see round_micro);
    # skipping that round saves a decimal conversion per time value.
    return moment.timestamp()


_fromisoformat = datetime.fromisoformat


def round_micro(value: float) -> float:
    """``round(value, 6)``, cheaper for a value that is already whole microseconds.

    A double ``x`` that is the nearest double to ``k / 10**6`` for an integer
    ``k`` (the value of a time read from text with at most six decimals) comes
    back from ``round(x, 6)`` unchanged: below 2**33 s, ``x`` lies within half
    an ulp (< 0.5 us) of ``k / 10**6``, which is therefore the six-place
    decimal ``round`` converts back to ``x``; above, doubles are coarser than
    a microsecond and any six-place decimal within 0.5 us converts back to
    ``x``.  ``k / 1e6`` (one correctly rounded division) tests that cheaply.

    >>> round_micro(1521911725.396014), round_micro(0.000431060791015625)
    (1521911725.396014, 0.000431)
    """
    if -1e15 < value < 1e15:  # also false for NaN
        if round(value * 1e6) / 1e6 == value:
            return value
    return round(value, 6)


def _normal_text(value: str) -> str | float:
    # brim's JSON writes Zeek ``time`` values as ISO-8601 with a Z
    if len(value) >= 20 and value[-1] == "Z" and value[10] == "T" and value[4] == "-":
        try:
            return _iso_to_epoch(value)
        except (ValueError, OverflowError):
            return value
    return value


def _normal_value(value: Any) -> Any:
    """One Zeek value in the shared normal form (times as epoch, floats to microseconds)."""
    kind = type(value)
    if kind is float:
        return round(value, 6)
    if kind is str:
        return _normal_text(value)
    if kind is list:
        return [_normal_value(item) for item in value]
    return value


def _zeek_fields(record: dict[str, Any]) -> dict[str, Any] | None:
    """``zeek.<key>`` fields of a flat record; ``None`` when a value is a nested object."""
    fields: dict[str, Any] = {}
    names = _FIELD_NAMES
    for key, value in record.items():
        # the hot loop of Zeek ingest: _normal_value inlined for the common types
        try:
            name = names[key]  # a subscript is cheaper than .get() for the usual hit
        except KeyError:
            name = _field_name(key)
        if not name:
            continue
        kind = type(value)
        if kind is str:
            if len(value) >= 20 and value[-1] == "Z":
                value = _normal_text(value)
        elif kind is not int:
            if kind is float:
                value = round(value, 6)
            elif kind is list:
                value = _normal_value(value)
            elif kind is dict:
                return None
        fields[name] = value
    return fields


def _dotted(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"id": {"orig_h": x}}`` -> ``{"id.orig_h": x}``, as Zeek itself writes it."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(_dotted(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


MILLIS_FROM = 1e11
"""A numeric ``ts`` this large or larger is milliseconds (:func:`ingest.normalize.epoch_seconds`).

As seconds it would be after the year 5138; as milliseconds it is after
1973-03-03.  Any ``ts`` in seconds an ingest accepts (up to a day past its
clock) is below it, so a seconds value is never read as milliseconds."""


def _event_time(value: Any) -> float:
    kind = type(value)
    if kind is str:  # JSON logs (ISO-8601); the checks below, in the order of the common cases
        try:
            return _iso_to_epoch(value)
        except (ValueError, OverflowError) as error:
            raise ParseError(f"Zeek ts: {error}") from None
    if kind is float and -MILLIS_FROM < value < MILLIS_FROM:  # TSV rows and epoch-time JSON
        return round_micro(value)
    if isinstance(value, bool) or value is None:
        raise ParseError(f"Zeek record has no usable ts ({value!r})")
    if isinstance(value, int | float):
        # LogAscii::json_timestamps=JSON::TS_MILLIS writes integer milliseconds;
        # epoch_seconds tells them by magnitude (module docstring)
        try:
            return round(epoch_seconds(value), 6)
        except ValueError as error:
            raise ParseError(f"Zeek ts: {error}") from None
    if isinstance(value, str):
        try:
            return _iso_to_epoch(value)
        except (ValueError, OverflowError) as error:
            raise ParseError(f"Zeek ts: {error}") from None
    raise ParseError(f"Zeek ts has type {type(value).__name__}")


def _set_connection(record: dict[str, Any], fields: dict[str, Any]) -> None:
    """``source.*``/``destination.*`` from ``id.orig_h/p`` and ``id.resp_h/p``.

    The same as ``set_field(fields, "source.ip", ip_field(record, "id.orig_h", LABEL))``
    and so on, with the calls spared for absent keys and plain int ports (every record).
    """
    get = record.get
    for ip_key, ip_name, port_key, port_name in _CONNECTION:
        if get(ip_key) is not None:
            ip = ip_field(record, ip_key, LABEL)
            if ip:
                fields[ip_name] = ip
        port = get(port_key)
        if port is not None:
            fields[port_name] = port if port.__class__ is int else port_field(record, port_key, LABEL)


_CONNECTION = (
    ("id.orig_h", "source.ip", "id.orig_p", "source.port"),
    ("id.resp_h", "destination.ip", "id.resp_p", "destination.port"),
)
_KINDS: dict[str, str] = {}
_ABSENT = object()


def _lower(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) and value else None


# -- per-log mappings ---------------------------------------------------------


def _map_conn(record: dict[str, Any], fields: dict[str, Any]) -> None:
    set_field(fields, "network.transport", _lower(record.get("proto")))
    set_field(fields, "network.protocol", _lower(record.get("service")))


def _map_dns(record: dict[str, Any], fields: dict[str, Any]) -> None:
    set_field(fields, "network.transport", _lower(record.get("proto")))
    fields["network.protocol"] = "dns"
    set_field(fields, "dns.question.name", domain_or_none(record.get("query")))
    set_field(fields, "dns.rcode", record.get("rcode_name"))
    answers = record.get("answers")
    if isinstance(answers, list) and answers:
        fields["dns.answers"] = [answer_value(answer) for answer in answers]


def _http_host(fields: dict[str, Any], name: str | None) -> str | None:
    """The URL's host: ``name`` (the ``host`` header's), else the responder's IP and port."""
    if name is not None:
        return name
    ip = fields.get("destination.ip")
    if ip is None:
        return None
    port = fields.get("destination.port")
    literal = f"[{ip}]" if ":" in ip else ip
    return literal if port in (None, 80) else f"{literal}:{port}"


def tunnel_url(target: str) -> str | None:
    """The origin URL of an HTTP ``CONNECT host:port`` tunnel, or ``None`` when ``target`` names none.

    A ``CONNECT`` requests no resource: its target is the tunnel's far end.
    Browsers tunnel through a proxy only for TLS, so the scheme is ``https``
    unless the port is 80.

    >>> tunnel_url("c2.evil-example.com:443"), tunnel_url("[2001:db8::1]:8443"), tunnel_url("ws.example:80")
    ('https://c2.evil-example.com/', 'https://[2001:db8::1]:8443/', 'http://ws.example/')
    >>> tunnel_url("c2.example:https") is None
    True
    """
    try:
        parts = urlsplit("//" + target)
        host, port = parts.hostname, parts.port
        if not host:
            return None
        literal = f"[{host}]" if ":" in host else host
        return normalize_url("/", host=literal if port is None else f"{literal}:{port}",
                             scheme="http" if port == 80 else "https")
    except ValueError:  # a port that is no number, a bracket left open, a host that is no name
        return None


def _map_http(record: dict[str, Any], fields: dict[str, Any]) -> None:
    fields["network.protocol"] = "http"
    set_field(fields, "http.request.method", record.get("method"))
    set_field(fields, "http.response.status_code", record.get("status_code"))
    set_field(fields, "user_agent.original", record.get("user_agent"))
    uri = record.get("uri")
    if not isinstance(uri, str) or not uri:
        uri = "/"
    is_tunnel = record.get("method") == "CONNECT" and "/" not in uri
    if is_tunnel:
        fields["url.original"] = uri
        url = tunnel_url(uri)
    else:
        url = request_url(fields, uri, record.get("host"), lambda name: _http_host(fields, name))
    if url is not None:
        fields["url.full"] = url
        parts = urlsplit(url)
        if not is_tunnel:
            fields["url.path"] = parts.path
        domain = domain_or_none(parts.hostname)
        if domain is not None:
            fields["url.domain"] = domain
            fields["destination.domain"] = domain


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _first_ip(value: Any) -> str | None:
    if isinstance(value, list) and value:
        return canonical_ip(str(value[0]), strict=False)
    return None


_DIGESTS = ("sha256", "sha1", "md5")


def _map_files(record: dict[str, Any], fields: dict[str, Any]) -> None:
    fields.update(digest_fields("file.", [(algorithm, record.get(algorithm)) for algorithm in _DIGESTS]))
    set_field(fields, "file.mime_type", record.get("mime_type"))
    filename = record.get("filename")
    if isinstance(filename, str) and filename:
        fields["file.path"] = filename
        fields["file.name"] = _basename(filename)
    size = record.get("total_bytes", record.get("seen_bytes"))
    set_field(fields, "file.size", size)
    set_field(fields, "network.protocol", _lower(record.get("source")))
    sender, receiver = _first_ip(record.get("tx_hosts")), _first_ip(record.get("rx_hosts"))
    is_orig = record.get("is_orig")
    if sender is None and receiver is None:
        # Zeek >= 5: the connection's sides; is_orig says whether the originator sent it.
        orig, resp = fields.get("source.ip"), fields.get("destination.ip")
        sender, receiver = (orig, resp) if is_orig else (resp, orig)
    if isinstance(is_orig, bool):
        # the connection's client: the receiver of a download (the responder sent it),
        # the sender of an upload; source and destination stay sender and receiver
        set_field(fields, "client.ip", sender if is_orig else receiver)
    # the ports belong to the connection's sides, not to sender and receiver
    for key in ("source.ip", "source.port", "destination.ip", "destination.port"):
        fields.pop(key, None)
    set_field(fields, "source.ip", sender)
    set_field(fields, "destination.ip", receiver)


def _map_ssl(record: dict[str, Any], fields: dict[str, Any]) -> None:
    fields["network.protocol"] = "tls"
    set_server_name(fields, record.get("server_name"))
    set_field(fields, "tls.ja3", _lower(record.get("ja3")))


def _map_x509(record: dict[str, Any], fields: dict[str, Any]) -> None:
    set_field(fields, "x509.subject", record.get("certificate.subject"))
    set_field(fields, "x509.issuer", record.get("certificate.issuer"))
    san = record.get("san.dns")
    if isinstance(san, list) and san:
        fields["x509.san"] = [domain_or_none(name) or name for name in san]


def _map_dhcp(record: dict[str, Any], fields: dict[str, Any]) -> None:
    assigned = record.get("assigned_addr", record.get("assigned_ip"))
    if assigned is not None:
        fields["dhcp.assigned_ip"] = canonical_ip(str(assigned), strict=False)
    types = record.get("msg_types")
    if isinstance(types, list):
        # the IP map learns a lease only from an exchange the server ACKed: Zeek
        # fills assigned_addr from an OFFER as well (ingest.ipmap)
        fields["dhcp.message_types"] = [str(kind).upper() for kind in types]
    host_name = record.get("host_name") or record.get("client_fqdn")
    if isinstance(host_name, str):
        set_field(fields, "dhcp.hostname", normalize_host(host_name))
    set_field(fields, "dhcp.mac", _lower(record.get("mac")))
    lease = fields.get("zeek.lease_time")
    if isinstance(lease, int | float) and not isinstance(lease, bool):  # an interval; a list or text is no length
        fields["dhcp.lease_seconds"] = lease
    if "source.ip" not in fields:
        set_field(fields, "source.ip", ip_field(record, "client_addr", LABEL))
        set_field(fields, "destination.ip", ip_field(record, "server_addr", LABEL))


def _map_notice(record: dict[str, Any], fields: dict[str, Any]) -> None:
    set_field(fields, "rule.name", record.get("note"))
    set_field(fields, "message", record.get("msg"))
    if "source.ip" not in fields:
        set_field(fields, "source.ip", ip_field(record, "src", LABEL))
    if "destination.ip" not in fields:
        set_field(fields, "destination.ip", ip_field(record, "dst", LABEL))
        set_field(fields, "destination.port", port_field(record, "p", LABEL))
    set_field(fields, "network.transport", _lower(record.get("proto")))


def _map_syslog(record: dict[str, Any], fields: dict[str, Any]) -> None:
    # set_field and _lower inlined: syslog is the largest log of the sample corpus
    get = record.get
    if (value := get("message")) is not None and value != "":
        fields["message"] = value
    if (value := get("facility")) is not None and value != "":
        fields["log.syslog.facility"] = value
    if (value := get("severity")) is not None and value != "":
        fields["log.syslog.severity"] = value
    if isinstance(value := get("proto"), str) and value:
        fields["network.transport"] = value.lower()


def _map_kerberos(record: dict[str, Any], fields: dict[str, Any]) -> None:
    # A successful request by a machine account ("MKT01$/PANDALAB.COM") proves the
    # originator holds that computer's secret: the IP -> host evidence of a
    # network without DHCP logs.  Failed requests prove nothing.
    client = record.get("client")
    if record.get("success") is not True or not isinstance(client, str):
        return
    principal = client.split("/", 1)[0].split("@", 1)[0]
    if len(principal) > 1 and principal.endswith("$"):
        set_field(fields, "source.hostname", normalize_host(principal))


def _map_software(record: dict[str, Any], fields: dict[str, Any]) -> None:
    # software.log names the host running the software in ``host``.
    if "source.ip" not in fields:
        set_field(fields, "source.ip", ip_field(record, "host", LABEL))


_MAPPERS: dict[str, Mapper] = {
    "conn": _map_conn,
    "dns": _map_dns,
    "http": _map_http,
    "files": _map_files,
    "ssl": _map_ssl,
    "x509": _map_x509,
    "dhcp": _map_dhcp,
    "notice": _map_notice,
    "kerberos": _map_kerberos,
    "syslog": _map_syslog,
    "software": _map_software,
}


class ZeekParser:
    """Zeek JSON records and Zeek TSV reader rows -> ``zeek:<log>`` events."""

    name = SOURCE

    def sniff(self, record: Record) -> bool:
        """A dict with ``_path``; or with ``ts`` and a key only Zeek writes, or with ``ts`` and one log's own keys.

        Keys only Zeek writes are ``id.orig_h``, ``id.resp_h``, ``fuid``, and
        ``uid`` beside a connection (``id.*`` flat, or nested as
        ``"id": {"orig_h": ...}``); ``uid`` alone is an application's user id
        as often.  Without them, plain Zeek JSON of logs without a connection
        (x509, pe, software, dhcp...) is claimed when its keys are one log's
        fields with two only that log has (:func:`ingest.parsers.zeek_logs.claimed_layout`, decided
        once per key layout): ``{"ts", "level", "message"}`` or
        ``{"ts", "user", "password", "command"}`` is not Zeek.
        """
        if not isinstance(record, dict):
            return False
        if "_path" in record:
            return True
        if "ts" not in record:
            return False
        if "id.orig_h" in record or "id.resp_h" in record or "fuid" in record:
            return True
        if "uid" in record:
            nested = record.get("id")
            if isinstance(nested, dict) and ("orig_h" in nested or "resp_h" in nested):
                return True
        return claimed_layout(record)

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """One event per record; :class:`ParseError` names what is wrong."""
        if not isinstance(record, dict):
            raise ParseError("a Zeek record must be a JSON object")
        path = record.get("_path")
        ts = record.get("ts", _ABSENT)
        if ts is _ABSENT:
            raise ParseError(f"Zeek {path if isinstance(path, str) and path else 'log'} record without ts")
        ts = _event_time(ts)
        raw = record
        fields = _zeek_fields(record)
        if fields is None:  # nested objects (Filebeat-style "id": {...}): Zeek's dotted keys first
            record = _dotted(record)
            fields = _zeek_fields(record)
            assert fields is not None
        if not isinstance(path, str) or not path:
            path = pathless_log(record, context.path_hint)
        _set_connection(record, fields)
        kind = _KINDS.get(path)
        if kind is None:
            kind = f"zeek:{path}"
            if len(_KINDS) < _NAME_CACHE_LIMIT:  # bounded: paths are attacker-controlled
                _KINDS[path] = kind
        yield sensor_event(SOURCE, kind, ts, record, fields, _MAPPERS.get(path), context, raw)
        if path == "syslog":
            # Zeek's syslog.log carries Windows events as RFC 5424 "@cee:" JSON:
            # the endpoint event joins the graph like an endpoint log would.
            yield from windows_events_in_zeek_syslog(record, context)


def parsers() -> list[Parser]:
    """The parsers this module provides, for the default registry."""
    return [ZeekParser()]
