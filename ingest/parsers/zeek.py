"""Parser for Zeek logs: JSON records and the typed rows of the TSV reader.

Both shapes arrive as flat dicts with Zeek's dotted keys (``id.orig_h``) and
``_path`` (JSON streaming logs write it; the TSV reader sets it from ``#path``;
otherwise the log name comes from the file name via ``ParseContext.path_hint``).

Rules, so that the TSV and JSON copies of one log give identical events:

* every Zeek field is kept as ``zeek.<name>`` (``_path``/``_write_ts`` dropped);
* times become epoch floats: ``ts`` and any ISO-8601 ``...Z`` string value
  (brim's JSON writes ``time`` fields that way, ``1970-01-01T00:00:00.000000Z``
  for zero), and
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
* A DNS query name or TLS SNI that is not a valid domain name stays in
  ``zeek.query``/``zeek.server_name`` but gets no normalised domain field.
* Sensor events have no endpoint: ``Event.host`` is ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from graphsiem.model import Event
from ingest.normalize import (
    canonical_ip,
    normalize_domain,
    normalize_host,
    normalize_url,
    parse_timestamp,
)
from ingest.parsers.base import ParseContext, ParseError, Parser, Record

SOURCE = "zeek"

_SKIPPED = frozenset({"_path", "_write_ts", "ts"})
_PREFIXED: dict[str, str] = {}


def _prefixed(key: str) -> str:
    # Interning "zeek.<key>" avoids building the same string for every record.
    name = _PREFIXED.get(key)
    if name is None:
        name = _PREFIXED[key] = "zeek." + key
    return name


def _is_iso_time(value: str) -> bool:
    return len(value) >= 20 and value[-1] == "Z" and value[10] == "T" and value[4] == "-"


def _iso_to_epoch(value: str) -> float:
    return round(parse_timestamp(value), 6)


def _normal_value(value: Any) -> Any:
    """One Zeek value in the shared normal form (times as epoch, floats to microseconds)."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, str):
        if _is_iso_time(value):
            try:
                return _iso_to_epoch(value)
            except ValueError:
                return value
        return value
    if isinstance(value, list):
        return [_normal_value(item) for item in value]
    return value


def log_name_from_hint(hint: str | None) -> str | None:
    """Zeek log name from a path hint: ``conn``, ``conn.log``, ``x/conn.00:00:00-01:00:00.log.gz``."""
    if not hint:
        return None
    name = hint.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]
    return name or None


def _event_time(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise ParseError(f"Zeek record has no usable ts ({value!r})")
    if isinstance(value, int | float):
        return round(float(value), 6)
    if isinstance(value, str):
        try:
            return round(parse_timestamp(value), 6)
        except ValueError as error:
            raise ParseError(f"Zeek ts: {error}") from None
    raise ParseError(f"Zeek ts has type {type(value).__name__}")


def _ip(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    try:
        return canonical_ip(str(value))
    except ValueError as error:
        raise ParseError(f"Zeek field {key}: {error}") from None


def _port(record: dict[str, Any], key: str) -> int | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParseError(f"Zeek field {key}: not a port ({value!r})")
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ParseError(f"Zeek field {key}: not a port ({str(value)[:32]!r})") from None


def _domain_or_none(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return normalize_domain(value)
    except ValueError:
        return None


def _set(fields: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "":
        fields[key] = value


def _lower(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) and value else None


# -- per-log mappings ---------------------------------------------------------


def _map_conn(record: dict[str, Any], fields: dict[str, Any]) -> None:
    _set(fields, "network.transport", _lower(record.get("proto")))
    _set(fields, "network.protocol", _lower(record.get("service")))


def _dns_answer(answer: Any) -> Any:
    if not isinstance(answer, str):
        return answer
    ip = canonical_ip(answer, strict=False)
    if ip is not None:
        return ip
    return _domain_or_none(answer) or answer


def _map_dns(record: dict[str, Any], fields: dict[str, Any]) -> None:
    _set(fields, "network.transport", _lower(record.get("proto")))
    fields["network.protocol"] = "dns"
    _set(fields, "dns.question.name", _domain_or_none(record.get("query")))
    _set(fields, "dns.rcode", record.get("rcode_name"))
    answers = record.get("answers")
    if isinstance(answers, list) and answers:
        fields["dns.answers"] = [_dns_answer(answer) for answer in answers]


def _http_host(record: dict[str, Any], fields: dict[str, Any]) -> str | None:
    host = record.get("host")
    if isinstance(host, str) and host:
        return host
    ip = fields.get("destination.ip")
    if ip is None:
        return None
    port = fields.get("destination.port")
    literal = f"[{ip}]" if ":" in ip else ip
    return literal if port in (None, 80) else f"{literal}:{port}"


def _map_http(record: dict[str, Any], fields: dict[str, Any]) -> None:
    fields["network.protocol"] = "http"
    _set(fields, "http.request.method", record.get("method"))
    _set(fields, "http.response.status_code", record.get("status_code"))
    _set(fields, "user_agent.original", record.get("user_agent"))
    host = _http_host(record, fields)
    uri = record.get("uri")
    if not isinstance(uri, str) or not uri:
        uri = "/"
    try:
        url = normalize_url(uri, host=host) if host or "://" in uri else None
    except ValueError:
        url = None
    if url is not None:
        fields["url.full"] = url
        parts = urlsplit(url)
        fields["url.path"] = parts.path
        domain = _domain_or_none(parts.hostname)
        if domain is not None:
            fields["url.domain"] = domain
            fields["destination.domain"] = domain


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _first_ip(value: Any) -> str | None:
    if isinstance(value, list) and value:
        return canonical_ip(str(value[0]), strict=False)
    return None


def _map_files(record: dict[str, Any], fields: dict[str, Any]) -> None:
    for algorithm in ("sha256", "sha1", "md5"):
        digest = record.get(algorithm)
        if isinstance(digest, str) and digest:
            fields["file.hash." + algorithm] = digest.lower()
    _set(fields, "file.mime_type", record.get("mime_type"))
    filename = record.get("filename")
    if isinstance(filename, str) and filename:
        fields["file.path"] = filename
        fields["file.name"] = _basename(filename)
    size = record.get("total_bytes", record.get("seen_bytes"))
    _set(fields, "file.size", size)
    _set(fields, "network.protocol", _lower(record.get("source")))
    sender, receiver = _first_ip(record.get("tx_hosts")), _first_ip(record.get("rx_hosts"))
    if sender is None and receiver is None and "source.ip" in fields:
        # Zeek >= 5: the connection's sides; is_orig says whether the originator sent it.
        orig, resp = fields["source.ip"], fields.get("destination.ip")
        sender, receiver = (orig, resp) if record.get("is_orig") else (resp, orig)
        fields.pop("source.port", None)
        fields.pop("destination.port", None)
    _set(fields, "source.ip", sender)
    _set(fields, "destination.ip", receiver)


def _map_ssl(record: dict[str, Any], fields: dict[str, Any]) -> None:
    fields["network.protocol"] = "tls"
    server_name = record.get("server_name")
    if isinstance(server_name, str) and server_name:
        domain = _domain_or_none(server_name)
        fields["tls.server_name"] = domain or server_name.lower()
        _set(fields, "destination.domain", domain)
    _set(fields, "tls.ja3", _lower(record.get("ja3")))


def _map_x509(record: dict[str, Any], fields: dict[str, Any]) -> None:
    _set(fields, "x509.subject", record.get("certificate.subject"))
    _set(fields, "x509.issuer", record.get("certificate.issuer"))
    san = record.get("san.dns")
    if isinstance(san, list) and san:
        fields["x509.san"] = [_domain_or_none(name) or name for name in san]


def _map_dhcp(record: dict[str, Any], fields: dict[str, Any]) -> None:
    assigned = record.get("assigned_addr", record.get("assigned_ip"))
    if assigned is not None:
        fields["dhcp.assigned_ip"] = canonical_ip(str(assigned), strict=False)
    host_name = record.get("host_name") or record.get("client_fqdn")
    if isinstance(host_name, str):
        _set(fields, "dhcp.hostname", normalize_host(host_name))
    _set(fields, "dhcp.mac", _lower(record.get("mac")))
    _set(fields, "dhcp.lease_seconds", fields.get("zeek.lease_time"))
    if "source.ip" not in fields:
        _set(fields, "source.ip", _ip(record, "client_addr"))
        _set(fields, "destination.ip", _ip(record, "server_addr"))


def _map_notice(record: dict[str, Any], fields: dict[str, Any]) -> None:
    _set(fields, "rule.name", record.get("note"))
    _set(fields, "message", record.get("msg"))
    if "source.ip" not in fields:
        _set(fields, "source.ip", _ip(record, "src"))
    if "destination.ip" not in fields:
        _set(fields, "destination.ip", _ip(record, "dst"))
        _set(fields, "destination.port", _port(record, "p"))
    _set(fields, "network.transport", _lower(record.get("proto")))


def _map_syslog(record: dict[str, Any], fields: dict[str, Any]) -> None:
    _set(fields, "message", record.get("message"))
    _set(fields, "log.syslog.facility", record.get("facility"))
    _set(fields, "log.syslog.severity", record.get("severity"))
    _set(fields, "network.transport", _lower(record.get("proto")))


def _map_software(record: dict[str, Any], fields: dict[str, Any]) -> None:
    # software.log names the host running the software in ``host``.
    if "source.ip" not in fields:
        _set(fields, "source.ip", _ip(record, "host"))


_MAPPERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
    "conn": _map_conn,
    "dns": _map_dns,
    "http": _map_http,
    "files": _map_files,
    "ssl": _map_ssl,
    "x509": _map_x509,
    "dhcp": _map_dhcp,
    "notice": _map_notice,
    "syslog": _map_syslog,
    "software": _map_software,
}


class ZeekParser:
    """Zeek JSON records and Zeek TSV reader rows -> ``zeek:<log>`` events."""

    name = SOURCE

    def sniff(self, record: Record) -> bool:
        """A dict with ``_path``, or with ``ts`` and a connection ``uid``/``id.orig_h``."""
        if not isinstance(record, dict):
            return False
        return "_path" in record or ("ts" in record and ("uid" in record or "id.orig_h" in record))

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """One event per record; :class:`ParseError` names what is wrong."""
        if not isinstance(record, dict):
            raise ParseError("a Zeek record must be a JSON object")
        path = record.get("_path")
        if not isinstance(path, str) or not path:
            path = log_name_from_hint(context.path_hint)
            if path is None:
                raise ParseError("Zeek record without _path and no log name from its file name")
        if "ts" not in record:
            raise ParseError(f"Zeek {path} record without ts")
        ts = _event_time(record["ts"])
        fields: dict[str, Any] = {}
        for key, value in record.items():
            if key not in _SKIPPED:
                fields[_prefixed(key)] = _normal_value(value)
        _set(fields, "source.ip", _ip(record, "id.orig_h"))
        _set(fields, "source.port", _port(record, "id.orig_p"))
        _set(fields, "destination.ip", _ip(record, "id.resp_h"))
        _set(fields, "destination.port", _port(record, "id.resp_p"))
        mapper = _MAPPERS.get(path)
        if mapper is not None:
            try:
                mapper(record, fields)
            except ParseError:
                raise
            except (TypeError, ValueError, AttributeError) as error:
                raise ParseError(f"Zeek {path} record: {error}") from None
        yield Event(
            id="",
            kind=f"zeek:{path}",
            ts=ts,
            host=None,
            source=SOURCE,
            fields=fields,
            origin=context.origin,
            raw=record,
        )


def parsers() -> list[Parser]:
    """The parsers this module provides, for the default registry."""
    return [ZeekParser()]
