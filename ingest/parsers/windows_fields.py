"""Value helpers of the Windows mapping: read event-data values, set normalised fields.

Used by :mod:`ingest.parsers.windows_events`; each setter writes only what the
record holds, normalised by :mod:`ingest.normalize`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ingest.normalize import (
    canonical_ip,
    decode_powershell_command,
    is_unset,
    parse_int,
    split_hashes,
)
from ingest.parsers.base import ParseError

Fields = dict[str, Any]
Data = Mapping[str, Any]



def first_set(data: Data, *keys: str) -> Any:
    """The first present, set value among ``keys`` (shapes spell some names differently)."""
    for key in keys:
        value = data.get(key)
        if value is not None and not is_unset(value):
            return value
    return None


def basename(path: str) -> str:
    """Lower-case file name of a Windows or POSIX path."""
    return path.rsplit("\\", 1)[-1].rsplit("/", 1)[-1].lower()


def normalize_guid(value: object) -> str:
    """GUID text without braces, lower case."""
    return str(value).strip().strip("{}").lower()


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
    image = first_set(data, image_key)
    if image is not None:
        image = str(image)
        fields[prefix + "executable"] = image
        fields[prefix + "name"] = basename(image)
    pid = parse_pid(data.get(pid_key), pid_key)
    if pid is not None:
        fields[prefix + "pid"] = pid
    guid = first_set(data, *guid_keys)
    if guid is not None:
        fields[prefix + "guid"] = normalize_guid(guid)
    if command_key is not None:
        command = first_set(data, command_key)
        if command is not None:
            fields[prefix + "command_line"] = str(command)


def put_hashes(fields: Fields, prefix: str, value: object) -> None:
    """``<prefix>hash.<algorithm>`` from a Sysmon ``Hashes`` value."""
    if value is None or is_unset(value):
        return
    for algorithm, digest in split_hashes(str(value)).items():
        fields[f"{prefix}hash.{algorithm}"] = digest


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
