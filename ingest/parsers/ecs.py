"""Generic Elastic Common Schema (ECS) JSON: ``process.*``, ``file.*``, ``dns.*``, ``url.*``...

Records may be nested (``{"process": {"executable": ...}}``) or dotted
(``{"process.executable": ...}``) or a mix; both are flattened to dotted names.
The sniff is deliberately the most generic of the registry and is registered
last; it still refuses records that carry the markers of a more specific
format (Winlogbeat's ``winlog``/``event_data``, NXLog/Sentinel ``EventID``,
Zeek ``_path``, Suricata ``event_type``), so order is not its only protection.

Time: ``@timestamp`` (else ``event.created``, ``event.ingested``, ``timestamp``);
zone-less values are read in the context's default time zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from graphsiem.model import Event
from ingest.normalize import (
    canonical_ip,
    is_unset,
    normalize_domain,
    normalize_host,
    normalize_url,
    parse_int,
    parse_timestamp,
    split_hashes,
)
from ingest.parsers.base import ParseContext, ParseError, Parser, Record
from ingest.powershell import decode_powershell_command

NAME = "ecs"

_GROUPS = ("process", "file", "dns", "url", "host", "source", "destination")
_FOREIGN_MARKERS = (
    "winlog", "event_data", "EventID", "EventData", "_path", "event_type", "computer_name",
    "Event", "Hostname",
)
_TIME_FIELDS = ("@timestamp", "event.created", "event.ingested", "timestamp")
_COPIED = (
    "event.code", "event.action", "event.category", "event.outcome", "event.module",
    "event.dataset", "message", "network.protocol", "network.transport", "network.direction",
    "http.request.method", "http.response.status_code", "user_agent.original",
    "tls.server_name", "rule.name", "rule.id", "process.working_directory",
    "file.mime_type", "file.size",
)
_INTS = (
    "process.pid", "process.parent.pid", "source.port", "destination.port",
)


def flatten(record: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Nested dicts to dotted keys (lists and scalars are leaves).

    Examples
    --------
    >>> flatten({"process": {"pid": 4, "parent": {"pid": 1}}, "url.full": "x"})
    {'process.pid': 4, 'process.parent.pid': 1, 'url.full': 'x'}
    """
    if out is None:
        out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flatten(value, name + ".", out)
        else:
            out[name] = value
    return out


class EcsParser:
    """ECS documents -> ``ecs:event`` events with the normalised fields of ``docs/fields.md``."""

    name = NAME

    def sniff(self, record: Record) -> bool:
        """A JSON object with an ECS group and none of the markers of a specific format."""
        if not isinstance(record, dict):
            return False
        for marker in _FOREIGN_MARKERS:
            if marker in record:
                return False
        if "@timestamp" not in record and "event" not in record and "timestamp" not in record:
            return False
        for key in record:
            if key.split(".", 1)[0] in _GROUPS:
                return True
        return False

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        if not isinstance(record, dict):
            raise ParseError("an ECS record must be a JSON object")
        flat = flatten(record)
        try:
            yield self._event(flat, record, context)
        except ParseError:
            raise
        except (ValueError, TypeError) as exc:
            raise ParseError(f"ECS record: {exc}") from None

    def _event(self, flat: dict[str, Any], record: dict[str, Any], context: ParseContext) -> Event:
        stamp = next((flat[k] for k in _TIME_FIELDS if not is_unset(flat.get(k))), None)
        if stamp is None:
            raise ParseError("ECS record without @timestamp")
        ts = parse_timestamp(stamp, default_timezone=context.default_timezone)
        fields: dict[str, Any] = {}
        for name in _COPIED:
            value = flat.get(name)
            if not is_unset(value):
                fields[name] = value
        for name in _INTS:
            value = parse_int(flat.get(name))
            if value is not None:
                fields[name] = value
        if "event.code" in fields:
            fields["event.code"] = str(fields["event.code"])
        host_name = flat.get("host.name") or flat.get("host.hostname")
        host = normalize_host(str(host_name)) if not is_unset(host_name) else None
        if host:
            fields["host.name.original"] = host_name
        _processes(flat, fields)
        _user(flat, fields)
        _files(flat, fields)
        _network(flat, fields)
        return Event(
            id="", kind="ecs:event", ts=ts, host=host, source=NAME, fields=fields,
            origin=context.origin, raw=record,
        )


def _text(value: Any) -> str | None:
    return None if is_unset(value) else str(value)


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _processes(flat: dict[str, Any], fields: dict[str, Any]) -> None:
    for prefix in ("process", "process.parent"):
        exe = _text(flat.get(prefix + ".executable"))
        cmd = _text(flat.get(prefix + ".command_line"))
        name = _text(flat.get(prefix + ".name"))
        if exe:
            fields[prefix + ".executable"] = exe
        if cmd:
            fields[prefix + ".command_line"] = cmd
            # the image (else the name) sets how strict the check of the decoded text is
            decoded = decode_powershell_command(cmd, exe or name)
            if decoded:
                fields[prefix + ".command_line_decoded"] = decoded
        if name or exe:
            fields[prefix + ".name"] = (name or _basename(exe or "")).lower()
        guid = _text(flat.get(prefix + ".entity_id"))
        if guid:
            fields[prefix + ".guid"] = guid.strip("{}").lower()
        for algorithm in ("sha256", "sha1", "md5"):
            digest = _text(flat.get(f"{prefix}.hash.{algorithm}"))
            if digest:
                fields[f"{prefix}.hash.{algorithm}"] = digest.lower()


def _user(flat: dict[str, Any], fields: dict[str, Any]) -> None:
    name = _text(flat.get("user.name"))
    if not name:
        return
    domain = _text(flat.get("user.domain"))
    if domain and "\\" not in name:
        name = f"{domain}\\{name}"
    fields["user.name"] = name.lower()


def _files(flat: dict[str, Any], fields: dict[str, Any]) -> None:
    path = _text(flat.get("file.path"))
    name = _text(flat.get("file.name"))
    if path:
        fields["file.path"] = path
    if path or name:
        fields["file.name"] = (name or _basename(path or "")).lower()
    for algorithm in ("sha256", "sha1", "md5"):
        digest = _text(flat.get(f"file.hash.{algorithm}"))
        if digest:
            fields[f"file.hash.{algorithm}"] = digest.lower()
    hashes = _text(flat.get("file.hashes"))
    if hashes:
        for algorithm, digest in split_hashes(hashes).items():
            fields.setdefault(f"file.hash.{algorithm}", digest)


def _network(flat: dict[str, Any], fields: dict[str, Any]) -> None:
    for side in ("source", "destination"):
        ip = canonical_ip(_text(flat.get(side + ".ip")))
        if ip:
            fields[side + ".ip"] = ip
    domain = normalize_domain(_text(flat.get("destination.domain")))
    if domain:
        fields["destination.domain"] = domain
    question = normalize_domain(_text(flat.get("dns.question.name")))
    if question:
        fields["dns.question.name"] = question
        answers = flat.get("dns.answers")
        if isinstance(answers, list):
            fields["dns.answers"] = [
                canonical_ip(str(a.get("data") if isinstance(a, dict) else a), strict=False)
                or str(a.get("data") if isinstance(a, dict) else a)
                for a in answers
            ]
        elif isinstance(flat.get("dns.resolved_ip"), list):
            fields["dns.answers"] = [str(a) for a in flat["dns.resolved_ip"]]
    url = _text(flat.get("url.full")) or _text(flat.get("url.original"))
    url_domain = normalize_domain(_text(flat.get("url.domain")))
    if url:
        try:
            full = normalize_url(url, host=url_domain)
        except ValueError:
            # a URL without a host, or with a bad host or port: kept as written, not fixed up
            fields["url.original"] = url
        else:
            fields["url.full"] = full
            # normalize_url wrote the host as normalize_domain does, or as an IP
            url_domain = url_domain or normalize_domain(urlsplit(full).hostname)
    if url_domain:
        fields["url.domain"] = url_domain
    path = _text(flat.get("url.path"))
    if path:
        fields["url.path"] = path


def parsers() -> list[Parser]:
    """The parsers this module provides, for the default registry."""
    return [EcsParser()]
