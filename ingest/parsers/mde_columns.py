"""Reading MDE advanced hunting columns: paths, processes, accounts, ``AdditionalFields``, addresses.

The value rules :mod:`ingest.parsers.mde_tables` shares between tables, with
the normalisation of :mod:`ingest.normalize` and the Windows mapping's memoised
setters (:mod:`ingest.parsers.windows_fields`), so an MDE row's values are
written exactly as a Sysmon event's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

import orjson

from ingest.normalize import UNSET_TEXT, can_be_a_host, canonical_ip, digest_fields, parse_int
from ingest.parsers.base import ParseError
from ingest.parsers.windows_fields import basename, parse_pid, put_decoded, user_name

Row = Mapping[str, Any]
Fields = dict[str, Any]

ADDITIONAL_CHARS = 65536
"""Longest ``AdditionalFields`` (or other JSON column) text decoded; the raw record keeps a longer one whole."""


def text_of(row: Row, key: str) -> str | None:
    """``row[key]`` as text when set, else ``None`` (MDE writes null or ``""`` for an empty column)."""
    value = row.get(key)
    if value is None or value.__class__ is bool or isinstance(value, dict | list):
        return None
    text = value if value.__class__ is str else str(value)
    return None if text in UNSET_TEXT else text


PID_LIMIT = 2**32
"""Windows process ids are 32-bit: a larger one is a damaged value (and no JSON integer past 64 bits)."""


def pid_of(row: Row, key: str) -> int | None:
    """A process id column; :class:`ParseError` for a value that is no pid (as the Windows parser's)."""
    pid = parse_pid(row.get(key), key)
    if pid is not None and not 0 <= pid < PID_LIMIT:
        raise ParseError(f"{key}: {pid} is out of range")
    return pid


def port_of(row: Row, key: str) -> int | None:
    """A port column, ``None`` when it is no port (the raw record keeps it): not a reason to lose the row."""
    try:
        port = parse_int(row.get(key))
    except ValueError:
        return None
    return port if port is not None and 0 <= port <= 65535 else None


_digests: dict[tuple[str, object, object, object], dict[str, str]] = {}
"""Memo of :func:`put_digests`: a process's or DLL's digests recur in every row that names it."""


def put_digests(fields: Fields, prefix: str, sha256: object, sha1: object, md5: object) -> None:
    """``<prefix>hash.*`` of a row's SHA-256, SHA-1 and MD5 columns (:func:`digest_fields`' rule)."""
    if not (sha256 or sha1 or md5):
        return
    key = (prefix, sha256, sha1, md5)
    # only short texts are remembered: a junk megabyte in a hash column must not be held 16,384 times
    if not all(value is None or (value.__class__ is str and len(value) <= 128) for value in key[1:]):  # type: ignore[arg-type]
        fields.update(digest_fields(prefix, (("sha256", sha256), ("sha1", sha1), ("md5", md5))))
        return
    known = _digests.get(key)
    if known is None:
        known = digest_fields(prefix, (("sha256", sha256), ("sha1", sha1), ("md5", md5)))
        if len(_digests) >= 16384:  # bounded, as the Windows mapping's memo tables
            _digests.clear()
        _digests[key] = known
    fields.update(known)


def image_path(folder: str | None, name: str | None) -> str | None:
    r"""A file's full path from MDE's ``FolderPath`` and ``FileName``.

    ``FolderPath`` holds the whole path, file name included, in the rows MDE
    writes; a row whose folder does not end in its file name (an export that
    cut it) gets the name joined on.

    >>> image_path("C:\\Windows\\System32\\cmd.exe", "cmd.exe"), image_path("C:\\Windows", "cmd.exe")
    ('C:\\Windows\\System32\\cmd.exe', 'C:\\Windows\\cmd.exe')
    """
    if folder is None:
        return name
    if name is None or basename(folder) == name.lower():
        return folder
    separator = "/" if "/" in folder and "\\" not in folder else "\\"
    return folder.rstrip("\\/") + separator + name


def additional_fields(value: object) -> dict[str, Any]:
    """``AdditionalFields`` as an object: Log Analytics gives one, the other shapes a JSON string.

    A string that is no JSON object (or longer than :data:`ADDITIONAL_CHARS`) gives ``{}``:
    it stays in the raw record, and the row's columns are still read.
    """
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.startswith("{") or len(value) > ADDITIONAL_CHARS:
        return {}
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def put_process(
    fields: Fields, row: Row, prefix: str, columns: tuple[str, str, str, str, str, str, str]
) -> None:
    """``<prefix>executable/name/pid/command_line/hash.*`` from one process's columns."""
    folder_key, name_key, pid_key, command_key, sha256_key, sha1_key, md5_key = columns
    name = text_of(row, name_key)
    path = image_path(text_of(row, folder_key), name)
    if path is not None:
        fields[prefix + "executable"] = path
        fields[prefix + "name"] = basename(path)
    pid = pid_of(row, pid_key)
    if pid is not None:
        fields[prefix + "pid"] = pid
    command = text_of(row, command_key)
    if command is not None:
        fields[prefix + "command_line"] = command
    put_digests(fields, prefix, row.get(sha256_key), row.get(sha1_key), row.get(md5_key))


INITIATING = (
    "InitiatingProcessFolderPath", "InitiatingProcessFileName", "InitiatingProcessId",
    "InitiatingProcessCommandLine", "InitiatingProcessSHA256", "InitiatingProcessSHA1", "InitiatingProcessMD5",
)
CREATED = ("FolderPath", "FileName", "ProcessId", "ProcessCommandLine", "SHA256", "SHA1", "MD5")


def account(row: Row, domain_key: str, name_key: str, upn_key: str) -> str | None:
    """The account of a row as the Windows parser writes ``user.name`` (``domain\\name``, first label)."""
    name = text_of(row, name_key)
    if name is not None:
        return user_name(text_of(row, domain_key), name)
    upn = text_of(row, upn_key)
    return user_name(None, upn) if upn is not None else None


def _put_initiating(fields: Fields, row: Row, prefix: str, user_field: str) -> None:
    put_process(fields, row, prefix, INITIATING)
    user = account(row, "InitiatingProcessAccountDomain", "InitiatingProcessAccountName",
                    "InitiatingProcessAccountUpn")
    if user is not None:
        fields[user_field] = user
    parent = text_of(row, "InitiatingProcessParentFileName")
    if parent is not None:
        fields[prefix + "parent.name"] = basename(parent)
    parent_pid = pid_of(row, "InitiatingProcessParentId")
    if parent_pid is not None:
        fields[prefix + "parent.pid"] = parent_pid


_ACTOR_COLUMNS = (
    *INITIATING, "InitiatingProcessAccountDomain", "InitiatingProcessAccountName", "InitiatingProcessAccountUpn",
    "InitiatingProcessParentFileName", "InitiatingProcessParentId",
)
ACTORS = 4096
"""Initiating processes remembered (:func:`put_initiating`); each holds at most :data:`ACTOR_CHARS` of text."""
ACTOR_CHARS = 8192
ACTOR_CHARS_BUDGET = 1 << 20
"""Column text held over all remembered processes: 4,095 actors just under :data:`ACTOR_CHARS`
held 76 MiB (review); with the fields made from it (executable, decoded payload, up to four
bytes a character) this holds some 12 MiB at worst, and thousands of real processes."""
_actors: dict[tuple[str, str, bool, tuple[Any, ...], tuple[type, ...]], Fields] = {}
_actor_chars_held = 0


def put_initiating(fields: Fields, row: Row, prefix: str, user_field: str, decode: bool = False) -> None:
    """The initiating process as ``<prefix>*`` and its account as ``user_field``; its parent's name and pid;
    with ``decode`` its command line's PowerShell payload (:func:`put_decoded`).

    One process acts in many rows (each connection, file, registry value...) with the same
    ``InitiatingProcess*`` columns: their fields are made once and copied (memoised by the
    columns' values, bounded in entries and text, as the Windows mapping's tables).
    """
    values = tuple(map(row.get, _ACTOR_COLUMNS))
    # with the values' classes: 1, 1.0 and True are equal keys but not read alike
    key: tuple[str, str, bool, tuple[Any, ...], tuple[type, ...]] | None = (
        prefix, user_field, decode, values, tuple(map(type, values)))
    try:
        known = _actors.get(key)  # type: ignore[arg-type]
    except TypeError:  # an object or a list in a column: read, not remembered
        known, key = None, None
    if known is None:
        known = {}
        _put_initiating(known, row, prefix, user_field)
        if decode:
            put_decoded(known, known.get("process.command_line"))
        chars = sum(len(v) for v in values if v.__class__ is str)
        if key is not None and chars <= ACTOR_CHARS:
            global _actor_chars_held
            if len(_actors) >= ACTORS or _actor_chars_held + chars > ACTOR_CHARS_BUDGET:
                _actors.clear()
                _actor_chars_held = 0
            _actors[key] = known
            _actor_chars_held += chars
    fields.update(known)


INITIATING_COLUMNS = frozenset(_ACTOR_COLUMNS)
"""The columns every mapper reads (the row's actor); each mapper's own are in
:data:`ingest.parsers.mde_tables.MAPPERS`."""


def put_actor(row: Row, fields: Fields) -> None:
    """The row's initiating process as ``process.*`` (Sysmon's ``Image``), decoded as every command line is."""
    put_initiating(fields, row, "process.", "user.name", decode=True)


# -- DeviceNetworkInfo ----------------------------------------------------------------

LIST_ITEMS = 64
"""Items read of a JSON list column (addresses, DNS answers); the raw record keeps the rest."""


def json_list(value: object) -> list[Any]:
    """A dynamic list column: the list Log Analytics gives, or the JSON text the other shapes give,
    at most :data:`LIST_ITEMS` items; ``[]`` for anything else (text too long, no JSON list)."""
    if isinstance(value, str) and value.startswith("[") and len(value) <= ADDITIONAL_CHARS:
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return []
    return value[:LIST_ITEMS] if isinstance(value, list) else []


def addresses(value: object) -> list[str]:
    """``IPAddresses`` (a JSON list of ``{"IPAddress": ...}``, or its text): the addresses one machine can hold.

    Loopback, link-local, multicast and unspecified addresses are left out:
    every machine has them, so they tell no machine apart.

    >>> addresses('[{"IPAddress":"10.1.2.42","SubnetPrefix":24},{"IPAddress":"fe80::1"},{"IPAddress":"127.0.0.1"}]')
    ['10.1.2.42']
    """
    # An adapter reports the same list in every DeviceNetworkInfo row (each change, and daily):
    # its text is read once (judging an address with ipaddress is most of a row's cost).
    if value.__class__ is str and len(value) <= ADDRESSES_CHARS:  # type: ignore[attr-defined]
        known = _addresses.get(value)  # type: ignore[call-overload]
        if known is None:
            known = _addresses_of(value)
            if len(_addresses) >= ADDRESS_LISTS:
                _addresses.clear()
            _addresses[value] = known  # type: ignore[index]
        return list(known)
    return list(_addresses_of(value))


ADDRESS_LISTS = 1024
"""``IPAddresses`` texts remembered (:func:`addresses`), each at most :data:`ADDRESSES_CHARS` long."""
ADDRESSES_CHARS = 4096
_addresses: dict[str, tuple[str, ...]] = {}


def _addresses_of(value: object) -> tuple[str, ...]:
    found: list[str] = []
    for item in json_list(value):
        text = item.get("IPAddress") if isinstance(item, dict) else item
        ip = canonical_ip(text, strict=False) if isinstance(text, str) else None
        if ip is not None and ip not in found and can_be_a_host(ip):
            address = ipaddress.ip_address(ip)
            if not (address.is_loopback or address.is_link_local):
                found.append(ip)
    return tuple(found)


def mac_address(value: str) -> str:
    """``00-15-5D-0A-01-02`` or ``00155D0A0102`` -> ``00:15:5d:0a:01:02`` (other text lower case)."""
    hex_digits = value.replace("-", "").replace(":", "").replace(".", "").lower()
    if len(hex_digits) == 12 and not hex_digits.strip("0123456789abcdef"):
        return ":".join(hex_digits[i:i + 2] for i in range(0, 12, 2))
    return value.strip().lower()


def network_info(row: Row, fields: Fields) -> list[str]:
    """A ``DeviceNetworkInfo`` row's shared fields, and the addresses the adapter holds (none when it is down)."""
    mac = text_of(row, "MacAddress")
    if mac is not None:
        fields["dhcp.mac"] = mac_address(mac)
    status = text_of(row, "NetworkAdapterStatus")
    if status is not None and status.lower() != "up":
        return []
    return addresses(row.get("IPAddresses"))
