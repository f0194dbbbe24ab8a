"""The layouts of classic Windows event messages: which labels an event's message has, in which order.

A rendered message (:mod:`ingest.parsers.windows_kv`) puts the event's values
after labels, and a value may itself hold lines that look like labels (a
command line, a registry value, a task's XML: whoever wrote the value chose
them).  Read in the order Windows writes them, the labels tell the two apart:
Windows writes every label of its template once, in the template's order, so
a label line that is not a later label of the template is part of the value
before it.  :func:`read_labels` chooses, among the labelled lines, the longest
run in template order; where an attacker's lines give a run as long as the real
one, the later lines win, since a value's lines come before the labels Windows
writes after that value.  After a field Windows writes on one line itself
(:data:`ONE_LINE`: ids, times, hashes, paths, accounts), the run goes on at the
very next label line, so labels of earlier fields forged in a later value
(``Image:`` inside a command line) cannot make a run that skips the real ones.

* **Sysmon** (:data:`SYSMON_FIELDS`): each event id's fields in the order
  Sysmon 15 writes them.  Older Sysmon versions write fewer of them (``User``,
  ``ParentUser`` came last in 13.30), in the same order.
* **Security and System** (:data:`SECURITY_LAYOUTS`): the section titles and
  their labels, in the order of the templates of Windows Server 2008 R2 to
  Windows 11 (4688 with or without ``Target Subject``, 4624 with or without
  ``Logon Information``...); a newer label this table lacks is read as part of
  the value before it.

What an attacker can still do: when every later field of the template is
forged inside a value *and* the host's version writes fewer of them than the
template lists (an older Sysmon without ``ParentUser``), the forged run is the
longer one and wins; labels forged inside a field of :data:`ONE_LINE` (an
image's version strings, the binary's author's) are read as the next fields;
an event whose layout changed (a label added in the middle by a newer Windows
or Sysmon) has that label's line read into the value before it.  A value that
is the message's last (4688's command line) is read up to its first blank line.

This module also holds the header time line that starts a classic event
(:data:`HEADER_TIME`), shared by the parser and the text file reader, and
:func:`end_labels`, the labels after which an event may end, used by the reader
(:mod:`ingest.readers.windows_kv_text`) so a header forged inside a message
does not start an event.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

HEADER_TIME = r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(\.\d{1,9})? ?([AaPp][Mm])?"
"""The header's local time line (``11/29/2026 10:31:02 AM``, maybe with milliseconds, maybe 24-hour)."""

FIRST_KEYS = ("LogName", "EventCode", "SourceName", "ComputerName")
"""The keys Splunk's header starts with after the time line (its versions order them differently)."""

MAX_LABEL_CHARS = 64
"""Longest message label read as a label (Windows' longest, ``Package Name (NTLM only)``, has 24)."""

# Security: "\tLabel:\t\tvalue" (tabs after the colon; Splunk's clean-ups may leave none);
# Sysmon: "Name: value".  Matched on the stripped line, the value is the rest: no backtracking
# over a long value (a lazy value before "\s*$" was quadratic in a run of blanks).
LABEL = re.compile(rf"([A-Za-z][A-Za-z0-9 ()/'._-]{{0,{MAX_LABEL_CHARS - 1}}}):(?=[ \t]|$)")
"""A message label at the start of a stripped line: ``Name:`` then a blank or the line's end."""

REST_LABELS = frozenset({"task content", "task new content"})
"""Labels whose value is the rest of the message (a task's XML: its creator writes every line of it)."""

_SUBJECT = ("Security ID", "Account Name", "Account Domain", "Logon ID")
_LOGON_TAIL = (
    ("Network Information", ("Workstation Name", "Source Network Address", "Source Port")),
    ("Detailed Authentication Information", ("Logon Process", "Authentication Package", "Transited Services",
                                             "Package Name (NTLM only)", "Key Length")),
)
_SERVICE = ("Service Name", "Service File Name", "Service Type", "Service Start Type", "Service Account")

Layout = tuple[tuple[str | None, tuple[str, ...]], ...]

SECURITY_LAYOUTS: dict[tuple[str, int], Layout] = {
    ("security", 4688): (
        ("Creator Subject|Subject", _SUBJECT),
        ("Target Subject", _SUBJECT),
        ("Process Information", ("New Process ID", "New Process Name", "Token Elevation Type", "Mandatory Label",
                                 "Creator Process ID", "Creator Process Name", "Process Command Line")),
    ),
    ("security", 4624): (
        ("Subject", _SUBJECT),
        ("Logon Information", ("Logon Type", "Restricted Admin Mode", "Virtual Account", "Elevated Token")),
        (None, ("Impersonation Level",)),
        ("New Logon", (*_SUBJECT, "Linked Logon ID", "Network Account Name", "Network Account Domain",
                       "Logon GUID")),
        ("Process Information", ("Process ID", "Process Name")),
        *_LOGON_TAIL,
    ),
    ("security", 4625): (
        ("Subject", _SUBJECT),
        (None, ("Logon Type",)),
        ("Account For Which Logon Failed", _SUBJECT[:3]),
        ("Failure Information", ("Failure Reason", "Status", "Sub Status")),
        ("Process Information", ("Caller Process ID", "Caller Process Name")),
        *_LOGON_TAIL,
    ),
    ("security", 4672): (("Subject", _SUBJECT), (None, ("Privileges",))),
    ("security", 4697): (("Subject", _SUBJECT), ("Service Information", _SERVICE)),
    ("security", 4698): (("Subject", _SUBJECT), ("Task Information", ("Task Name", "Task Content"))),
    ("security", 4702): (("Subject", _SUBJECT), ("Task Information", ("Task Name", "Task New Content"))),
    ("system", 7045): ((None, _SERVICE),),
}
"""(channel, event id) -> the message's sections (title, or None for labels of their own) and labels, in order.

A title ``A|B`` is either (Windows 10 renamed 4688's ``Subject`` ``Creator Subject``)."""

_PROCESS = ("RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image")
_REGISTRY = ("RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetObject")
_WMI = ("RuleName", "EventType", "UtcTime", "Operation", "User")
_FILE_BLOCK = ("RuleName", "UtcTime", "ProcessGuid", "ProcessId", "User", "Image", "TargetFilename", "Hashes")

SYSMON_FIELDS: dict[int, tuple[str, ...]] = {
    1: (*_PROCESS, "FileVersion", "Description", "Product", "Company", "OriginalFileName", "CommandLine",
        "CurrentDirectory", "User", "LogonGuid", "LogonId", "TerminalSessionId", "IntegrityLevel", "Hashes",
        "ParentProcessGuid", "ParentProcessId", "ParentImage", "ParentCommandLine", "ParentUser"),
    2: (*_PROCESS, "TargetFilename", "CreationUtcTime", "PreviousCreationUtcTime", "User"),
    3: (*_PROCESS, "User", "Protocol", "Initiated", "SourceIsIpv6", "SourceIp", "SourceHostname", "SourcePort",
        "SourcePortName", "DestinationIsIpv6", "DestinationIp", "DestinationHostname", "DestinationPort",
        "DestinationPortName"),
    4: ("UtcTime", "State", "Version", "SchemaVersion"),
    5: (*_PROCESS, "User"),
    6: ("RuleName", "UtcTime", "ImageLoaded", "Hashes", "Signed", "Signature", "SignatureStatus"),
    7: (*_PROCESS, "ImageLoaded", "FileVersion", "Description", "Product", "Company", "OriginalFileName", "Hashes",
        "Signed", "Signature", "SignatureStatus", "User"),
    8: ("RuleName", "UtcTime", "SourceProcessGuid", "SourceProcessId", "SourceImage", "TargetProcessGuid",
        "TargetProcessId", "TargetImage", "NewThreadId", "StartAddress", "StartModule", "StartFunction",
        "SourceUser", "TargetUser"),
    9: (*_PROCESS, "Device", "User"),
    10: ("RuleName", "UtcTime", "SourceProcessGUID", "SourceProcessId", "SourceThreadId", "SourceImage",
         "TargetProcessGUID", "TargetProcessId", "TargetImage", "GrantedAccess", "CallTrace", "SourceUser",
         "TargetUser"),
    11: (*_PROCESS, "TargetFilename", "CreationUtcTime", "User"),
    12: (*_REGISTRY, "User"),
    13: (*_REGISTRY, "Details", "User"),
    14: (*_REGISTRY, "NewName", "User"),
    15: (*_PROCESS, "TargetFilename", "CreationUtcTime", "Hash", "Contents", "User"),
    16: ("UtcTime", "Configuration", "ConfigurationFileHash"),
    17: ("RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "PipeName", "Image", "User"),
    18: ("RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "PipeName", "Image", "User"),
    19: (*_WMI, "EventNamespace", "Name", "Query"),
    20: (*_WMI, "Name", "Type", "Destination"),
    21: (*_WMI, "Consumer", "Filter"),
    22: ("RuleName", "UtcTime", "ProcessGuid", "ProcessId", "QueryName", "QueryStatus", "QueryResults", "Image",
         "User"),
    23: (*_FILE_BLOCK, "IsExecutable", "Archived"),
    24: (*_PROCESS, "Session", "ClientInfo", "Hashes", "Archived", "User"),
    25: (*_PROCESS, "Type", "User"),
    26: (*_FILE_BLOCK, "IsExecutable"),
    27: _FILE_BLOCK,
    28: (*_FILE_BLOCK, "IsExecutable"),
    29: _FILE_BLOCK,
}
"""Sysmon event id -> its fields in the order Sysmon writes them (its schema, version 15)."""

ONE_LINE = frozenset(label.lower() for label in (
    # Sysmon: ids, GUIDs, times, hashes, paths (no control characters in a Windows path), accounts
    "UtcTime", "ProcessGuid", "ProcessId", "Image", "User", "LogonGuid", "LogonId", "TerminalSessionId",
    "IntegrityLevel", "Hashes", "Hash", "ParentProcessGuid", "ParentProcessId", "ParentImage", "ParentUser",
    "CurrentDirectory", "TargetFilename", "CreationUtcTime", "PreviousCreationUtcTime", "Protocol", "Initiated",
    "SourceIsIpv6", "SourceIp", "SourcePort", "DestinationIsIpv6", "DestinationIp", "DestinationPort",
    "ImageLoaded", "Signed", "SignatureStatus", "SourceProcessGuid", "SourceProcessGUID", "SourceProcessId",
    "SourceThreadId", "SourceImage", "TargetProcessGuid", "TargetProcessGUID", "TargetProcessId", "TargetImage",
    "NewThreadId", "StartAddress", "GrantedAccess", "SourceUser", "TargetUser", "EventType", "QueryStatus",
    "IsExecutable", "Archived", "State", "SchemaVersion", "ConfigurationFileHash",
    # the image's version strings: its author's, but no real binary's hold line breaks, and the run
    # through them decides Image..CommandLine when a command line forges them
    "FileVersion", "Description", "Product", "Company", "OriginalFileName",
    # Security: ids, numbers, codes, the machine's own paths
    "Security ID", "Logon ID", "Linked Logon ID", "Logon GUID", "Logon Type", "New Process ID", "New Process Name",
    "Token Elevation Type", "Mandatory Label", "Creator Process ID", "Creator Process Name",
    "Restricted Admin Mode", "Virtual Account", "Elevated Token", "Impersonation Level", "Process ID",
    "Process Name", "Caller Process ID", "Caller Process Name", "Source Network Address", "Source Port", "Status",
    "Sub Status", "Key Length", "Service Type", "Service Start Type",
))
"""Fields written on one line by Windows or Sysmon, out of anyone else's reach.  A run may skip label lines
(a value's own) only after a field not in this set: after one of these, the next label line is the next
field.  A field missing here is read as before (the longest run); one wrongly here lets a label line inside
its value be read as the next field."""

_ADDED_LAST = frozenset({"User", "ParentUser", "SourceUser", "TargetUser", "Contents"})
"""Fields later Sysmon versions added at the end of a template: an older Sysmon's event ends before them."""


@dataclass(frozen=True)
class Token:
    """One line Windows writes in a message: a section title (``name`` None) or a label and its field."""

    label: str
    name: str | None
    section: str = ""
    one_line: bool = False
    """A value Windows or Sysmon writes itself, never over lines (:data:`ONE_LINE`): the next label line follows it."""


@dataclass(frozen=True)
class Template:
    """A message's lines in order (:class:`Token`), and the token indices of each lower-case label.

    ``valued`` is ``by_label`` without the section titles: the tokens a line with a value may be.
    """

    tokens: tuple[Token, ...]
    by_label: dict[str, tuple[int, ...]] = field(default_factory=dict)
    valued: dict[str, tuple[int, ...]] = field(default_factory=dict)


def sysmon_template(fields: tuple[str, ...]) -> Template:
    """The template of a Sysmon event: one labelled line per field, the label the field's name."""
    return _indexed(tuple(Token(name, name, "", name.lower() in ONE_LINE) for name in fields))


def layout_template(layout: Layout, field_name: Callable[[str, str, set[str]], str]) -> Template:
    """The template of a Security layout; ``field_name(section_title, label, taken)`` names a label's field."""
    tokens: list[Token] = []
    by_label: dict[str, list[int]] = {}
    taken: set[str] = set()
    for title, labels in layout:
        titles = title.split("|") if title else []
        section = titles[0] if titles else ""
        if titles:
            for spelling in titles:  # every spelling of a title is the same line of the template
                by_label.setdefault(spelling.lower(), []).append(len(tokens))
            tokens.append(Token(section, None))
        for label in labels:
            name = field_name(section, label, taken)
            taken.add(name)
            by_label.setdefault(label.lower(), []).append(len(tokens))
            tokens.append(Token(label, name, section, label.lower() in ONE_LINE))
    return _indexed(tuple(tokens), by_label)


def _indexed(tokens: tuple[Token, ...], by_label: dict[str, list[int]] | None = None) -> Template:
    if by_label is None:
        by_label = {}
        for index, token in enumerate(tokens):
            by_label.setdefault(token.label.lower(), []).append(index)
    valued = {label: tuple(index for index in indices if tokens[index].name is not None)
              for label, indices in by_label.items()}
    return Template(tokens, {label: tuple(indices) for label, indices in by_label.items()},
                    {label: indices for label, indices in valued.items() if indices})


def end_labels(channel: str, event_id: int) -> frozenset[str] | None:
    """The labels (as Windows spells them) after which an event's message may end; None when its layout is not known.

    An event ends after its template's last label; for Sysmon also before the fields later
    versions added last (:data:`_ADDED_LAST`); 4688 without command line auditing (Server 2008 R2)
    ends at ``Creator Process ID``; 4104 at ``Path``.

    >>> sorted(end_labels("Microsoft-Windows-Sysmon/Operational", 1))
    ['ParentCommandLine', 'ParentUser']
    >>> end_labels("Security", 4624), end_labels("Application", 1000)
    (frozenset({'Key Length'}), None)
    """
    key = channel_kind(channel)
    if key == "sysmon" and event_id in SYSMON_FIELDS:
        fields = list(SYSMON_FIELDS[event_id])
        ends = {fields[-1]}
        while len(fields) > 1 and fields[-1] in _ADDED_LAST:
            fields.pop()
            ends.add(fields[-1])
        return frozenset(ends)
    if key == "powershell" and event_id == 4104:
        return frozenset({"Path"})
    layout = SECURITY_LAYOUTS.get((key, event_id))
    if layout is None:
        return None
    last = layout[-1][1][-1]
    return frozenset({last, "Creator Process ID"}) if event_id == 4688 else frozenset({last})


def channel_kind(channel: str) -> str:
    """``sysmon``, ``security``, ``system``, ``powershell`` or the lower-case channel: a template key's first part."""
    lowered = channel.strip().lower()
    if "sysmon" in lowered:
        return "sysmon"
    if "powershell" in lowered:
        return "powershell"
    return lowered


def read_labels(lines: list[str], template: Template) -> dict[str, str]:
    """The fields of a message's lines read by its template: the longest run of its labels in template order.

    The first line, the event's description, is not read; each field's value runs to the next
    label of the run (module docstring).

    >>> fields = sysmon_template(("Image", "CommandLine", "User"))
    >>> read_labels(["Process Create:", "Image: a.exe", "CommandLine: a", "User: SYSTEM", "User: CORP\\\\bob"], fields)
    {'Image': 'a.exe', 'CommandLine': 'a\\nUser: SYSTEM', 'User': 'CORP\\\\bob'}
    """
    tokens = template.tokens
    labelled: list[tuple[int, tuple[int, ...], str]] = []  # (line, candidate tokens, value)
    by_label, valued = template.by_label, template.valued
    for index in range(1, len(lines)):  # the first line is the event's description
        text = lines[index].strip()
        found = LABEL.match(text)
        if found is None:
            continue
        value = text[found.end():].strip()
        candidates = (valued if value else by_label).get(found.group(1).lower())  # a title has no value
        if candidates:
            labelled.append((index, candidates, value))
    chain = _in_order(labelled) or _longest_run(labelled, tokens)
    values = {line: value for line, _, value in labelled}
    data: dict[str, str] = {}
    for position, (line, token) in enumerate(chain):
        name = tokens[token].name
        if name is None:
            continue
        if tokens[token].label.lower() in REST_LABELS:
            data[name] = rest_value(values[line], lines[line + 1:])
            continue
        last = position + 1 == len(chain)
        parts = [values[line]]
        for other in lines[line + 1: len(lines) if last else chain[position + 1][0]]:
            if last and not other.strip():
                break  # after the last label, a blank line ends the value: what follows is the explanation
            parts.append(other.rstrip("\r"))
        data[name] = "\n".join(parts).rstrip()
    return data


def _in_order(labelled: list[tuple[int, tuple[int, ...], str]]) -> list[tuple[int, int]] | None:
    """(line, token) of every labelled line when all of them are in template order (a message as Windows wrote
    it, unless a value holds labels), each the nearest later token; else None."""
    chain: list[tuple[int, int]] = []
    previous = -1
    for line, candidates, _ in labelled:
        for token in candidates:
            if token > previous:
                break
        else:
            return None
        chain.append((line, token))
        previous = token
    return chain


def _longest_run(labelled: list[tuple[int, tuple[int, ...], str]], tokens: tuple[Token, ...]) -> list[tuple[int, int]]:
    """(line, token) of the longest run of labelled lines in template order (module docstring of the templates)."""
    count = len(tokens)
    # Longest run in template order, read from the end: best[t] is the longest run starting with
    # token t on a later line, and among equals the one on the latest line, since a value's forged
    # lines come before the labels Windows writes after the value (the rest-of-message label: the
    # earliest, as what follows it is its value).
    # A one-line field (ONE_LINE) is followed by the next label line: forged lines of earlier fields
    # inside a later value cannot make a run that skips the real ones after such a field.
    best: list[tuple[int, int]] = [(0, -1)] * count  # (run length, line) per token
    following: dict[tuple[int, int], tuple[int, int]] = {}
    after: list[tuple[int, int, int]] = [(0, -1, -1)] * (count + 1)  # best (length, line, token) past t
    next_runs: dict[int, int] = {}  # token -> run length, of the label line after this one
    next_line = -1
    for line, candidates, _ in reversed(labelled):
        run = (0, -1, -1)
        for token in range(count - 1, -1, -1):
            after[token + 1] = run
            length, where = best[token]
            if length and (length, where) >= run[:2]:  # on the same line, the nearer token
                run = (length, where, token)
        runs: dict[int, int] = {}
        for token in candidates:
            if tokens[token].one_line:
                # the nearest later token of the next label line, or the run ends here
                then = max((other for other in next_runs if other > token),
                           key=lambda other: (next_runs[other], -other), default=-1)
                length = next_runs[then] + 1 if then >= 0 else 1
                following[(line, token)] = (next_line, then) if then >= 0 else (-1, -1)
            else:
                length = after[token + 1][0] + 1
                following[(line, token)] = (after[token + 1][1], after[token + 1][2])
            runs[token] = length
        for token, length in runs.items():
            if length > best[token][0] or (length == best[token][0] and tokens[token].label.lower() in REST_LABELS):
                best[token] = (length, line)
        next_runs, next_line = runs, line
    # the longest run, and among equals the one starting first (the message's first labels are Windows')
    start = max(((length, -line, -token) for token, (length, line) in enumerate(best) if length),
                default=None)
    chain: list[tuple[int, int]] = []
    at = (-start[1], -start[2]) if start is not None else (-1, -1)
    while at[0] >= 0:
        chain.append(at)
        at = following[at]
    return chain


def rest_value(first: str, lines: list[str]) -> str:
    """A rest-of-message value (a task's XML): every line to the message's end, up to its last ``</Task>``."""
    value = "\n".join([first, *(line.rstrip("\r") for line in lines)]).rstrip()
    end = value.rfind("</Task>")
    # newer Windows write "Other Information:" after the task XML; the XML's creator cannot write
    # past its own closing tag, so the last one closes it
    return value[: end + len("</Task>")] if end >= 0 else value
