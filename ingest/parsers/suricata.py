"""Parser for Suricata EVE JSON records (NDJSON lines or elements of a JSON array).

Every record gives one ``suricata:<event_type>`` event.  The five-tuple maps to
``source.*``/``destination.*``/``network.transport``; ``app_proto`` to
``network.protocol``; the event's own sub-objects (``flow``, ``tcp``, ``alert``,
``http``, ...) are kept flattened as ``suricata.<object>.<key>`` (scalars and
lists of scalars; the nested rest stays in ``Event.raw``).  flow, dns (EVE v1,
v2 ``answers``/``grouped`` and v3 ``queries``), http, tls, fileinfo, alert,
anomaly and dhcp records also set the normalised fields of ``docs/fields.md``
(dhcp: those of Zeek's ``dhcp.log``, so the IP -> host map learns leases from
either sensor; see :func:`_map_dhcp`).

Documented choices:

* Event time is ``timestamp``, except for ``flow`` records: Suricata writes
  them when the flow ends (and some sensors stamp them with the capture
  start), so ``flow.start`` is the time of the connection itself.
* A ``CONNECT`` (``url`` ``host:port``) gets the tunnel's origin as
  ``url.full`` and no ``url.path``, as for Zeek (``ingest.parsers.zeek.tunnel_url``).
* ``http.hostname`` is the URL host as the client wrote it.  It can differ from
  ``dest_ip`` (NAT: a public IP in ``hostname``, a private ``dest_ip``):
  ``url.full`` uses the hostname as given, ``destination.domain`` is set only
  when it is a name, never an IP.  Without a hostname the URL host is the
  server's IP (and ``http_port``, else the server's port, when not the default).
* A non-standard top-level ``host`` (Slips names its sensor there) is kept as
  ``suricata.host``; it is not the endpoint, so ``Event.host`` is ``None``.
* ``source.*``/``destination.*`` are the record's own tuple, i.e. the packet's
  direction for alerts and fileinfo: a server-to-client packet has the server
  as its source.  Records with app-layer data (http, tls, dns, fileinfo, and
  alerts carrying them) also name the flow's sides, ``client.ip``/``.port``
  and ``server.ip``/``.port``; see :func:`server_is_source` for how.  The URL
  port is ``http.http_port``, else the server's port (never the client's
  ephemeral one), and the server's name from ``hostname`` or SNI is
  ``destination.domain`` when the destination is the server, ``source.domain``
  when the source is.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from graphsiem.model import Event
from ingest.normalize import canonical_ip, digest_fields, normalize_host, parse_timestamp
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
from ingest.parsers.zeek import tunnel_url

SOURCE = "suricata"
LABEL = "EVE"

_FIVE_TUPLE = frozenset(
    {"timestamp", "event_type", "src_ip", "src_port", "dest_ip", "dest_port", "proto"}
)
_MAX_DEPTH = 3


def _time(value: Any, what: str) -> float:
    if not isinstance(value, str):
        # EVE always writes ISO-8601 text; a number here is no EVE time.
        raise ParseError(f"EVE {what} is not an ISO-8601 string ({str(value)[:32]!r})")
    try:
        # Python >= 3.11 reads EVE's "+0200" offsets directly; fast path.
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is not None:
        return moment.timestamp()
    try:
        return parse_timestamp(value)
    except (ValueError, OverflowError) as error:
        raise ParseError(f"EVE {what}: {error}") from None


_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})
# "<prefix>.<key>" names, interned: EVE repeats the same few hundred keys.
_NAMES: dict[tuple[str, str], str] = {}
_NAME_CACHE_LIMIT = 65536


def _flatten(prefix: str, value: dict[str, Any], fields: dict[str, Any], depth: int) -> None:
    scalar_types = _SCALAR_TYPES
    for key, item in value.items():
        name = _NAMES.get((prefix, key))
        if name is None:
            name = f"{prefix}.{key}"
            if len(_NAMES) < _NAME_CACHE_LIMIT:  # bounded: keys are attacker-controlled
                _NAMES[(prefix, key)] = name
        kind = type(item)
        if kind in scalar_types:
            fields[name] = item
        elif kind is dict:
            if depth < _MAX_DEPTH:
                _flatten(name, item, fields, depth + 1)
        elif kind is list and all(type(x) in scalar_types and x is not None for x in item):
            fields[name] = item


# -- per-type mappings --------------------------------------------------------


def _map_dns(record: dict[str, Any], fields: dict[str, Any]) -> None:
    dns = record.get("dns")
    if not isinstance(dns, dict):
        return
    fields.setdefault("network.protocol", "dns")
    _set_sides(record, fields)
    rrname = dns.get("rrname")
    # EVE v3 records ("queries") and alert metadata ("query") list the questions
    queries = dns.get("queries", dns.get("query"))
    if rrname is None and isinstance(queries, list) and queries and isinstance(queries[0], dict):
        rrname = queries[0].get("rrname")
    set_field(fields, "dns.question.name", domain_or_none(rrname))
    set_field(fields, "dns.rcode", dns.get("rcode"))
    # the question's type: a v2/v3 record's own rrtype (v1 answers carry their answer's instead)
    qtype = dns.get("rrtype") if dns.get("version") is not None or dns.get("type") == "query" else None
    if qtype is None and isinstance(queries, list) and queries and isinstance(queries[0], dict):
        qtype = queries[0].get("rrtype")
    set_field(fields, "dns.question.type", _record_type(qtype))
    answers: list[Any] = []
    types: list[str | None] = []  # each answer's record type, so that only a CNAME extends a chain
    if isinstance(dns.get("answers"), list):  # v2 detailed, v3
        for answer in dns["answers"]:
            if isinstance(answer, dict) and "rdata" in answer:
                answers.append(answer["rdata"])
                types.append(_record_type(answer.get("rrtype")))
    elif isinstance(dns.get("grouped"), dict):  # v2 grouped only: the record type is the group's key
        for kind, values in dns["grouped"].items():
            if isinstance(values, list):
                answers.extend(values)
                types.extend([_record_type(kind)] * len(values))
    elif dns.get("type") == "answer" and "rdata" in dns:  # v1: one answer per record
        answers = [dns["rdata"]]
        types = [_record_type(dns.get("rrtype"))]
    if answers:
        fields["dns.answers"] = [answer_value(answer) for answer in answers]
        fields["dns.answer_types"] = types


def _record_type(value: Any) -> str | None:
    """A DNS record type as EVE names it (``CNAME``, ``A``), upper case; None when not text."""
    return value.upper() if isinstance(value, str) and value else None


# Port classes for telling the server from the client when a record says nothing
# of the flow's direction: well-known (< 1024), registered below the ephemeral
# range, ephemeral (>= 32768: Linux's default range starts there, IANA's and
# Windows' at 49152).
_WELL_KNOWN_BELOW = 1024
_EPHEMERAL_FROM = 32768


def _port_class(port: int) -> int:
    return 0 if port < _WELL_KNOWN_BELOW else 1 if port < _EPHEMERAL_FROM else 2


def server_is_source(record: dict[str, Any], fields: dict[str, Any]) -> bool:
    """Whether the record's source is the server of its flow (a server-to-client packet).

    In order, the first that answers:

    1. the ``flow`` object's own ``src_ip``/``src_port`` (Suricata >= 7 writes the
       flow's client side there on alerts): the source is the server when the
       flow's source is the record's destination;
    2. ``direction`` (top level, Suricata >= 7, or ``alert.direction``):
       ``to_client`` means the source is the server, ``to_server`` the destination;
    3. the ports: the side whose port is of a lower class (well-known < 1024 <
       registered < 32768 <= ephemeral) is the server; ports of one class leave
       the record's own direction (the destination is the server).

    Examples
    --------
    >>> server_is_source({}, {"source.port": 80, "destination.port": 50317})
    True
    >>> server_is_source({"direction": "to_server"}, {"source.port": 80, "destination.port": 50317})
    False
    """
    flow = record.get("flow")
    if type(flow) is dict and "src_ip" in flow:
        flow_src, flow_port = flow.get("src_ip"), flow.get("src_port")
        if flow_src == record.get("src_ip") and flow_port in (None, record.get("src_port")):
            return False
        if flow_src == record.get("dest_ip") and flow_port in (None, record.get("dest_port")):
            return True
    direction = record.get("direction")
    if direction is None:
        alert = record.get("alert")
        if type(alert) is dict:
            direction = alert.get("direction")
    if direction == "to_client":
        return True
    if direction == "to_server":
        return False
    src_port, dest_port = fields.get("source.port"), fields.get("destination.port")
    if src_port and dest_port:  # 0 (ICMP, or no port) tells nothing
        return _port_class(src_port) < _port_class(dest_port)
    return False


_SIDES = (
    ("client.ip", "source.ip", "client.port", "source.port"),
    ("server.ip", "destination.ip", "server.port", "destination.port"),
)
_SIDES_REVERSED = (
    ("client.ip", "destination.ip", "client.port", "destination.port"),
    ("server.ip", "source.ip", "server.port", "source.port"),
)


def _set_sides(record: dict[str, Any], fields: dict[str, Any]) -> bool:
    """``client.*``/``server.*`` from the tuple; True when the server is the source.

    An alert carrying two app-layer objects sets them twice, to the same values.
    """
    if "source.ip" not in fields or "destination.ip" not in fields:
        return False
    is_reversed = server_is_source(record, fields)
    for ip_name, ip_key, port_name, port_key in _SIDES_REVERSED if is_reversed else _SIDES:
        fields[ip_name] = fields[ip_key]
        port = fields.get(port_key)
        if port is not None:
            fields[port_name] = port
    return is_reversed


def _server_domain(fields: dict[str, Any], is_reversed: bool) -> None:
    """The server's name belongs to the source when the source is the server."""
    if is_reversed and "destination.domain" in fields:
        fields["source.domain"] = fields.pop("destination.domain")


def _url_host(http: dict[str, Any], fields: dict[str, Any], name: str | None) -> str | None:
    """The URL's host and port: ``name`` (the Host header's), else the server's IP."""
    host = name if name is not None else fields.get("server.ip")
    if host is None:
        return None
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    # The Host header's port, else the server's: the client's ephemeral port
    # would give every client its own URL.
    port = http.get("http_port")
    if not isinstance(port, int):
        port = fields.get("server.port")
    if isinstance(port, int):
        # normalize_url drops the scheme's default port again
        host = f"{host}:{port}"
    return host


def _map_http(record: dict[str, Any], fields: dict[str, Any]) -> None:
    http = record.get("http")
    if not isinstance(http, dict):
        return
    fields.setdefault("network.protocol", "http")
    is_reversed = _set_sides(record, fields)
    set_field(fields, "http.request.method", http.get("http_method"))
    set_field(fields, "http.response.status_code", http.get("status"))
    set_field(fields, "user_agent.original", http.get("http_user_agent"))
    server_domain = "source.domain" if is_reversed else "destination.domain"
    set_field(fields, server_domain, domain_or_none(http.get("hostname")))
    url = http.get("url")
    if not isinstance(url, str) or not url:
        return
    protocol = http.get("protocol")
    scheme = protocol.split("/", 1)[0].lower() if isinstance(protocol, str) and protocol else "http"
    if not scheme.isalpha():
        scheme = "http"
    is_tunnel = http.get("http_method") == "CONNECT" and "/" not in url
    if is_tunnel:  # the tunnel's far end, "host:port" (ingest.parsers.zeek.tunnel_url)
        fields["url.original"] = url
        full: str | None = tunnel_url(url)
    elif "://" in url[:16] and not url.lower().startswith(("http://", "https://", "ftp://")):
        full = url.strip()  # rtsp:// and other schemes normalize_url does not know
    else:
        full = request_url(
            fields, url, http.get("hostname"), lambda name: _url_host(http, fields, name), scheme
        )
    if full is None:
        return
    fields["url.full"] = full
    parts = urlsplit(full)
    if not is_tunnel:
        set_field(fields, "url.path", parts.path)
    set_field(fields, "url.domain", domain_or_none(parts.hostname))


def _map_tls(record: dict[str, Any], fields: dict[str, Any]) -> None:
    tls = record.get("tls")
    if not isinstance(tls, dict):
        return
    fields.setdefault("network.protocol", "tls")
    set_server_name(fields, tls.get("sni"))
    _server_domain(fields, _set_sides(record, fields))
    ja3 = tls.get("ja3")
    if isinstance(ja3, dict):
        set_field(fields, "tls.ja3", ja3.get("hash"))
    set_field(fields, "x509.subject", tls.get("subject"))
    set_field(fields, "x509.issuer", tls.get("issuerdn"))


def _map_fileinfo(record: dict[str, Any], fields: dict[str, Any]) -> None:
    info = record.get("fileinfo")
    if not isinstance(info, dict):
        return
    filename = info.get("filename")
    name = filename.replace("\\", "/").rsplit("/", 1)[-1] if isinstance(filename, str) else ""
    if name:  # HTTP files are named by their URL path; "/" names no file
        fields["file.path"] = filename
        fields["file.name"] = name.lower()
    fields.update(digest_fields("file.", [(algorithm, info.get(algorithm)) for algorithm in ("sha256", "sha1", "md5")]))
    set_field(fields, "file.size", info.get("size"))
    http = record.get("http")
    if isinstance(http, dict):
        set_field(fields, "file.mime_type", http.get("http_content_type"))
    _map_http(record, fields)


_UNASSIGNED = ("0.0.0.0", None)
_NOT_A_CLIENT = ("0.0.0.0", "255.255.255.255", None)


def _map_dhcp(record: dict[str, Any], fields: dict[str, Any]) -> None:
    """The normalised ``dhcp.*`` fields of Zeek's ``dhcp.log`` from one EVE DHCP message.

    EVE logs each message alone (without ``extended: yes``, the ACKs only):
    ``assigned_ip`` is the reply's ``yiaddr`` (``0.0.0.0`` in requests, then
    unset here), ``dhcp_type`` the message type, kept as the one-item
    ``dhcp.message_types`` so that the IP map learns a lease only from an ACK;
    ``hostname`` is option 12 of that message, which servers do not always echo
    in the ACK: the transaction id (``id``) is ``dhcp.transaction_id``, on
    which the IP map joins an ACK without a name to the request that named
    the host (:mod:`ingest.ipmap`; EVE logs requests with ``extended: yes``).  A reply to a unicast
    address names the flow's sides (``client.ip`` its destination,
    ``server.ip`` its source), so the client's host is the one that connected.
    """
    dhcp = record.get("dhcp")
    if not isinstance(dhcp, dict):
        return
    assigned = dhcp.get("assigned_ip")
    ip = canonical_ip(assigned, strict=False) if isinstance(assigned, str) else None
    if ip not in _UNASSIGNED:
        fields["dhcp.assigned_ip"] = ip
    host_name = dhcp.get("hostname")
    if isinstance(host_name, str):
        set_field(fields, "dhcp.hostname", normalize_host(host_name))
    mac = dhcp.get("client_mac")
    if isinstance(mac, str) and mac:
        fields["dhcp.mac"] = mac.lower()
    transaction = dhcp.get("id")
    if isinstance(transaction, int | str) and not isinstance(transaction, bool) and transaction != "":
        fields["dhcp.transaction_id"] = str(transaction)
    lease = dhcp.get("lease_time")
    if isinstance(lease, int | float) and not isinstance(lease, bool):
        fields["dhcp.lease_seconds"] = lease
    kind = dhcp.get("dhcp_type")
    if isinstance(kind, str) and kind:
        fields["dhcp.message_types"] = [kind.upper()]
    client = fields.get("destination.ip")
    if dhcp.get("type") == "reply" and client not in _NOT_A_CLIENT and "source.ip" in fields:
        # a reply's source is the server: the client is its unicast destination
        # (a broadcast reply's client is known by its MAC only)
        for name, key in (("client.ip", "destination.ip"), ("client.port", "destination.port"),
                          ("server.ip", "source.ip"), ("server.port", "source.port")):
            set_field(fields, name, fields.get(key))


def _map_alert(record: dict[str, Any], fields: dict[str, Any]) -> None:
    alert = record.get("alert")
    if not isinstance(alert, dict):
        raise ParseError("EVE alert record without an alert object")
    set_field(fields, "rule.name", alert.get("signature"))
    signature_id = alert.get("signature_id")
    if signature_id is not None:
        fields["rule.id"] = str(signature_id)
    set_field(fields, "rule.category", alert.get("category"))
    set_field(fields, "alert.severity", alert.get("severity"))
    # app-layer metadata logged with the alert names what the flow was about
    _map_http(record, fields)
    _map_tls(record, fields)
    _map_dns(record, fields)


def _map_anomaly(record: dict[str, Any], fields: dict[str, Any]) -> None:
    anomaly = record.get("anomaly")
    if isinstance(anomaly, dict):
        set_field(fields, "message", anomaly.get("event"))


_MAPPERS: dict[str, Mapper] = {
    "dns": _map_dns,
    "http": _map_http,
    "tls": _map_tls,
    "fileinfo": _map_fileinfo,
    "alert": _map_alert,
    "anomaly": _map_anomaly,
    "dhcp": _map_dhcp,
}


class SuricataEveParser:
    """Suricata EVE records -> ``suricata:<event_type>`` events."""

    name = SOURCE
    sniff_reads_values = False
    """Only the keys ``event_type`` and ``timestamp`` are read (:mod:`ingest.parsers.base`)."""

    def sniff(self, record: Record) -> bool:
        """A dict with ``event_type`` and ``timestamp``."""
        return isinstance(record, dict) and "event_type" in record and "timestamp" in record

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """One event per record; :class:`ParseError` names what is wrong."""
        if not isinstance(record, dict):
            raise ParseError("an EVE record must be a JSON object")
        event_type = record.get("event_type")
        if not isinstance(event_type, str) or not event_type:
            raise ParseError(f"EVE record with event_type {event_type!r}")
        ts = self._event_time(record, event_type)
        fields: dict[str, Any] = {}
        set_field(fields, "source.ip", ip_field(record, "src_ip", LABEL))
        set_field(fields, "source.port", port_field(record, "src_port", LABEL))
        set_field(fields, "destination.ip", ip_field(record, "dest_ip", LABEL))
        set_field(fields, "destination.port", port_field(record, "dest_port", LABEL))
        proto = record.get("proto")
        if isinstance(proto, str) and proto:
            fields["network.transport"] = proto.lower()
        app_proto = record.get("app_proto")
        if isinstance(app_proto, str) and app_proto and app_proto != "failed":
            fields["network.protocol"] = app_proto.lower()
        for key, value in record.items():
            if key in _FIVE_TUPLE:
                continue
            if isinstance(value, dict):
                _flatten("suricata." + key, value, fields, 1)
            elif type(value) in _SCALAR_TYPES:
                fields["suricata." + key] = value
        yield sensor_event(SOURCE, f"suricata:{event_type}", ts, record, fields, _MAPPERS.get(event_type), context)

    @staticmethod
    def _event_time(record: dict[str, Any], event_type: str) -> float:
        if event_type == "flow":
            flow = record.get("flow")
            if isinstance(flow, dict) and flow.get("start") is not None:
                return _time(flow["start"], "flow.start")
        return _time(record.get("timestamp"), "timestamp")


def parsers() -> list[Parser]:
    """The parsers this module provides, for the default registry."""
    return [SuricataEveParser()]
