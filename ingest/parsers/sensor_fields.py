"""Helpers shared by the network-sensor parsers (Zeek, Suricata EVE).

Both read flat JSON-ish records, set the same normalised fields and build one
sensor event (no endpoint host) per record; these helpers keep the two parsers
to their format-specific mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from graphsiem.model import Event
from ingest.normalize import canonical_ip, is_unset, normalize_domain, normalize_url
from ingest.parsers.base import ParseContext, ParseError

_MIN_TS, _MAX_TS = 0.0, 253402300799.0  # 1970-01-01 .. 9999-12-31: what epoch_to_iso can render

Mapper = Callable[[dict[str, Any], dict[str, Any]], None]
"""A per-log / per-event-type mapping: reads the record, adds normalised fields."""


def set_field(fields: dict[str, Any], key: str, value: Any) -> None:
    """Set ``fields[key]`` unless ``value`` is absent (``None`` or an empty string)."""
    if value is not None and value != "":
        fields[key] = value


def domain_or_none(value: Any) -> str | None:
    """The normalised domain of ``value``, or ``None`` for IPs, non-strings and bad names."""
    if not isinstance(value, str):
        return None
    return _cached_domain(value)


@lru_cache(maxsize=65536)
def _cached_domain(value: str) -> str | None:
    # Sensor logs repeat the same few names; the cache keeps the regex off the hot path.
    try:
        return normalize_domain(value)
    except ValueError:
        return None


def request_url(
    fields: dict[str, Any], path: str, header: Any, host_for: Callable[[str | None], str | None],
    scheme: str = "http",
) -> str | None:
    """The normalised URL of an HTTP request for ``path``, or ``None`` when there is none to make.

    ``host_for(name)`` is the URL host for the Host header's ``name``, or for
    the server's address when ``name`` is ``None``.  The Host header is the
    client's to write: one that names no host (``-evil.com``, ``evil .com``)
    must not hide the request, which went to the server; the URL as written
    is then kept in ``url.original``.
    """
    name = header if isinstance(header, str) and not is_unset(header) else None
    is_absolute = "://" in path[:16]
    try:
        host = host_for(name)
        return normalize_url(path, host=host, scheme=scheme) if host or is_absolute else None
    except ValueError:
        if name is None or is_absolute:
            return None
    fields["url.original"] = f"{scheme}://{name}{path}"
    server = host_for(None)
    try:
        return normalize_url(path, host=server, scheme=scheme) if server else None
    except ValueError:
        return None


def set_server_name(fields: dict[str, Any], server_name: Any) -> None:
    """TLS SNI: ``tls.server_name`` (lower case) and, when it is a valid name, ``destination.domain``."""
    if isinstance(server_name, str) and server_name:
        domain = domain_or_none(server_name)
        fields["tls.server_name"] = domain or server_name.lower()
        set_field(fields, "destination.domain", domain)


def answer_value(answer: Any) -> Any:
    """A DNS answer: canonical IP, normalised name, or the text as given (TXT...)."""
    if not isinstance(answer, str):
        return answer
    ip = canonical_ip(answer, strict=False)
    if ip is not None:
        return ip
    return domain_or_none(answer) or answer


def ip_field(record: dict[str, Any], key: str, label: str) -> str | None:
    """Canonical IP of ``record[key]``; :class:`ParseError` (``"<label> <key>: ..."``) if not an IP."""
    value = record.get(key)
    if value is None:
        return None
    try:
        return canonical_ip(value if value.__class__ is str else str(value))
    except ValueError as error:
        raise ParseError(f"{label} {key}: {error}") from None


def port_field(record: dict[str, Any], key: str, label: str) -> int | None:
    """``record[key]`` as a port number; :class:`ParseError` when it is not an integer."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # isascii: str.isdigit() accepts "²", which int() refuses
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ParseError(f"{label} {key}: not a port ({str(value)[:32]!r})")


def sensor_event(
    source: str,
    kind: str,
    ts: float,
    record: dict[str, Any],
    fields: dict[str, Any],
    mapper: Mapper | None,
    context: ParseContext,
    raw: dict[str, Any] | None = None,
    /,
) -> Event:
    """Apply ``mapper`` (if any) and build the sensor event; mapper slips become :class:`ParseError`.

    ``raw`` is the record kept as evidence when it differs from the one the
    mapper reads (Zeek's nested JSON, flattened to dotted keys first).
    Positional only, and the Event is built positionally: keywords cost
    ~0.3 us a record on the sensor formats' hot path (measured).
    """
    if not _MIN_TS <= ts <= _MAX_TS:  # also false for NaN
        raise ParseError(f"{kind} record: time {ts!r} is outside 1970..9999")
    if mapper is not None:
        try:
            mapper(record, fields)
        except ParseError:
            raise
        except (TypeError, ValueError, AttributeError) as error:
            raise ParseError(f"{kind} record: {error}") from None
    return Event("", kind, ts, None, source, fields, context.origin, record if raw is None else raw)


RECORD_TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV",
                 64: "SVCB", 65: "HTTPS"}
"""Record type numbers a shipper may write for ECS's names (others become RFC 3597's ``TYPE<n>``)."""


def record_type(value: Any) -> str | None:
    """A DNS record type by name (``CNAME``, ``MX``), upper case, from a name or its number; None when not said.

    Shared by the ECS, Windows (Sysmon 22 ``type:  N``) and ECS read-back parsers, so all name types alike.

    >>> record_type("cname"), record_type(5), record_type("15"), record_type(99), record_type("")
    ('CNAME', 'CNAME', 'MX', 'TYPE99', None)
    """
    if isinstance(value, bool) or is_unset(value) or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    if text.isdigit():
        return RECORD_TYPES.get(int(text), f"TYPE{int(text)}")
    return text.upper() or None


def put_url(fields: dict[str, Any], value: str) -> None:
    """``url.full`` and ``url.domain`` of a downloaded file's origin, else ``url.original``.

    A value that is no web URL (``about:internet``, a share, a local path) is kept as written.
    Shared by Sysmon 15's ``Zone.Identifier`` and MDE's ``FileOriginUrl``.

    >>> fields = {}; put_url(fields, "HTTP://CDN.Example/a.png"); sorted(fields.items())
    [('url.domain', 'cdn.example'), ('url.full', 'http://cdn.example/a.png')]
    """
    try:
        full = normalize_url(value)
    except ValueError:
        fields["url.original"] = value
        return
    fields["url.full"] = full
    domain = normalize_domain(urlsplit(full).hostname)
    if domain:
        fields["url.domain"] = domain
