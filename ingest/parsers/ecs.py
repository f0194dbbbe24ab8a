"""Generic Elastic Common Schema (ECS) JSON: ``process.*``, ``file.*``, ``dns.*``, ``url.*``...

Records may be nested (``{"process": {"executable": ...}}``) or dotted
(``{"process.executable": ...}``) or a mix; both are flattened to dotted names.
The sniff is deliberately the most generic of the registry and is registered
last; it still refuses records that carry the markers of a more specific
format (Winlogbeat's ``winlog``/``event_data``, NXLog/Sentinel ``EventID``,
Zeek ``_path``, Suricata ``event_type``), so order is not its only protection.

Time: ``@timestamp`` (else ``event.created``, ``event.ingested``, ``timestamp``);
zone-less values are read in the context's default time zone.

Host (docs/fields.md, "ECS host"): ``host.name`` (else ``host.hostname``) is
the event's host, except in a device's view of other machines' traffic
(:func:`~ingest.parsers.ecs_network.device_view`: a firewall, proxy or
IDS record shipped by Filebeat or Packetbeat), whose ``host.name`` is the
machine that shipped it: such an event has no host, so that the
projection's sensor rule finds the client through the IP -> host map, and
the device is ``observer.name`` (:mod:`ingest.parsers.ecs_network` reads
it, with the network ends, DNS and URL fields).

Kinds: an endpoint record (one with a host) that is the observation a Sysmon
event kind stands for takes that kind, so that the projection and the IP ->
host map treat it the same: a library load (``dll.*``, Elastic Defend
``event.category: library``) is ``sysmon:image_load`` with the DLL as
``file.*``; a registry record (``registry.*``) is ``sysmon:registry_set``
when it carries the data written, else ``sysmon:registry_event``; a network
record (``event.category: network`` with ``source.ip`` and ``destination.ip``,
no DNS question, no URL) is ``sysmon:network_connect`` with the host's own end
in ``host.ip`` (or ``host.ip_unknown``).  Filebeat's Zeek ``dhcp`` and
``files`` records are read back into the Zeek lines they were
(:mod:`ingest.parsers.ecs_zeek`) and mapped by the Zeek parser.  Anything
else is ``ecs:event``.  ``Event.source`` stays ``ecs``.

Fields no rule maps are kept as ``ecs.<dotted name>`` (scalars and lists of
scalars, at most :data:`REMAINDER_LIMIT` of them; ``ecs.remainder_dropped``
counts the others), as the Zeek, Suricata and CEF parsers keep theirs.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterator
from typing import Any

from graphsiem.model import Event
from ingest.normalize import (
    DIGEST_LENGTHS,
    digest_fields,
    is_unset,
    normalize_host,
    normalize_user,
    parse_int,
    parse_timestamp,
    split_hashes,
)
from ingest.parsers.base import ParseContext, ParseError, Parser, Record
from ingest.parsers.ecs_endpoint import GENERIC_KIND, endpoint_kind, registry_path
from ingest.parsers.ecs_network import NETWORK_KEYS, device_view, read_network, read_observer
from ingest.parsers.ecs_zeek import native_record, zeek_log
from ingest.parsers.zeek import ZeekParser
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
    sniff_reads_values = False
    """Only keys are read: the foreign markers, a time key, a group's prefix (:mod:`ingest.parsers.base`)."""

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
        host_name = flat.get("host.name") or flat.get("host.hostname")
        host = normalize_host(str(host_name)) if not is_unset(host_name) else None
        log = zeek_log(flat)
        if log is not None:
            return _zeek_event(flat, record, context, log, ts, host)
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
        is_device, has_observer = device_view(flat)
        if has_observer or is_device:  # most endpoint records have neither: nothing to copy
            read_observer(flat, fields, host if is_device else None)
        if is_device:
            host = None  # the shipper's name is the device's (observer.name), not the client's
        elif host:
            fields["host.name.original"] = host_name
        _processes(flat, fields)
        _user(flat, fields)
        _files(flat, fields)
        read_network(flat, fields)
        _registry(flat, fields)
        kind = endpoint_kind(flat, fields) if host else GENERIC_KIND
        _remainder(flat, fields)
        return Event(
            id="", kind=kind, ts=ts, host=host, source=NAME, fields=fields,
            origin=context.origin, raw=record,
        )


_ZEEK = ZeekParser()


def _zeek_event(
    flat: dict[str, Any], record: dict[str, Any], context: ParseContext, log: str, ts: float, shipper: str | None
) -> Event:
    """A Filebeat Zeek record as the Zeek parser reads the line it was (:mod:`ingest.parsers.ecs_zeek`).

    Like every Zeek event it has no host; the machine that shipped it is the
    sensor, ``observer.name``.
    """
    (event,) = _ZEEK.parse(native_record(flat, log, ts), context)
    event.source = NAME
    event.raw = record
    if shipper:
        event.fields.setdefault("observer.name", shipper)
    return event


def _text(value: Any) -> str | None:
    return None if is_unset(value) else str(value)


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _processes(flat: dict[str, Any], fields: dict[str, Any]) -> None:
    for prefix in ("process", "process.parent"):
        exe = _text(flat.get(prefix + ".executable"))
        cmd = _text(flat.get(prefix + ".command_line"))
        name = _text(flat.get(prefix + ".name"))
        if not cmd:
            # Auditbeat and others give the argument vector only: every run of one
            # image would otherwise be one image-only process node
            cmd = command_line(flat.get(prefix + ".args"), _is_windows(flat, exe))
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
        title = _text(flat.get(prefix + ".title"))
        if title:
            fields[prefix + ".title"] = title
        _put_hashes(flat, fields, prefix)
        _put_pe(flat, fields, prefix + ".pe.", prefix + ".")


def command_line(args: Any, is_windows: bool) -> str | None:
    r"""``process.args`` joined into the command line that runs it, or None.

    On Windows by the Microsoft C runtime's rule (:func:`subprocess.list2cmdline`:
    an argument with a space, a tab or nothing is double-quoted, backslashes
    before a quote doubled), which ``CommandLineToArgvW`` splits back into the
    same vector; elsewhere by the POSIX shell's (:func:`shlex.join`: single
    quotes where needed), which ``sh`` splits back the same.

    Examples
    --------
    >>> command_line(["wget", "http://x.example/b?a=1&b=2"], False)
    "wget 'http://x.example/b?a=1&b=2'"
    >>> command_line(["C:\\Program Files\\a.exe", "/c", "echo hi"], True)
    '"C:\\Program Files\\a.exe" /c "echo hi"'
    """
    if isinstance(args, str):
        return args or None  # a shipper that wrote the vector as one string
    if not isinstance(args, list) or not args:
        return None
    parts = ["" if item is None else str(item) for item in args]
    return subprocess.list2cmdline(parts) if is_windows else shlex.join(parts)


def _is_windows(flat: dict[str, Any], exe: str | None) -> bool:
    """Whether a record's processes run on Windows: ``host.os.*`` says so, else the image path does."""
    for key in ("host.os.type", "host.os.family", "host.os.platform"):
        value = flat.get(key)
        if isinstance(value, str) and value:
            return value.lower() == "windows"
    if not exe:
        return False
    return "\\" in exe or exe[1:3] == ":/"


_PE_TEXT = ("original_file_name", "company", "product", "description", "file_version")
"""``<x>.pe.*`` kept as written (Sysmon's ``OriginalFileName``, ``Company``...); ``imphash`` is a hash."""


def _put_pe(flat: dict[str, Any], fields: dict[str, Any], source: str, target: str) -> None:
    """PE header fields of ``source`` (``process.pe.``, ``dll.pe.``) as ``<target>pe.*`` and ``<target>hash.imphash``."""
    if source + "original_file_name" not in flat and source + "imphash" not in flat and \
            source + "company" not in flat:
        return  # most records have no PE header fields
    for key in _PE_TEXT:
        value = _text(flat.get(source + key))
        if value:
            fields[f"{target}pe.{key}"] = value
    imphash = flat.get(source + "imphash")
    if imphash is not None:
        fields.update(digest_fields(target, [("imphash", imphash)]))


def _user(flat: dict[str, Any], fields: dict[str, Any]) -> None:
    user_id = _text(flat.get("user.id"))
    if user_id:
        fields["user.id"] = user_id  # a SID or a uid, as written: never part of the user's key
    name = _text(flat.get("user.name"))
    if not name:
        return
    fields["user.name"] = normalize_user(_text(flat.get("user.domain")), name)


def _files(flat: dict[str, Any], fields: dict[str, Any]) -> None:
    group = "file"
    if "file.path" not in flat and "file.name" not in flat and ("dll.path" in flat or "dll.name" in flat):
        group = "dll"  # a library load (Elastic Defend): the loaded DLL is the event's file
    path = _text(flat.get(group + ".path"))
    name = _text(flat.get(group + ".name"))
    if path:
        fields["file.path"] = path
    if path or name:
        fields["file.name"] = (name or _basename(path or "")).lower()
    _put_hashes(flat, fields, "file", group)
    _put_pe(flat, fields, group + ".pe.", "file.")
    hashes = _text(flat.get("file.hashes"))
    if hashes:
        for name, digest in digest_fields("file.", split_hashes(hashes).items()).items():
            fields.setdefault(name, digest)


_HASH_ALGORITHMS = tuple(DIGEST_LENGTHS)
"""``<x>.hash.<algorithm>`` read as digests (md5 ... sha512, imphash); others (ssdeep, tlsh) stay in the remainder."""

_HASH_KEYS = {
    group: tuple((algorithm, f"{group}.hash.{algorithm}") for algorithm in _HASH_ALGORITHMS)
    for group in ("process", "process.parent", "file", "dll")
}


def _put_hashes(flat: dict[str, Any], fields: dict[str, Any], prefix: str, group: str | None = None) -> None:
    """``<prefix>.hash.*`` from ``<group>.hash.*`` (default ``prefix``) by the shared digest rule
    (:func:`~ingest.normalize.digest_fields`)."""
    values = None
    for algorithm, key in _HASH_KEYS[group or prefix]:  # most records have no hash: no list, no call for them
        value = flat.get(key)
        if value is not None:
            if values is None:
                values = []
            values.append((algorithm, value))
    if values is not None:
        fields.update(digest_fields(prefix + ".", values))



def _registry(flat: dict[str, Any], fields: dict[str, Any]) -> None:
    """ECS ``registry.*`` as Sysmon 12-14 events are read: ``registry.path`` the key or value's full
    path, ``registry.value`` the data written (Sysmon's ``Details``)."""
    path = _text(flat.get("registry.path"))
    if not path:
        parts = [_text(flat.get(f"registry.{key}")) for key in ("hive", "key", "value")]
        if not parts[1]:
            return
        path = "\\".join(part for part in parts if part)
    fields["registry.path"] = registry_path(path)
    data = flat.get("registry.data.strings")
    values = [str(item) for item in (data if isinstance(data, list) else [data]) if not is_unset(item)]
    if values:
        fields["registry.value"] = "\n".join(values)  # REG_MULTI_SZ: one string a line


REMAINDER_LIMIT = 128
"""At most this many unmapped keys are kept per record (keys are the sender's to choose)."""

_MAPPED = frozenset((
    *_TIME_FIELDS, *_COPIED, *_INTS, "host.name", "host.hostname", "user.name", "user.domain", "user.id",
    *(f"{group}.{key}" for group in ("process", "process.parent")
      for key in ("executable", "command_line", "name", "entity_id", "args", "title")),
    *(f"{group}.{key}" for group in ("file", "dll") for key in ("path", "name")), "file.hashes",
    *(key for keys in _HASH_KEYS.values() for _, key in keys),
    *(f"{group}.pe.{key}" for group in ("process", "process.parent", "file", "dll")
      for key in (*_PE_TEXT, "imphash")),
    "registry.path", "registry.data.strings", *NETWORK_KEYS,
))
"""Flattened keys a rule above maps: the remainder is every other key."""

_REMAINDER_NAMES: dict[str, str] = {}
_NAME_CACHE_LIMIT = 65536
_SCALARS = (str, int, float, bool)


def _remainder(flat: dict[str, Any], fields: dict[str, Any]) -> None:
    """Unmapped keys as ``ecs.<key>`` (module docstring): scalars and lists of scalars, bounded."""
    names = _REMAINDER_NAMES
    kept = dropped = 0
    for key, value in flat.items():
        if key in _MAPPED or is_unset(value):
            continue
        if isinstance(value, list):
            if not value or not all(isinstance(item, _SCALARS) for item in value):
                continue  # lists of objects (threat.enrichments...): the raw record keeps them
        elif not isinstance(value, _SCALARS):
            continue
        if kept == REMAINDER_LIMIT:
            dropped += 1
            continue
        name = names.get(key)
        if name is None:
            name = "ecs." + key
            if len(names) < _NAME_CACHE_LIMIT:  # bounded: keys are attacker-controlled
                names[key] = name
        fields[name] = value
        kept += 1
    if dropped:
        fields["ecs.remainder_dropped"] = dropped


def parsers() -> list[Parser]:
    """The parsers this module provides, for the default registry."""
    return [EcsParser()]
