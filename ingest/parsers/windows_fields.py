"""Value helpers of the Windows mapping: read event-data values, set normalised fields.

Used by :mod:`ingest.parsers.windows_events`; each setter writes only what the
record holds, normalised by :mod:`ingest.normalize`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ingest.normalize import (
    UNSET_TEXT,
    canonical_ip,
    decode_powershell_command,
    is_unset,
    parse_int,
    split_hashes,
)
from ingest.parsers.base import ParseError

Fields = dict[str, Any]
Data = Mapping[str, Any]



def value_of(data: Data, key: str) -> Any:
    """``data[key]`` when present and set, else ``None`` (:func:`first_set` for one key).

    The mapping reads one key per value tens of times per event: this is
    ``is_unset`` inlined, without the loop over a ``*keys`` tuple.
    """
    value = data.get(key)
    if value is None or (isinstance(value, str) and value in UNSET_TEXT):
        return None
    return value


def first_set(data: Data, *keys: str) -> Any:
    """The first present, set value among ``keys`` (shapes spell some names differently)."""
    for key in keys:
        value = data.get(key)
        if value is not None and not (isinstance(value, str) and value in UNSET_TEXT):
            return value
    return None


# Process-wide memo tables of the mapping.  Images, process GUIDs and Sysmon
# ``Hashes`` values recur across events (every image load of one process, every
# load of one DLL), so each is normalised once.  Bounded in entries and in key
# length (input is attacker-influenced): a full table is cleared, a long value
# is normalised without being remembered, so a table stays near 10 MB at most.
# The five OTRF Windows files need 415 basenames, 215 GUIDs, 461 hash values.
_MEMO_LIMIT = 16384
_MEMO_KEY_CHARS = 512
_basenames: dict[str, str] = {}
_guids: dict[str, str] = {}
_hash_fields: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}


def _remember(table: dict, key: Any, text: str, value: Any) -> None:
    if len(text) > _MEMO_KEY_CHARS:
        return
    if len(table) >= _MEMO_LIMIT:
        table.clear()
    table[key] = value


def basename(path: str) -> str:
    """Lower-case file name of a Windows or POSIX path."""
    name = _basenames.get(path)
    if name is None:
        name = path.rsplit("\\", 1)[-1].rsplit("/", 1)[-1].lower()
        _remember(_basenames, path, path, name)
    return name


def normalize_guid(value: object) -> str:
    """GUID text without braces, lower case."""
    if value.__class__ is not str:
        return str(value).strip().strip("{}").lower()
    guid = _guids.get(value)  # type: ignore[call-overload]
    if guid is None:
        guid = value.strip().strip("{}").lower()  # type: ignore[attr-defined]
        _remember(_guids, value, value, guid)  # type: ignore[arg-type]
    return guid


def parse_pid(value: object, name: str) -> int | None:
    """A process id (int, decimal or ``0x`` hex); :class:`ParseError` names ``name`` when malformed."""
    if value.__class__ is int:
        return value  # type: ignore[return-value]
    if value.__class__ is str and value.isdigit() and value.isascii():
        return int(value)  # the common case, without parse_int's checks
    try:
        return parse_int(value)
    except ValueError as exc:
        raise ParseError(f"{name}: {exc}") from None


def user_name(domain: object, name: object) -> str | None:
    """``domain\\name`` lower case; a name that already holds the domain is kept whole."""
    if name is None or is_unset(name):
        return None
    text = str(name).strip()
    if "\\" in text or domain is None or is_unset(domain):
        return text.lower()
    return f"{domain}\\{text}".lower()


def put_process(
    fields: Fields,
    prefix: str,
    data: Data,
    image_key: str,
    pid_key: str,
    guid_keys: tuple[str, ...],
    command_key: str | None = None,
) -> None:
    """``<prefix>executable/name/pid/guid[/command_line]`` from one process's keys."""
    names = _PROCESS_FIELDS.get(prefix)
    if names is None:
        names = _PROCESS_FIELDS[prefix] = (
            prefix + "executable", prefix + "name", prefix + "pid", prefix + "guid", prefix + "command_line",
        )
    image = value_of(data, image_key)
    if image is not None:
        image = str(image)
        fields[names[0]] = image
        fields[names[1]] = basename(image)
    pid = parse_pid(data.get(pid_key), pid_key)
    if pid is not None:
        fields[names[2]] = pid
    for key in guid_keys:
        guid = value_of(data, key)
        if guid is not None:
            fields[names[3]] = normalize_guid(guid)
            break
    if command_key is not None:
        command = value_of(data, command_key)
        if command is not None:
            fields[names[4]] = str(command)


# prefix -> its five field names, built once (prefix + "..." per call was measurable)
_PROCESS_FIELDS: dict[str, tuple[str, str, str, str, str]] = {}


def put_hashes(fields: Fields, prefix: str, value: object) -> None:
    """``<prefix>hash.<algorithm>`` from a Sysmon ``Hashes`` value."""
    if value is None or is_unset(value):
        return
    text = str(value)
    pairs = _hash_fields.get((prefix, text))
    if pairs is None:
        pairs = tuple((f"{prefix}hash.{algorithm}", digest) for algorithm, digest in split_hashes(text).items())
        _remember(_hash_fields, (prefix, text), text, pairs)
    for name, digest in pairs:
        fields[name] = digest


# A session's PowerShell host command line repeats in every 4103 event and in
# its children's parent command lines; decoding a multi-KB stager each time
# dominated the parse cost of such files.  Bounded: at most 1024 entries.
_decode_cached = lru_cache(maxsize=1024)(decode_powershell_command)


def put_decoded(fields: Fields, command: object) -> None:
    """``process.command_line_decoded`` when ``command`` carries a PowerShell ``-enc`` payload."""
    if command is None:
        return
    text = str(command)
    # cheap guard: every -enc/-EncodedCommand spelling has "-e"/"/e" in some case
    if "-e" not in text and "/e" not in text and "-E" not in text and "/E" not in text:
        return
    decoded = _decode_cached(text)
    if decoded is not None:
        fields["process.command_line_decoded"] = decoded


def put_file(fields: Fields, path: object) -> None:
    """``file.path`` as written and ``file.name`` lower case."""
    if path is None or is_unset(path):
        return
    text = str(path)
    fields["file.path"] = text
    fields["file.name"] = basename(text)


def put_user(fields: Fields, user: str | None) -> None:
    """``user.name`` when known."""
    if user is not None:
        fields["user.name"] = user


def put_ip(fields: Fields, key: str, value: object) -> None:
    """``key`` = canonical IP; a malformed address is skipped (the raw record keeps it)."""
    # Lenient: a malformed address is not a reason to lose the event.
    if value is None:
        return
    ip = canonical_ip(str(value), strict=False)
    if ip is not None:
        fields[key] = ip


def put_port(fields: Fields, key: str, value: object) -> None:
    """``key`` = int port; a malformed port is skipped (the raw record keeps it)."""
    try:
        port = parse_int(value)
    except ValueError:
        return
    if port is not None:
        fields[key] = port
