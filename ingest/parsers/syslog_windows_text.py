"""Windows events a syslog forwarder sent as their rendered message text, on one line.

EvntSLog (and forwarders like it) can send a Windows event as its rendered
message with no ``@cee:`` JSON: ``1 2018-03-24T09:06:26-07:00 Kramer.jerry.land
EvntSLog - - - The domain controller attempted to validate the credentials
for an account. Authentication Package: MICROSOFT_AUTHENTICATION_PACKAGE_V1_0
Logon Account: guest Source Workstation: WORKSTATION Error Code: 0x0``.  The
line says no event id, channel or record number, and the message's tabs and
line breaks are gone: one blank between every label and value.

Recognition
-----------
The message's first sentence is its event's title, which Windows writes the
same for every instance (:data:`TITLES`): ``An account was successfully
logged on.`` is Security 4624, and so on for 4624, 4625, 4634, 4672, 4688,
4768, 4769, 4771, 4776 and 1102, when at least one label of the event
follows.  Blanks (and a byte-order mark) before the title are skipped, and a
title may lack its final period (a forwarder's trimming) if a blank or the
message's end follows it.  A message starting with no title, a title alone
(a forwarder's first line) or a line without a HOSTNAME is no Windows event
of this module: the caller keeps what it had (the Zeek parser its
``zeek:syslog`` event, the syslog parser its ``syslog:message``).

English and German titles and labels are known: a German Windows (``Ein
neuer Prozess wurde erstellt.``, ``Kontoname:``) writes the same layout with
its own words, read by the same templates (:mod:`ingest.parsers.syslog_windows_text_de`).
Another language's text stays a syslog message; a German title whose text
gives no label is counted, and the ingest report says how many were not read
(:mod:`ingest.parsers.localized_windows_text`).

Event data
----------
The labels are those of the event's template: for 4624, 4625, 4672 and 4688
the one the classic text reader uses (:data:`ingest.parsers.windows_kv.TEMPLATES`),
for the others the layouts of :data:`OWN_LAYOUTS`, whose labels are named by
the event data Windows' XML gives them (4634's ``Subject`` is ``Target*``,
4776's ``Logon Account`` ``TargetUserName``).  The one-line text is cut into
the lines Windows wrote by finding the template's labels (``Account Name:``
after a blank, ``Network Account Name:`` before its shorter suffix), and
the values between them are read in one pass as
:func:`ingest.parsers.windows_kv_templates.read_labels` reads those lines
(without writing them and reading them again):
in template order, so a label forged inside a value (a client-chosen
workstation name ``x Source Network Address: 6.6.6.6``) loses to the label
Windows wrote after it.  The explanation Windows appends (``This event is
generated when...``; 4688's ``Token Elevation Type indicates...``, the KDC's
``Certificate information is only provided...``) is no part of the last
value, and its first words start it only where no value an attacker writes
can hold them (:mod:`ingest.parsers.syslog_windows_explanations`): a 4688
command line is read whole even when the forwarder cut the message short.

The event data then goes through the Windows mapping every shape uses
(:func:`ingest.parsers.windows_events.to_event`): same kinds, fields and
host rule (the syslog HOSTNAME is the endpoint, as ``@cee``'s ``source``
is).  4776 is mapped there too (``winsec:credential_validation``,
:mod:`ingest.parsers.windows_security`), as a Windows record's is.

Time: the syslog header's (RFC 5424 carries a zone); a NILVALUE timestamp
takes a live source's receipt time, else the event cannot be dated (the
syslog rule, docs/fields.md "Syslog time").

Trust: as with ``@cee``, the line is the sender's word (plain syslog is
unauthenticated): whoever can send to the collector can write any event for
any HOSTNAME.  What the template order protects is the event's own values
from one another (a workstation name cannot move the source address).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from graphsiem.model import Event
from ingest.normalize import normalize_host
from ingest.parsers.base import ParseContext, Record
from ingest.parsers.syslog_antivirus import AV_DETECTION, antivirus_fields, may_be_antivirus
from ingest.parsers.syslog_header import _base_fields, _Header, _header_time, _without_time
from ingest.parsers.syslog_windows_explanations import explanation_start
from ingest.parsers.syslog_windows_text_de import (
    GERMAN_LABELS,
    GERMAN_TITLES,
    german_explanation_start,
)
from ingest.parsers.syslog_windows_values import read_values
from ingest.parsers.windows_events import to_event
from ingest.parsers.windows_kv import EVENT_DATA_LAYOUT, MAX_TEXT_CHARS, TEMPLATES
from ingest.parsers.windows_kv_templates import (
    REST_LABELS,
    Layout,
    Template,
    layout_template,
)
from ingest.parsers.windows_security import CREDENTIAL_VALIDATION
from ingest.parsers.windows_shapes import WinRecord
from ingest.parsers.windows_time import checked_time

__all__ = [
    "CREDENTIAL_VALIDATION", "OWN_LAYOUTS", "TITLES", "WINDOWS_FORWARDERS", "event_data", "may_be_windows_text",
    "sent_by_windows_forwarder", "windows_text_event",
]

WINDOWS_FORWARDERS = frozenset({"evntslog"})
"""APP-NAMEs (lower case) of agents that run on a Windows host and send its event log: their line's
HOSTNAME is that host, whatever its message says (a relay keeps the originator's HOSTNAME and APP-NAME)."""

CHANNEL = "Security"
"""The channel of every event :data:`TITLES` recognises (the text does not say it)."""


TITLES: dict[str, int] = {
    "An account was successfully logged on.": 4624,
    "An account failed to log on.": 4625,
    "An account was logged off.": 4634,
    "Special privileges assigned to new logon.": 4672,
    "A new process has been created.": 4688,
    "A Kerberos authentication ticket (TGT) was requested.": 4768,
    "A Kerberos service ticket was requested.": 4769,
    "Kerberos pre-authentication failed.": 4771,
    # a domain controller's wording (Server 2008 and 2012), then a member's and later DCs'
    "The domain controller attempted to validate the credentials for an account.": 4776,
    "The computer attempted to validate the credentials for an account.": 4776,
    "The audit log was cleared.": 1102,
}
"""A Security event's title, the first sentence of its rendered message -> its event id."""

_NamedLayout = tuple[tuple[str | None, tuple[tuple[str, str], ...]], ...]

_KDC_NETWORK = ("Network Information", (("Client Address", "IpAddress"), ("Client Port", "IpPort")))
_CERTIFICATE = ("Certificate Information", (("Certificate Issuer Name", "CertIssuerName"),
                                            ("Certificate Serial Number", "CertSerialNumber"),
                                            ("Certificate Thumbprint", "CertThumbprint")))

OWN_LAYOUTS: dict[int, _NamedLayout] = {
    # 4634's rendered "Subject" is the account logged off: its XML names it Target*
    4634: (
        ("Subject", (("Security ID", "TargetUserSid"), ("Account Name", "TargetUserName"),
                     ("Account Domain", "TargetDomainName"), ("Logon ID", "TargetLogonId"))),
        (None, (("Logon Type", "LogonType"),)),
    ),
    4768: (
        ("Account Information", (("Account Name", "TargetUserName"), ("Supplied Realm Name", "TargetDomainName"),
                                 ("User ID", "TargetSid"))),
        ("Service Information", (("Service Name", "ServiceName"), ("Service ID", "ServiceSid"))),
        _KDC_NETWORK,
        ("Additional Information", (("Ticket Options", "TicketOptions"), ("Result Code", "Status"),
                                    ("Ticket Encryption Type", "TicketEncryptionType"),
                                    ("Pre-Authentication Type", "PreAuthType"))),
        _CERTIFICATE,
    ),
    4769: (
        ("Account Information", (("Account Name", "TargetUserName"), ("Account Domain", "TargetDomainName"),
                                 ("Logon GUID", "LogonGuid"))),
        ("Service Information", (("Service Name", "ServiceName"), ("Service ID", "ServiceSid"))),
        _KDC_NETWORK,
        ("Additional Information", (("Ticket Options", "TicketOptions"),
                                    ("Ticket Encryption Type", "TicketEncryptionType"), ("Failure Code", "Status"),
                                    ("Transited Services", "TransmittedServices"))),
    ),
    4771: (
        ("Account Information", (("Security ID", "TargetSid"), ("Account Name", "TargetUserName"))),
        ("Service Information", (("Service Name", "ServiceName"),)),
        _KDC_NETWORK,
        ("Additional Information", (("Ticket Options", "TicketOptions"), ("Failure Code", "Status"),
                                    ("Pre-Authentication Type", "PreAuthType"))),
        _CERTIFICATE,
    ),
    4776: (
        (None, (("Authentication Package", "PackageName"), ("Logon Account", "TargetUserName"),
                ("Source Workstation", "Workstation"), ("Error Code", "Status"))),
    ),
    1102: (
        ("Subject", (("Security ID", "SubjectUserSid"), ("Account Name", "SubjectUserName"),
                     ("Domain Name", "SubjectDomainName"), ("Logon ID", "SubjectLogonId"))),
    ),
}
"""Event id -> the message's sections (title, or None for labels of their own) of (label, event-data name),
in Windows' order: the events :data:`ingest.parsers.windows_kv.TEMPLATES` has no template for."""


@dataclass(frozen=True)
class _TextLayout:
    """How to read one event's one-line text: its template, and its labels (and section titles) in
    lower case by their last word, the longest first."""

    template: Template
    by_last_word: dict[str, tuple[str, ...]]


def _named_template(layout: _NamedLayout) -> Template:
    """The template of a named layout (:data:`OWN_LAYOUTS`): each label's field is the name it lists."""
    names = {(title or "", label): name for title, pairs in layout for label, name in pairs}
    plain: Layout = tuple((title, tuple(label for label, _ in pairs)) for title, pairs in layout)
    return layout_template(plain, lambda section, label, _taken: names[(section, label)])


def _text_layout(template: Template) -> _TextLayout:
    """A template and what finds its labels (and section titles) in one-line text."""
    by_last_word: dict[str, list[str]] = {}
    for label in sorted(template.by_label, key=len, reverse=True):
        by_last_word.setdefault(label.rpartition(" ")[2], []).append(label)
    return _TextLayout(template, {word: tuple(labels) for word, labels in by_last_word.items()})


def _labels_in(text: str, layout: _TextLayout) -> list[tuple[int, int, str]]:
    """(start, end after the colon, label as written) of each of the layout's labels in ``text``.

    ``text`` has single blanks (see :func:`event_data`).  A label is the longest of the layout's
    labels that ends at a colon followed by a blank (or the text's end) and starts the text or
    follows a blank: ``Network Account Name:`` is not read as ``Account Name:``.  Found from the
    colons, which are few (25 in a 4624), and the word before each, not by trying every label at
    every blank.
    """
    found: list[tuple[int, int, str]] = []
    floor = 0  # a label starts after the one before it
    by_last_word = layout.by_last_word
    for colon in _LABEL_COLON.finditer(text):
        end = colon.start()
        labels = by_last_word.get(text[text.rfind(" ", 0, end) + 1:end].lower())
        if labels is None:
            continue
        for label in labels:
            start = end - len(label)
            if start >= floor and (start == 0 or text[start - 1] == " ") and text[start:end].lower() == label:
                found.append((start, end + 1, text[start:end]))
                floor = end + 1
                break
    return found


_LABEL_COLON = re.compile(r":(?= |$)")

_LAYOUTS: dict[int, _TextLayout] = {
    **{event_id: _text_layout(TEMPLATES[("security", event_id)]) for event_id in (4624, 4625, 4672, 4688)},
    **{event_id: _text_layout(_named_template(layout)) for event_id, layout in OWN_LAYOUTS.items()},
}

# The one-pass reader (syslog_windows_values) reads no rest-of-message value (a task's XML): no layout here has one.
assert not any(label in REST_LABELS for layout in _LAYOUTS.values() for label in layout.template.by_label)



def _german_layout(template: Template) -> tuple[_TextLayout, dict[str, str]]:
    """The layout finding an event's German labels (:data:`GERMAN_LABELS`), and each one's English
    label (lower-case German -> English) to read the lines by ``template``."""
    english: dict[str, str] = {}
    by_label: dict[str, tuple[int, ...]] = {}
    for german, candidates in GERMAN_LABELS.items():
        for candidate in candidates:
            if candidate.lower() in template.by_label:
                english[german.lower()] = candidate
                by_label[german.lower()] = template.by_label[candidate.lower()]
                break
    return _text_layout(Template(template.tokens, by_label, {})), english


_GERMAN_LAYOUTS: dict[int, tuple[_TextLayout, dict[str, str]]] = {
    event_id: _german_layout(layout.template) for event_id, layout in _LAYOUTS.items()}

# a title starts the message: one anchored pattern (most syslog messages fail at their first letters).
# A forwarder may drop a title's final period: the title then ends at a blank or the message's end.
_ALL_TITLES: dict[str, int] = {**TITLES, **GERMAN_TITLES}
_TITLE_RE = re.compile("|".join(
    re.escape(title.removesuffix(".")) + r"(?:\.|(?=\s|$))"
    for title in sorted(_ALL_TITLES, key=len, reverse=True)))
_TITLES_WITHOUT_PERIOD = {title.removesuffix("."): title for title in _ALL_TITLES}
# what a forwarder may put before the title: blanks, tabs, line breaks, a byte-order mark
_LEADING_BLANKS = " \t\r\n\f\v\xa0\ufeff"


def may_be_windows_text(line: str) -> bool:
    """Whether a syslog line may carry a Windows host's text: a title, an antivirus detection's
    marker or a Windows forwarder's name (:data:`WINDOWS_FORWARDERS`) anywhere in it.

    A cheap test before the header is read (the Zeek parser asks it of every ``syslog`` record).

    >>> may_be_windows_text("1 2018-03-24T08:59:54-07:00 dc EvntSLog - - - An account was logged off. Subject:")
    True
    >>> may_be_windows_text("<13>Mar 24 08:59:54 web sshd[42]: Accepted password for bob")
    False
    """
    return _TITLE_RE.search(line) is not None or may_be_antivirus(line) or _FORWARDER_RE.search(line) is not None


_FORWARDER_RE = re.compile(r"\b(?:" + "|".join(WINDOWS_FORWARDERS) + r")\b", re.IGNORECASE)


def sent_by_windows_forwarder(header: _Header) -> bool:
    """Whether a syslog header is a Windows event forwarder's (:data:`WINDOWS_FORWARDERS`) naming its host.

    Such a line's HOSTNAME is the Windows host the forwarder runs on (EvntSLog writes the
    computer's own name there), so even a message no module reads further belongs to that host.
    """
    return bool(header.appname and header.appname.lower() in WINDOWS_FORWARDERS and normalize_host(header.hostname))


def event_data(message: str) -> tuple[int, dict[str, str]] | None:
    """The event id and event data of a rendered message on one line; None without a title or labels after it.

    Parameters
    ----------
    message : str
        The syslog MSG: the title (blanks before it, its final period left out: the same title),
        then labels and values separated by blanks, then perhaps Windows' explanation.

    Examples
    --------
    >>> event_data("The domain controller attempted to validate the credentials for an account. "
    ...            "Authentication Package: MICROSOFT_AUTHENTICATION_PACKAGE_V1_0 Logon Account: guest "
    ...            "Source Workstation: WS7 Error Code: 0xc000006a")
    (4776, {'PackageName': 'MICROSOFT_AUTHENTICATION_PACKAGE_V1_0', 'TargetUserName': 'guest', \
'Workstation': 'WS7', 'Status': '0xc000006a'})
    >>> event_data("Group Policy is trying to discover the Domain Controller information.") is None
    True
    """
    if len(message) > MAX_TEXT_CHARS:
        return None
    read = _read_message(message)
    # a copy of the data: the caller's event owns it, the remembered reading stays as read
    return None if read is None else (read[0], dict(read[1]))


RECENT_MESSAGES = 64
"""Messages whose reading :func:`event_data` remembers.  A sensor logs one datagram once per tap
(:mod:`ingest.parsers.zeek_syslog_copies`: the Brim ``syslog.log`` holds each message 4 times within
0.7 ms), and each copy carries the same text: its copies follow it, so a few readings are enough."""


@lru_cache(maxsize=RECENT_MESSAGES)
def _read_message(message: str) -> tuple[int, dict[str, str]] | None:
    """:func:`event_data` of a message of at most :data:`MAX_TEXT_CHARS` characters (remembered: do not change its data)."""
    cut = _cut(message)
    if cut is None:
        return None
    data = read_values(cut.text, cut.found, cut.template, cut.english)
    # a title alone ("Special privileges assigned to new logon.", a forwarder's first line) says
    # too little to be taken for the event: ordinary text may start so
    return (cut.event_id, data) if data else None


class _Cut(NamedTuple):
    """A message's text cut at its labels: what :func:`ingest.parsers.syslog_windows_values.read_values` reads."""

    event_id: int
    template: Template
    text: str
    """The text after the title, with single blanks, without Windows' explanation."""
    found: list[tuple[int, int, str]]
    """Its labels (start, end after the colon, label as written), in order (:func:`_labels_in`)."""
    english: dict[str, str] | None
    """A German text's labels (lower case) -> the English labels they stand for; None for English."""


def _cut(message: str) -> _Cut | None:
    """The text of a message with a known title, cut at its labels; None without a title."""
    message = message.lstrip(_LEADING_BLANKS)
    title = _TITLE_RE.match(message)
    if title is None:
        return None
    full_title = _TITLES_WITHOUT_PERIOD[title.group().removesuffix(".")]
    event_id = _ALL_TITLES[full_title]
    layout = _LAYOUTS[event_id]
    # the forwarder made line breaks and tabs blanks: one blank each, so labels read as Windows spells them
    text = " ".join(message[title.end():].split())
    english: dict[str, str] | None = None
    if full_title in TITLES:
        found = _labels_in(text, layout)
        explanation = explanation_start(text, event_id, found, layout.template.by_label)
    else:  # German: found by its own labels, read under the English ones (syslog_windows_text_de)
        german, english = _GERMAN_LAYOUTS[event_id]
        found = _labels_in(text, german)
        explanation = german_explanation_start(text, event_id)
    if explanation is not None:
        text = text[:explanation]
        found = [label for label in found if label[0] < explanation]
    return _Cut(event_id, layout.template, text, found, english)


def windows_text_event(
    message: str, header: _Header, context: ParseContext, source: str, raw: Record
) -> Event | None:
    """The Windows event of a syslog message that is a recognised event's rendered text, else None.

    None too for a line without a HOSTNAME: an endpoint event needs its endpoint, and the line
    stays what it was (a ``syslog:message``; beside a Zeek record, nothing added).

    Parameters
    ----------
    message : str
        The syslog MSG (after the header).
    header : _Header
        The syslog header: its HOSTNAME is the event's computer, its time the event's.
    context : ParseContext
        Origin, time zone, receipt time.
    source : str
        ``Event.source`` (the Zeek parser passes ``"zeek"``).
    raw : dict or str
        The record kept as evidence.

    Raises
    ------
    ParseError
        A recognised event that cannot be dated (NILVALUE time in a file) or names no computer.
    """
    if not normalize_host(header.hostname):
        return None  # no HOSTNAME, no endpoint: the text stays the syslog message it was
    read = event_data(message)
    if read is None:
        return _antivirus_event(message, header, context, source, raw)
    event_id, data = read
    # positional (see WinRecord): channel, event id, computer, data, time, message
    win = WinRecord(CHANNEL, event_id, header.hostname, data, header.ts, message)
    if header.ts is None:
        raise _without_time(header, f"Windows event {event_id} as text")
    # read as the XML's event data is (the names are Windows' own), not as a flat envelope
    event = to_event(win, source=EVENT_DATA_LAYOUT, context=context, raw=raw, mapped_message=False)
    event.source = source
    _header_time(header, event.fields)  # marks a live source's receipt time
    return event


def _antivirus_event(
    message: str, header: _Header, context: ParseContext, source: str, raw: Record
) -> Event | None:
    """An antivirus detection's text (:mod:`ingest.parsers.syslog_antivirus`) as an ``av:detection``
    event of the HOSTNAME, else None."""
    if not may_be_antivirus(message):
        return None
    fields = antivirus_fields(message)
    if fields is None:
        return None
    if header.ts is None:
        raise _without_time(header, "antivirus detection as text")
    event_fields = _base_fields(header)
    event_fields.update(fields)
    ts = _header_time(header, event_fields)
    assert ts is not None
    return Event(
        id="", kind=AV_DETECTION, ts=checked_time(ts, ts, context.clock()), host=normalize_host(header.hostname),
        source=source, fields=event_fields, origin=context.origin, raw=raw,
    )
