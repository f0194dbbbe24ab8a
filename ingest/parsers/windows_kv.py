"""Classic Windows event text: Splunk's ``WinEventLog`` key=value events, read by the Windows mapping.

Splunk's Windows add-on, with ``renderXml = false`` (its default before
``XmlWinEventLog``), writes each event as multi-line text: a header line of
the host's local time (``11/29/2026 10:31:02 AM``, sometimes with
milliseconds), ``Key=Value`` lines (``LogName``, ``EventCode``,
``ComputerName``, ``SourceName``, ``RecordNumber``, ``TaskCategory``...), and
last ``Message=`` with the event's rendered message, over many lines.  The
sourcetypes are ``WinEventLog:Security``,
``WinEventLog:Microsoft-Windows-Sysmon/Operational`` and so on (or
``WinEventLog`` with the channel in ``source``).  :class:`WindowsKvParser`
claims such text (a Splunk ``_raw``, a string record, or a record framed from
a text file by :mod:`ingest.readers.windows_kv_text`) and reads it into the
event data the Windows mapping reads (:func:`~ingest.parsers.windows_events.to_event`),
so the same event as text, as XML and as evtx_dump JSON gives the same
normalised event.

Event data from the message
---------------------------
A value may hold lines of its own (a command line, a registry value, a task's
XML), and whoever wrote it chose them, ``User: NT AUTHORITY\\SYSTEM`` included.
So an event whose layout is known (:data:`TEMPLATES`: every Sysmon event,
4688, 4624, 4625, 4672, 4697, 4698, 4702 and System 7045) is read by its
template (:mod:`ingest.parsers.windows_kv_templates`): its labels are read in
the order Windows writes them, and any other line, whatever it looks like, is
part of the value before it, its line breaks kept.  After the template's last
label read, the value ends at the first blank line (what follows is Windows'
explanation); ``Task Content:`` and ``Task New Content:`` take the rest of the
message, up to the task XML's last ``</Task>``.  An event of no known layout
is read line by line: every labelled line is a field, a repeated name keeps its
first value, and a blank line ends a value; its values are not protected.  In
both, labels are named as follows.

* **Sysmon** (and any message of ``Name: value`` lines): after the title line
  (``Process Create:``), each line is ``Name: value`` and the names are
  already the event-data names (``UtcTime``, ``ProcessGuid``, ``Image``,
  ``CommandLine``...).  A line that is not ``Name: value`` continues the value
  before it (a command line with a line break).
* **Security**: the message is the rendered template: labelled lines
  (``\\tAccount Name:\\t\\tWS01$``) grouped under section titles
  (``Creator Subject:``, ``Target Subject:``, ``New Logon:``...).  Labels repeat
  across sections, so a label is mapped by its section
  (:data:`SECTIONS`: ``Account Name`` is ``SubjectUserName`` under a subject,
  ``TargetUserName`` under ``Target Subject``, ``New Logon`` or ``Account For
  Which Logon Failed``), else by itself (:data:`LABELS`: ``New Process Name`` is
  ``NewProcessName``, ``Creator Process Name`` ``ParentProcessName``, ``Source
  Network Address`` ``IpAddress``, ``Task New Content`` ``TaskContentNew``...),
  else it is the label without its blanks (``Share Name`` -> ``ShareName``, which is Windows' own name for most of
  them), led by its section's when that name was taken already.  An indented
  line with no label continues the value before it (4672's privileges, one a
  line).  A label without a value (Splunk's ``SEDCMD`` clean-ups write
  ``Account Name:`` for ``-``) is an empty value.  The explanation Windows
  appends (``This event is generated when...``) has no labelled lines and is
  not read.
* **PowerShell 4104**: ``Creating Scriptblock text (1 of 1):``, the script,
  then ``ScriptBlock ID:`` and ``Path:``: ``MessageNumber``, ``MessageTotal``,
  ``ScriptBlockText``, ``ScriptBlockId``, ``Path``.

What the text cannot give, so the XML of the same event gives more:
``System.Execution`` (the writer's process id: a 4104's ``process.pid``), the
SIDs where Windows rendered an account name (``Security ID:
CORP\\alice``; no mapped field reads them), and 4625's ``FailureReason`` as
rendered text (``Unknown user name or bad password.``) where the XML has its
message id (``%%2313``).  An unmapped event (``windows:other``) keeps the
message and its data under the names above, which may differ from Windows'.

Time rule
---------
The header is the host's local wall clock and says no zone.

1. Sysmon's ``UtcTime`` dates a Sysmon event (UTC by definition), as for
   every Windows shape;
2. inside a Splunk export (:mod:`ingest.parsers.splunk`), Splunk's ``_time``
   (or HEC ``time``) is the instant Splunk read the header as, in the
   forwarder's zone: when it differs from the header read as UTC by a zone
   offset (a whole number of quarter hours, at most 14 h, to the second), the
   event takes ``_time`` and ``event.timezone`` says the offset
   (``+01:00``); any other difference is no zone, and the next rule applies;
3. otherwise the header is read in ``ParseContext.default_timezone``
   (``graphsiem ingest --timezone``), and a host whose clock
   :mod:`ingest.host_clocks` learnt from its Sysmon events in this text (the
   header beside ``UtcTime``, clock field ``WinEventLogTime``) is dated by that.

A text without a header line is dated by rule 1 or 2 alone, else rejected.

Bounds: a text over :data:`MAX_TEXT_CHARS` characters or :data:`MAX_LINES`
lines is rejected with its size before it is split (the largest real event,
a 4104 block of 32 K characters, is a few hundred lines), a message label
longer than :data:`MAX_LABEL_CHARS` is no label, and a text without
``EventCode`` is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from datetime import UTC, datetime

from graphsiem.model import Event
from ingest.host_clocks import is_zone_offset, offset_text
from ingest.parsers.base import ParseContext, ParseError, Parser, Record
from ingest.parsers.portal_times import twelve_hour
from ingest.parsers.splunk import SPLUNK_TIME
from ingest.parsers.windows_events import to_event
from ingest.parsers.windows_kv_templates import (
    FIRST_KEYS,
    HEADER_TIME,
    LABEL,
    MAX_LABEL_CHARS,
    REST_LABELS,
    SECURITY_LAYOUTS,
    SYSMON_FIELDS,
    Template,
    channel_kind,
    layout_template,
    read_labels,
    rest_value,
    sysmon_template,
)
from ingest.parsers.windows_shapes import WinRecord
from ingest.parsers.windows_time import wall_seconds

NAME = "windows_kv"

EVENT_DATA_LAYOUT = "evtx_json"
"""The Windows shape whose rules the text's event data follow (apart from the envelope, as XML's)."""

CLOCK_FIELD = "WinEventLogTime"
"""The host-clock field (:mod:`ingest.host_clocks`) of the header's local time."""

MAX_TEXT_CHARS = 1 << 20
"""Longest text read (as :data:`ingest.readers.xml_events.MAX_EVENT_BYTES`: several times the largest event)."""

MAX_LINES = 16_384
"""Most lines read in one event's text (a 4104 of 32 K characters is at most a few thousand)."""

_HEADER_TIME = re.compile(HEADER_TIME + r"\s*$")
_SNIFF = re.compile(HEADER_TIME + r"\r?\n(?:" + "|".join(FIRST_KEYS) + ")=")
_SCRIPT_TITLE = re.compile(r"Creating Scriptblock text \((\d+) of (\d+)\):")

_SUBJECT = {"security id": "SubjectUserSid", "account name": "SubjectUserName",
            "account domain": "SubjectDomainName", "logon id": "SubjectLogonId"}
_TARGET = {"security id": "TargetUserSid", "account name": "TargetUserName",
           "account domain": "TargetDomainName", "logon id": "TargetLogonId",
           "linked logon id": "TargetLinkedLogonId", "network account name": "TargetOutboundUserName",
           "network account domain": "TargetOutboundDomainName", "logon guid": "LogonGuid"}

SECTIONS: dict[str, dict[str, str]] = {
    "subject": _SUBJECT,
    "creator subject": _SUBJECT,
    "target subject": _TARGET,
    "new logon": _TARGET,
    "account for which logon failed": _TARGET,
}
"""Section title (lower case) -> its labels' event-data names: where a label means different fields."""

LABELS: dict[str, str] = {
    # 4688
    "new process id": "NewProcessId", "new process name": "NewProcessName",
    "token elevation type": "TokenElevationType", "mandatory label": "MandatoryLabel",
    "creator process id": "ProcessId", "creator process name": "ParentProcessName",
    "process command line": "CommandLine",
    # 4624 / 4625
    "logon type": "LogonType", "restricted admin mode": "RestrictedAdminMode",
    "virtual account": "VirtualAccount", "elevated token": "ElevatedToken",
    "impersonation level": "ImpersonationLevel", "failure reason": "FailureReason",
    "status": "Status", "sub status": "SubStatus", "process id": "ProcessId",
    "process name": "ProcessName", "caller process id": "ProcessId",
    "caller process name": "ProcessName", "workstation name": "WorkstationName",
    "source network address": "IpAddress", "source port": "IpPort",
    "logon process": "LogonProcessName", "authentication package": "AuthenticationPackageName",
    "transited services": "TransmittedServices", "package name (ntlm only)": "LmPackageName",
    "key length": "KeyLength",
    # 4672
    "privileges": "PrivilegeList",
    # 4702: the definition after the update (4698 writes "Task Content", TaskContent by _camel)
    "task new content": "TaskContentNew",
}
"""Message label (lower case) -> event-data name, in any section (Windows' event templates)."""


def is_windows_kv(record: object) -> bool:
    """Text that starts with a classic event header: the time line, then ``LogName=`` (or
    ``EventCode=``, ``SourceName=``, ``ComputerName=``); or with ``LogName=`` itself.

    >>> is_windows_kv("11/29/2026 10:31:02 AM\\nLogName=Security\\nEventCode=4688\\n")
    True
    >>> is_windows_kv("<13>Nov 29 10:31:02 ws01 sshd[1]: x"), is_windows_kv("LogName=Security\\nEventCode=1")
    (False, True)
    """
    if not isinstance(record, str):
        return False
    if record[:1].isdigit():
        return _SNIFF.match(record) is not None
    return record.startswith("LogName=") and "\nEventCode=" in record[:4096]


def _header_time(line: str) -> tuple[str, float] | None:
    """The header's wall time as ``YYYY-MM-DDTHH:MM:SS[.ffffff]`` and as seconds if it were UTC."""
    found = _HEADER_TIME.match(line)
    if found is None:
        return None
    month, day, year, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
    fraction, half = found.group(7) or "", (found.group(8) or "").upper()
    if half:
        clock = twelve_hour(hour, half)
        if clock is None:
            return None
        hour = clock
    try:
        wall = datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - a wall clock, zone unknown
    except ValueError:
        return None
    text = wall.isoformat() + fraction[:7]
    # the wall clock read as if it were UTC: subtracting Splunk's instant gives the zone offset
    seconds = (wall - _EPOCH).total_seconds() + (float(fraction) if fraction else 0.0)
    return text, seconds


_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - naive on purpose: wall clocks compared as UTC


def split_text(text: str) -> tuple[str | None, dict[str, str], str]:
    """The header time line (or None), the ``Key=Value`` header and the message of a classic event.

    >>> split_text("11/29/2026 10:31:02 AM\\nLogName=Security\\nEventCode=4624\\nMessage=An account.\\n\\nSubject:")
    ('11/29/2026 10:31:02 AM', {'LogName': 'Security', 'EventCode': '4624'}, 'An account.\\n\\nSubject:')
    """
    if len(text) > MAX_TEXT_CHARS:
        raise ParseError(f"Windows event text of {len(text)} characters, over the limit of {MAX_TEXT_CHARS}")
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        raise ParseError(f"Windows event text of {lines} lines, over the limit of {MAX_LINES}")
    start = 0
    time_line = None
    if text[:1].isdigit():
        end = text.find("\n")
        time_line = text[: end if end >= 0 else len(text)].rstrip("\r")
        start = end + 1 if end >= 0 else len(text)
    header: dict[str, str] = {}
    message = ""
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        line = text[start:end].rstrip("\r")
        if line.startswith("Message="):
            message = text[start + 8:].rstrip()
            break
        key, equals, value = line.partition("=")
        if equals and key and len(key) <= MAX_LABEL_CHARS and key.isalnum():
            header.setdefault(key, value.strip())
        start = end + 1
    return time_line, header, message


def message_data(message: str, *, flat: bool = False, template: tuple[str, int] | None = None) -> dict[str, str]:
    """The event data of a rendered message: labelled lines read by its template (module docstring).

    Parameters
    ----------
    message : str
        The text after ``Message=``; its first line, the event's description, is not read.
    flat : bool
        Sysmon's layout: every ``Name: value`` line is a field, and a name without a value
        is an empty field, not a section title.  Read so only for an event :data:`TEMPLATES` lacks.
    template : tuple of (str, int), optional
        The event's key in :data:`TEMPLATES` (``("sysmon", 1)``, ``("security", 4688)``): its labels
        are read in the template's order, and any other line, whatever it looks like, is part of the
        value before it (:mod:`ingest.parsers.windows_kv_templates`).  Without one (or for a key
        the table lacks) every labelled line is a field and a repeated name keeps its first value.

    Examples
    --------
    >>> data = message_data("A new process has been created.\\n\\nCreator Subject:\\n\\tAccount Name:\\t\\tWS01$\\n\\n"
    ...                     "Target Subject:\\n\\tAccount Name:\\t\\t-\\n\\nProcess Information:\\n"
    ...                     "\\tNew Process Name:\\tC:\\\\w\\\\cmd.exe\\n\\tProcess Command Line:\\tcmd /c whoami")
    >>> data["SubjectUserName"], data["TargetUserName"], data["NewProcessName"], data["CommandLine"]
    ('WS01$', '-', 'C:\\\\w\\\\cmd.exe', 'cmd /c whoami')
    >>> message_data("Process Create:\\nRuleName:\\nUtcTime: 2026-11-29 10:31:02.123\\nImage: C:\\\\a.exe", flat=True)
    {'RuleName': '', 'UtcTime': '2026-11-29 10:31:02.123', 'Image': 'C:\\\\a.exe'}
    >>> message_data("Process Create:\\nImage: C:\\\\a.exe\\nCommandLine: a\\nUser: SYSTEM\\nUser: CORP\\\\bob",
    ...              template=("sysmon", 1))
    {'Image': 'C:\\\\a.exe', 'CommandLine': 'a\\nUser: SYSTEM', 'User': 'CORP\\\\bob'}
    """
    lines = message.split("\n")
    known = TEMPLATES.get(template) if template is not None else None
    if known is not None:
        return read_labels(lines, known)
    return _loose_data(lines, flat=flat)


def _loose_data(lines: list[str], *, flat: bool) -> dict[str, str]:
    """The fields of a message of no known template: every labelled line, a repeated name keeping its first value.

    An unknown event's values are not protected: a line inside a value that looks like
    ``Label: value`` is read as a field when its name is not taken yet.
    """
    parts: dict[str, list[str]] = {}
    section_name = ""
    last: str | None = None
    for index in range(1, len(lines)):  # the first line is the event's description ("Process Create:")
        line = lines[index]
        text = line.strip()
        if not text:
            last = None  # a blank line ends a value's continuation lines
            continue
        found = LABEL.match(text)
        if found is None:
            if last is not None:
                parts[last].append(text)  # 4672's privileges one a line; a command line's line break
            continue
        label = found.group(1)
        value = text[found.end():].strip()
        indented = line[:1] in " \t"
        if flat:
            name = label if " " not in label else _camel(label)
        elif not indented and not value:
            # a section title ("Creator Subject:"): its labels are read by it; 4662 writes "Subject :"
            section_name, last = label.rstrip(), None
            continue
        else:
            if not indented:
                # a label of its own between sections (4625's "Logon Type:"), ending the one before
                section_name = ""
            name = _field_name(section_name, label, parts)
        if label.lower() in REST_LABELS and name not in parts:
            return {key: "\n".join(value_parts) for key, value_parts in parts.items()} | {
                name: rest_value(value, lines[index + 1:])}
        if name not in parts:
            parts[name] = [value]
            last = name
        else:
            last = None  # a repeated name keeps its first value, and no continuation joins it
    return {name: "\n".join(value_parts) for name, value_parts in parts.items()}


def _field_name(section: str, label: str, taken: Container[str]) -> str:
    """A label's event-data name: by its section, else by itself, else without blanks; a name
    already ``taken`` in a section no table names is prefixed with the section's."""
    key = label.lower()
    table = SECTIONS.get(section.lower())
    name = (table.get(key) if table is not None else None) or LABELS.get(key) or _camel(label)
    return _camel(section) + name if name in taken and section else name


def _camel(label: str) -> str:
    """``Share Name`` -> ``ShareName``: Windows' event-data names are most labels without their blanks."""
    return "".join(word[:1].upper() + word[1:] for word in _NOT_WORD.split(label) if word)


_NOT_WORD = re.compile(r"[^A-Za-z0-9]+")

TEMPLATES: dict[tuple[str, int], Template] = {
    **{("sysmon", code): sysmon_template(fields) for code, fields in SYSMON_FIELDS.items()},
    **{key: layout_template(layout, _field_name) for key, layout in SECURITY_LAYOUTS.items()},
}
"""(channel kind, event id) -> the message's template (:mod:`ingest.parsers.windows_kv_templates`)."""


def script_data(message: str) -> dict[str, str] | None:
    """4104's event data from its message, or None when it is not that message.

    >>> script_data("Creating Scriptblock text (1 of 2):\\nGet-Date\\n\\nScriptBlock ID: 7c\\nPath: C:\\\\a.ps1")
    {'MessageNumber': '1', 'MessageTotal': '2', 'ScriptBlockText': 'Get-Date', 'ScriptBlockId': '7c', 'Path': 'C:\\\\a.ps1'}
    """
    found = _SCRIPT_TITLE.match(message)
    if found is None:
        return None
    body = message[found.end():].lstrip("\r").removeprefix("\n")
    marker = body.rfind("ScriptBlock ID:")
    if marker < 0:
        return None
    tail = body[marker:].splitlines()
    data = {"MessageNumber": found.group(1), "MessageTotal": found.group(2),
            "ScriptBlockText": body[:marker].rstrip("\r\n"),
            "ScriptBlockId": tail[0][len("ScriptBlock ID:"):].strip()}
    for line in tail[1:]:
        if line.startswith("Path:"):
            data["Path"] = line[5:].strip()
    return data


def _splunk_instant(context: ParseContext, wall_utc: float | None) -> float | None:
    """Splunk's time of the event when it is the header's wall clock in some zone (rule 2), else None."""
    indexed = context.extras.get(SPLUNK_TIME)
    if not isinstance(indexed, float | int):
        return None
    if wall_utc is None:
        return float(indexed)
    # within a second: Splunk's rounding
    return float(indexed) if is_zone_offset(wall_utc - indexed) else None


def parse_text(text: str, context: ParseContext) -> Event:
    """The normalised event of one classic event text (module docstring); :class:`ParseError` says why not."""
    time_line, header, message = split_text(text)
    code = header.get("EventCode", "")
    if not code.isdigit() or len(code) > 5:
        raise ParseError(f"Windows event text without a numeric EventCode (got {code[:20]!r})")
    event_id = int(code)
    channel = header.get("LogName", "")
    data = script_data(message) if event_id == 4104 else None
    if data is None:
        data = message_data(message, flat="sysmon" in channel.lower(), template=(channel_kind(channel), event_id))
    wall = _header_time(time_line) if time_line is not None else None
    if time_line is not None and wall is None:
        raise ParseError(f"Windows event text with an unreadable header time {time_line[:40]!r}")
    wall_text, wall_utc = wall if wall is not None else (None, None)
    instant = _splunk_instant(context, wall_utc)
    utc = wall_seconds(data.get("UtcTime"))
    if wall_text is None and instant is None and utc is None:
        raise ParseError("Windows event text without a header time, a UtcTime or Splunk's time")
    # rule 3's host clock: not for an event Splunk dates (rule 2), which a host clock would date
    # again at the batch's end; a Sysmon event (rule 1) teaches it
    clock = CLOCK_FIELD if wall_text is not None and (instant is None or utc is not None) else None
    record_time = wall_text if wall_text is not None else _utc_text(instant)
    win = WinRecord(  # positional (see WinRecord): channel, event_id, computer, data, time, message, pid, clock
        channel, event_id, header.get("ComputerName") or None, data, record_time, message or None, None,
        clock, wall_text, None, header.get("RecordNumber"),
    )
    event = to_event(win, source=EVENT_DATA_LAYOUT, context=context, raw=text, mapped_message=False)
    event.source = NAME
    if instant is not None and (utc is None or utc != event.ts):
        # rule 2, unless a Sysmon UtcTime dated the event (rule 1)
        event.ts = instant
        if wall_utc is not None:
            event.fields["event.timezone"] = offset_text(wall_utc - instant)
    return event


def _utc_text(instant: float | None) -> str | None:
    """Splunk's instant as zoned ISO text: the record time of a text without a header."""
    return None if instant is None else datetime.fromtimestamp(instant, UTC).isoformat()


class WindowsKvParser:
    """Classic Windows event text (Splunk ``WinEventLog``) -> its normalised event (module docstring)."""

    name = NAME
    sniff_reads_values = False
    """Text only: no JSON object is ever claimed (:mod:`ingest.parsers.base`)."""

    def sniff(self, record: Record) -> bool:
        """Text that starts with a classic event header (:func:`is_windows_kv`); never raises."""
        return is_windows_kv(record)

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """The one normalised event of the text; :class:`ParseError` says what is wrong with it."""
        if not isinstance(record, str):
            raise ParseError(f"{NAME} expects the text of a classic Windows event, got {type(record).__name__}")
        yield parse_text(record, context)


def parsers() -> list[Parser]:
    """The parser this module provides."""
    return [WindowsKvParser()]
