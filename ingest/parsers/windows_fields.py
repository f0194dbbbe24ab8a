"""Value helpers of the Windows mapping: read event-data values, set normalised fields.

Used by the mappers of :mod:`ingest.parsers.windows_events` (``windows_sysmon*``,
``windows_security``, ``windows_powershell``); each setter writes only what the
record holds, normalised by :mod:`ingest.normalize`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from ingest.normalize import (
    UNSET_TEXT,
    digest_fields,
    ip_or_none,
    normalize_user,
    parse_int,
    split_hashes,
)
from ingest.parsers.base import ParseError
from ingest.powershell import decode_powershell_command

Fields = dict[str, Any]
Data = Mapping[str, Any]
Mapper = Callable[[Data, Fields], str]
"""A mapper of one event id: sets ``fields`` from the event data, returns the event kind."""


UNSET_LONGEST = max(map(len, UNSET_TEXT))
"""Length of the longest "absent" text: a longer value is set without the membership test, which
would hash the whole text (a 700-character Sysmon 10 ``CallTrace``, a 5 KB 4103 ``ContextInfo``)."""


def value_of(data: Data, key: str) -> Any:
    """``data[key]`` when present and set, else ``None`` (:func:`first_set` for one key).

    The mapping reads one key per value tens of times per event: this is
    ``is_unset`` inlined, without the loop over a ``*keys`` tuple.
    """
    value = data.get(key)
    if value is None or (isinstance(value, str) and len(value) <= UNSET_LONGEST and value in UNSET_TEXT):
        return None
    return value


def first_set(data: Data, *keys: str) -> Any:
    """The first present, set value among ``keys`` (shapes spell some names differently)."""
    for key in keys:
        value = data.get(key)
        if value is not None and not (isinstance(value, str) and value in UNSET_TEXT):
            return value
    return None


# Process-wide memo tables of the mapping.  Images, process GUIDs, pid texts
# and Sysmon ``Hashes`` values recur across events (every event of one
# process, every load of one DLL), so each is normalised once.  Bounded in
# entries and in key length (input is attacker-influenced): a full table is
# cleared, a long value is normalised without being remembered, so a table
# stays near 10 MB at most.  The five OTRF Windows files need 415 basenames,
# 215 GUIDs, 461 hash values and 236 pid texts.
_MEMO_LIMIT = 16384
_MEMO_KEY_CHARS = 512
_basenames: dict[str, str] = {}
_guids: dict[str, str] = {}
_hash_fields: dict[str, dict[str, dict[str, str]]] = {}  # prefix -> Hashes text -> fields (no key tuple per event)
_pids: dict[str, int] = {}
_users: dict[tuple[object, object], str] = {}


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
    """:func:`ingest.normalize.normalize_user` of a Windows event's account, memoised; None when unset."""
    if name is None or (isinstance(name, str) and name in UNSET_TEXT):
        return None
    # Accounts recur in every event of a session: each spelling is normalised once.
    memo = name.__class__ is str and (domain is None or domain.__class__ is str)
    if memo:
        known = _users.get((domain, name))
        if known is not None:
            return known
    user = normalize_user(domain, name, first_label=True)
    if memo:
        _remember(_users, (domain, name), f"{domain or ''}{name}", user)
    return user


ProcessSetter = Callable[[Fields, Data], None]


def process_setter(
    prefix: str,
    image_key: str,
    pid_key: str,
    guid_keys: tuple[str, ...] = (),
    command_key: str | None = None,
    user_key: str | None = None,
) -> ProcessSetter:
    """A setter of ``<prefix>executable/name/pid/guid[/command_line]`` from one process's keys.

    The mapping sets a process from fixed keys in every Sysmon and Security
    event; a setter made once per key set holds its field names and keys
    itself and reads each value inline (the ``value_of``/``parse_pid`` rules),
    where a general function took seven arguments and made five calls.

    Parameters
    ----------
    prefix : str
        Field-name prefix, ``"process."``, ``"process.parent."``, ``"target.process."``.
    image_key, pid_key : str
        Event-data keys of the image path and the process id.
    guid_keys : tuple of str
        Keys of the process GUID, first set one wins (spellings differ by shape).
    command_key : str, optional
        Key of the command line.
    user_key : str, optional
        Key of the account name, set last as ``user.name`` (``user_name(None, value)``).

    Returns
    -------
    callable
        ``setter(fields, data)``; raises :class:`ParseError` naming ``pid_key``
        when the process id is malformed.

    Examples
    --------
    >>> fields = {}
    >>> put = process_setter("process.", "Image", "ProcessId", ("ProcessGuid",))
    >>> put(fields, {"Image": "X.EXE", "ProcessId": "42", "ProcessGuid": "{AB-CD}"})
    >>> fields
    {'process.executable': 'X.EXE', 'process.name': 'x.exe', 'process.pid': 42, 'process.guid': 'ab-cd'}
    """
    executable, name, pid_name, guid_name, command_name = (
        prefix + "executable", prefix + "name", prefix + "pid", prefix + "guid", prefix + "command_line",
    )

    def put(fields: Fields, data: Data) -> None:
        image = data.get(image_key)
        if image is not None and not (isinstance(image, str) and image in UNSET_TEXT):
            image = str(image)
            fields[executable] = image
            short = _basenames.get(image)
            fields[name] = short if short is not None else basename(image)
        pid = data.get(pid_key)
        if pid is not None:
            if pid.__class__ is str:
                number = _pids.get(pid)
                if number is None:
                    number = parse_pid(pid, pid_key)
                    if number is not None:
                        _remember(_pids, pid, pid, number)
            else:
                number = parse_pid(pid, pid_key)
            if number is not None:
                fields[pid_name] = number
        for key in guid_keys:
            guid = data.get(key)
            if guid is not None and not (isinstance(guid, str) and guid in UNSET_TEXT):
                known = _guids.get(guid) if guid.__class__ is str else None
                fields[guid_name] = known if known is not None else normalize_guid(guid)
                break
        if command_key is not None:
            command = data.get(command_key)
            # a command line is hashed by nothing else: only a short one is tested (UNSET_LONGEST)
            if command is not None and not (
                isinstance(command, str) and len(command) <= UNSET_LONGEST and command in UNSET_TEXT
            ):
                fields[command_name] = str(command)
        if user_key is not None:
            user = data.get(user_key)
            if user is not None and not (isinstance(user, str) and user in UNSET_TEXT):
                known = _users.get((None, user)) if user.__class__ is str else None
                fields["user.name"] = known if known is not None else user_name(None, user)

    return put


def put_hashes(fields: Fields, prefix: str, value: object) -> None:
    """``<prefix>hash.<algorithm>`` from a Sysmon ``Hashes`` value."""
    if value is None or (isinstance(value, str) and value in UNSET_TEXT):
        return
    text = str(value)
    by_text = _hash_fields.get(prefix)
    if by_text is None:
        by_text = _hash_fields[prefix] = {}  # a few prefixes (process., file., file.stream.)
    named = by_text.get(text)
    if named is None:
        named = digest_fields(prefix, split_hashes(text).items())
        _remember(by_text, text, text, named)
    fields.update(named)  # one C call instead of a loop over four pairs


# A session's PowerShell host command line repeats in every 4103 event and in
# its children's parent command lines; decoding a multi-KB stager each time
# dominated the parse cost of such files.  Bounded: at most 1024 entries.
_decode_short = lru_cache(maxsize=1024)(decode_powershell_command)
_LONG_COMMAND = 256
_LONG_COMMANDS = 256
_long_decoded: dict[tuple[int, str, str, str | None], tuple[str, str | None]] = {}


def _decode_cached(text: str, image: str | None) -> str | None:
    """:func:`~ingest.powershell.decode_powershell_command`, memoised.

    A long command line (a stager's, 5 KB in the 4103 events that repeat it)
    is looked up by its length and ends and then compared whole: the
    ``lru_cache`` key hashed the whole text of every event, which cost more
    than the comparison of a hit.
    """
    if len(text) <= _LONG_COMMAND:
        return _decode_short(text, image)
    key = (len(text), text[:64], text[-64:], image)
    known = _long_decoded.get(key)
    if known is not None and known[0] == text:
        return known[1]
    decoded = decode_powershell_command(text, image)
    if len(_long_decoded) >= _LONG_COMMANDS:
        _long_decoded.clear()
    _long_decoded[key] = (text, decoded)
    return decoded


def put_decoded(fields: Fields, command: object) -> None:
    """``process.command_line_decoded`` when ``command`` carries a PowerShell ``-EncodedCommand`` payload.

    For any image: a renamed copy of PowerShell runs the payload too; the
    event's ``process.executable`` only decides how strict the check of the
    decoded text is (:func:`ingest.powershell.decode_powershell_command`).
    ``command`` stays as it is; the decoded text goes beside it.
    """
    if command is None:
        return
    executable = fields.get("process.executable")
    image = None if executable is None else str(executable)
    text = str(command)
    # cheap guard: every switch spelling starts with "-", "/" or a dash and an "e"
    if (
        "-e" not in text and "-E" not in text and "/e" not in text and "/E" not in text
        and "\u2013" not in text and "\u2014" not in text and "\u2015" not in text
    ):
        return
    decoded = _decode_cached(text, image)
    if decoded is not None:
        fields["process.command_line_decoded"] = decoded


def decoded_command(command: str) -> str | None:
    """The script of a PowerShell ``-EncodedCommand`` in a command line that is no process's yet
    (a service's ``ImagePath``, a WMI consumer's command), or ``None``.

    A leading ``%COMSPEC%`` is read as ``cmd.exe``, which it expands to when
    the service or consumer starts (the service a PsExec-style tool installs:
    ``%COMSPEC% /b /c start /b /min powershell -nop -w hidden -enc ...``).

    >>> decoded_command("%COMSPEC% /c start /min powershell -nop -enc SQBFAFgA")
    'IEX'
    """
    text = command.strip()
    if text[:9].upper() == "%COMSPEC%":
        text = "cmd.exe" + text[9:]
    return _decode_cached(text, None)


def put_file(fields: Fields, path: object) -> None:
    """``file.path`` as written and ``file.name`` lower case."""
    if path is None or (isinstance(path, str) and path in UNSET_TEXT):
        return
    text = str(path)
    fields["file.path"] = text
    name = _basenames.get(text)
    fields["file.name"] = name if name is not None else basename(text)


def put_user(fields: Fields, user: str | None) -> None:
    """``user.name`` when known."""
    if user is not None:
        fields["user.name"] = user


def put_ip(fields: Fields, key: str, value: object) -> None:
    """``key`` = canonical IP; a malformed address is skipped (the raw record keeps it)."""
    # Lenient: a malformed address is not a reason to lose the event.
    if value is None:
        return
    ip = ip_or_none(str(value))  # canonical_ip(.., strict=False), memoised: addresses recur
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


# -- unmapped events: their event data as fields ---------------------------------

EVENT_DATA_SOURCES = frozenset(("winlogbeat", "evtx_json"))
"""Shapes whose event data is apart from the envelope; the others (NXLog, Sentinel, ``@cee``) are flat."""
_ENVELOPE_KEYS = frozenset((
    # NXLog (also behind Logstash)
    "EventTime", "EventReceivedTime", "Hostname", "Keywords", "EventType", "SeverityValue", "Severity",
    "EventID", "SourceName", "ProviderGuid", "Version", "Task", "OpcodeValue", "Opcode", "RecordNumber",
    "ActivityID", "RelatedActivityID", "ThreadID", "Channel", "Message", "Category", "SourceModuleName",
    "SourceModuleType", "TimeCreated", "ExecutionProcessID", "ExecutionThreadID", "Domain", "AccountName",
    "UserID", "AccountType", "Level", "LevelValue", "EventTypeOrignal", "ERROR_EVT_UNRESOLVED",
    "@timestamp", "@version", "host", "tags", "port", "type",
    # Azure Sentinel
    "TimeGenerated", "Computer", "MG", "ManagementGroupName", "Type", "_ResourceId", "TenantId",
    "SourceSystem", "EventSourceName", "Activity", "SourceComputerId", "EventOriginId", "TimeCollected",
    "EventLog", "EventLevel", "EventLevelName", "RenderedDescription", "EventCategory", "EventData",
    "ParameterXml", "HostCustomEntity", "AccountCustomEntity", "timestamp",
    # @cee (EvntSLog)
    "source", "nteventlogtype", "id", "msg",
))
"""Keys of the flat shapes that are the record's envelope, not event data."""
EVENT_DATA_FIELDS = 32
"""Event-data values kept per unmapped event (the raw record keeps them all)."""
EVENT_DATA_CHARS = 1024
"""Characters kept of one value (a 4698 task's XML is longer; the raw record keeps it whole)."""
_COMMAND_DATA = ("ImagePath", "ServiceFileName")
"""Event data that is a command line to be run (System 7045, Security 4697 services): decoded when it
carries a PowerShell ``-EncodedCommand``."""
_COMMAND_FIELDS = tuple((f"winlog.event_data.{key}", f"winlog.event_data.{key}_decoded") for key in _COMMAND_DATA)
_data_fields: tuple[dict[Any, str], dict[Any, str]] = ({}, {})
"""Per shape kind (event data apart, flat), key -> field name, ``""`` for a key that is no event data."""


def keep_event_data(fields: Fields, data: Data, *, flat: bool) -> None:
    """``winlog.event_data.<Name>`` for the text and number values of an unmapped event, bounded.

    ``flat`` says the event data shares its mapping with the record's envelope
    (NXLog, Sentinel, ``@cee``), whose keys are left out.  The names are
    Windows' own, as Winlogbeat writes them; at most
    :data:`EVENT_DATA_FIELDS` values of at most :data:`EVENT_DATA_CHARS`
    characters, lists and objects left to the raw record.
    """
    kept = 0
    for key, name in _data_plan(data, flat):
        value = data[key]
        if value.__class__ is str:
            # UNSET_TEXT's longest is 7 characters: a long text is never hashed for the test
            if len(value) < 8 and value in UNSET_TEXT:
                continue
            if len(value) > EVENT_DATA_CHARS:
                value = value[:EVENT_DATA_CHARS]
        elif not (value.__class__ is int or value.__class__ is float or value.__class__ is bool):
            continue
        fields[name] = value
        kept += 1
        if kept == EVENT_DATA_FIELDS:
            break
    for field, decoded_field in _COMMAND_FIELDS:
        command = fields.get(field)
        if command.__class__ is str:
            decoded = decoded_command(command)
            if decoded is not None:
                fields[decoded_field] = decoded


_plans: tuple[dict[tuple[Any, ...], tuple[tuple[Any, str], ...]], ...] = ({}, {})
"""Per shape kind (as :data:`_data_fields`) and key layout, the event-data keys and their fields, in order."""
_PLAN_KEYS = 128
"""Keys of the longest layout given a plan: a layout is a key of :data:`_plans`."""
_LAYOUT_KEY_CHARS = 64
"""Longest event-data key a plan or field name is remembered for (event-data names are short): a layout
of long junk keys is judged, not held.  Not :data:`_MEMO_KEY_CHARS`: under that name it rebound the
value memos' bound to 64, so no Sysmon ``Hashes`` value (~200 characters) nor image path over 64
characters was ever remembered (half the Windows parse's digest work, measured)."""


def _data_plan(data: Data, flat: bool) -> Iterable[tuple[Any, str]]:
    """(key, field) of each event-data key of ``data``, in its order.

    A flat record (NXLog, Sentinel) is two thirds envelope: its layout, one of a
    few per source and event, is looked up once instead of each of its
    thirty-odd keys being judged and skipped.
    """
    names = _data_fields[flat]
    if len(data) <= _PLAN_KEYS:
        plans = _plans[flat]
        layout = tuple(data)
        plan = plans.get(layout)
        if plan is None:
            plan = tuple((key, name) for key in layout if (name := _field_of(names, key, flat)))
            # layouts are few and their keys short: bounded in entries and key length against junk input
            if all(key.__class__ is str and len(key) <= _LAYOUT_KEY_CHARS for key in layout):
                if len(plans) >= 1024:
                    plans.clear()
                plans[layout] = plan
        return plan
    return [(key, name) for key in data if (name := _field_of(names, key, flat))]


def _field_of(names: dict[Any, str], key: object, flat: bool) -> str:
    """:func:`_data_field`, judged once per key and shape kind (a quarter of a Windows corpus is unmapped)."""
    name = names.get(key)
    if name is None:
        name = _data_field(key, flat)
        if len(names) < 4096 and (key.__class__ is not str or len(key) <= _LAYOUT_KEY_CHARS):  # bounded against junk
            names[key] = name
    return name


def _data_field(key: object, flat: bool) -> str:
    """The field of an event-data key, ``""`` for an envelope key (flat shapes) or a junk key."""
    if key.__class__ is not str or len(key) > 64 or (flat and key in _ENVELOPE_KEYS):  # type: ignore[arg-type]
        return ""
    return "winlog.event_data." + key  # type: ignore[operator]
