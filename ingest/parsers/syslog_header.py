"""The syslog header: RFC 5424, RFC 3164 (Cisco's dated variant too) and rsyslog's RFC 3339 lines.

Split from :mod:`ingest.parsers.syslog`, which re-exports :data:`FACILITIES`,
:data:`SEVERITIES` and :data:`TIME_SOURCE`: :func:`_parse_header` reads a
line's PRI, time, host, tag and structured data into a :class:`_Header` and
returns the message after them; :func:`_base_fields` turns the header into
the ``log.syslog.*`` fields every syslog event starts with.  The time rules
are those of the syslog module's docstring ("Time").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ingest.normalize import parse_timestamp
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog_asa import (
    CiscoTag,
    cisco_head,
    dated_time,
    put_cisco_tag,
    split_cisco_tag,
)
from ingest.parsers.syslog_time import yearless_time

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}

_PRI_RE = re.compile(r"<(\d{1,3})>")
_RFC5424_RE = re.compile(r"(\d{1,2}) +(\S+) +(\S+) +(\S+) +(\S+) +(\S+) ?")
_RFC3164_RE = re.compile(
    # Cisco ASA/FTD write the year ("Mar 05 2024 10:15:33") and, without a device id, a ":" after the time
    r"([A-Z][a-z]{2}) +(\d{1,2}) +(?:(\d{4}) +)?(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?:? +(.*)", re.DOTALL
)
_ISO_HEAD_RE = re.compile(r"(\d{4}-\d{2}-\d{2}T\S+) +(.*)", re.DOTALL)
# TAG ("sshd[42]:", "sshd(pam_unix)[42]:") and RFC 5424 PARAM-NAME="PARAM-VALUE" are read by patterns
# that never retry a position (possessive quantifiers, a name only where one can start): a crafted
# header ("a(" or "a" repeated, no ":" or "=") once cost time quadratic in its length under the GIL,
# 37 s for one 60 KB datagram (docs/reliability.md, Hostile input).
_TAG_NAME_RE = re.compile(r"[^\s\[\]:]++")
_TAG_PAREN_RE = re.compile(r"\([^)\s]*+\)")
_TAG_END_RE = re.compile(r"(?:\[([^\]\s]*+)\])?: ?(.*)", re.DOTALL)
_SD_PARAM_RE = re.compile(r'(?<![^\s=\]"])([^\s=\]"]++)="((?:[^"\\]|\\.)*+)"')


class _Header:
    """What the syslog header said; fields are ``None`` when absent or ``-``."""

    __slots__ = ("ts", "no_time", "is_receipt_time", "hostname", "appname", "procid", "msgid",
                 "pri", "structured", "cisco", "is_rfc5424")

    def __init__(self) -> None:
        self.ts: float | None = None
        self.no_time: str | None = None  # why the header has no time (NILVALUE, a Cisco line without one)
        self.cisco: CiscoTag | None = None  # product, level, message id of a %ASA-6-302013 tag
        self.is_receipt_time = False  # then ts is a live source's receipt time (context.received_at)
        self.hostname: str | None = None
        self.appname: str | None = None
        self.procid: str | None = None
        self.msgid: str | None = None
        self.pri: int | None = None
        self.structured: dict[str, str] = {}
        # read by the RFC 5424 rule: its time depends on the line, the zone and a receipt time only
        # (an RFC 3164 line's year rule keeps per-file state in the context: ingest.parsers.syslog_time)
        self.is_rfc5424 = False


def _nil(value: str) -> str | None:
    return None if value == "-" else value


TIME_SOURCE = "log.syslog.time_source"
"""Set to ``"receipt"`` when an event's time is the receipt time of a live source (NILVALUE TIMESTAMP)."""


def _header_time(header: _Header, fields: dict[str, Any]) -> float | None:
    """The header's time for an event without one of its own; ``fields`` say when it is a receipt time."""
    if header.is_receipt_time:
        fields[TIME_SOURCE] = "receipt"
    return header.ts


def _without_time(header: _Header, what: str) -> ParseError:
    """The rejection of a line whose event has no time, naming the rule."""
    if header.no_time:
        return ParseError(
            f"{what}, and {header.no_time}: a file has no "
            "receipt time to stamp it with (docs/fields.md, Syslog time)"
        )
    return ParseError(f"{what} and without a syslog timestamp")


def _structured_data(text: str, header: _Header) -> str:
    """Consume RFC 5424 STRUCTURED-DATA; return the message after it."""
    if text.startswith("-"):
        return text[2:] if text.startswith("- ") else text[1:]
    index = 0
    while index < len(text) and text[index] == "[":
        end = index + 1
        while end < len(text) and text[end] != "]":
            end += 2 if text[end] == "\\" else 1  # skip escaped \] \" \\
        element = text[index + 1:end]
        sd_id, _, params = element.partition(" ")
        for name, value in _SD_PARAM_RE.findall(params):
            header.structured[f"syslog.sd.{sd_id}.{name}"] = re.sub(r"\\(.)", r"\1", value)
        index = end + 1
    rest = text[index:]
    return rest[1:] if rest.startswith(" ") else rest


def _split_tag(text: str, header: _Header) -> str:
    if text.startswith(("CEF:", "LEEF:")):
        return text  # "host CEF:0|..." carries no tag; "CEF" is not a program name
    if text.startswith(": "):
        text = text[2:]  # Cisco "Mar 05 2024 10:15:33 fw01 : %ASA-..." (logging device-id)
    cisco = split_cisco_tag(text)
    if cisco is not None:
        # the message id is no program name: it goes to event.code, not the appname
        header.cisco, message = cisco
        return message
    tag = _match_tag(text)
    if tag is None:
        return text
    header.appname, pid, message = tag
    header.procid = pid or None
    return message


def _match_tag(text: str) -> tuple[str, str | None, str] | None:
    """Program name, pid and message of ``text`` starting with a TAG, else ``None``.

    The TAG is a name (no space, ``[``, ``]`` or ``:``), an optional ``(...)`` and an optional
    ``[pid]``, then ``:``.  It reads what the backtracking pattern
    ``([^\\s\\[\\]:]+(?:\\([^)\\s]*\\))?)(?:\\[([^\\]\\s]*)\\])?: ?(.*)`` read, in linear time: the
    name runs as far as it can; failing that, the ``(...)`` can only be the one opened by the
    name's last ``(`` when no ``)`` follows it in the name, and closed after the name ends
    (``app(x[1]): ...``).  Any other split the pattern tried fails the same way.
    """
    name = _TAG_NAME_RE.match(text)
    if name is None:
        return None
    end = name.end()
    tail = _TAG_END_RE.match(text, end)
    if tail is not None:
        return text[:end], tail.group(1), tail.group(2)
    opening = text.rfind("(", 0, end)
    if opening < 1 or text.find(")", opening, end) >= 0:
        return None
    paren = _TAG_PAREN_RE.match(text, opening)
    if paren is None:
        return None
    tail = _TAG_END_RE.match(text, paren.end())
    if tail is None:
        return None
    return text[:paren.end()], tail.group(1), tail.group(2)


def _rfc5424_cisco_tag(message: str, header: _Header) -> str:
    """A Cisco tag an RFC 5424 relay kept: as APP-NAME (``fw01 %ASA-6-302013 - - Built ...``) or
    at the head of MSG after a NIL APP-NAME (``fw01 - - - %ASA-6-302013: Built ...``).

    The tag goes to ``event.code`` and ``observer.*`` as in the RFC 3164 layouts; it is no program
    name, so APP-NAME is dropped.  Any other APP-NAME keeps its MSG as it is.
    """
    app = header.appname
    if app is None:
        tagged = message
    elif app.startswith("%"):
        tagged = f"{app}: {message}"
    else:
        return message
    cisco = split_cisco_tag(tagged)
    if cisco is None:
        return message
    header.cisco, message = cisco
    header.appname = None
    return message


RECENT_STAMPS = 256
"""RFC 5424 TIMESTAMPs whose time :func:`_stamp_time` remembers."""


@lru_cache(maxsize=RECENT_STAMPS)
def _stamp_time(stamp: str, default_timezone: str) -> float:
    """The epoch time of an RFC 5424 TIMESTAMP (:func:`ingest.normalize.parse_timestamp`), remembered.

    A sensor logs one datagram once per tap (:mod:`ingest.parsers.zeek_syslog_copies`: the Brim
    ``syslog.log`` holds each 4 times within 0.7 ms) and a sender writes many lines in one second:
    the same text gives the same time (the function is pure; an error is raised again, not kept).
    """
    return parse_timestamp(stamp, default_timezone=default_timezone)


def _parse_header(line: str, context: ParseContext) -> tuple[_Header, str]:
    """Header fields and the message text of a syslog line."""
    header = _Header()
    text = line.rstrip("\r\n")
    pri = _PRI_RE.match(text)
    if pri is not None:
        header.pri = int(pri.group(1))
        if header.pri > 191:
            raise ParseError(f"syslog PRI {header.pri} out of range (0-191)")
        text = text[pri.end():]
    if text.startswith(("CEF:", "LEEF:")):
        return header, text
    cisco = cisco_head(text)
    if cisco is not None:
        # "<166>%ASA-6-302013: ..." (no "logging timestamp"): a live source's receipt time, or rejected
        header.no_time = "the Cisco line has no timestamp (the device's 'no logging timestamp')"
        header.ts = context.received_at
        header.is_receipt_time = header.ts is not None
        header.hostname, tagged = cisco
        return header, _split_tag(tagged, header)
    rfc5424 = _RFC5424_RE.match(text)
    if rfc5424 is not None and (
        rfc5424.group(2) == "-" or rfc5424.group(2)[:1].isdigit() and "T" in rfc5424.group(2)
    ):
        _, stamp, host, app, procid, msgid = rfc5424.groups()
        header.is_rfc5424 = True
        if stamp == "-":
            # the payload may still carry a time (CEF rt, @cee); else a live source's receipt time
            header.no_time = "the RFC 5424 TIMESTAMP is NILVALUE ('-')"
            header.ts = context.received_at
            header.is_receipt_time = header.ts is not None
        else:
            try:
                header.ts = _stamp_time(stamp, context.default_timezone)
            except (ValueError, OverflowError) as exc:
                raise ParseError(f"RFC 5424 timestamp: {exc}") from None
        header.hostname, header.appname = _nil(host), _nil(app)
        header.procid, header.msgid = _nil(procid), _nil(msgid)
        message = _structured_data(text[rfc5424.end():], header).removeprefix("\ufeff")
        return header, _rfc5424_cisco_tag(message, header)
    rfc3164 = _RFC3164_RE.match(text)
    if rfc3164 is not None:
        month = _MONTHS.get(rfc3164.group(1))
        if month is None:
            raise ParseError(f"RFC 3164 month {rfc3164.group(1)!r} unknown")
        clock = (int(rfc3164.group(4)), int(rfc3164.group(5)), int(rfc3164.group(6)), 0)
        if rfc3164.group(3) is None:
            header.ts = yearless_time(month, int(rfc3164.group(2)), clock, context)
        else:
            header.ts = dated_time(int(rfc3164.group(3)), month, int(rfc3164.group(2)), clock, context)
        rest = rfc3164.group(7)
    else:
        iso = _ISO_HEAD_RE.match(text)  # rsyslog high-precision 3164 variant
        if iso is None:
            raise ParseError(f"not a syslog line: {line[:60]!r}")
        try:
            header.ts = parse_timestamp(iso.group(1), default_timezone=context.default_timezone)
        except (ValueError, OverflowError) as exc:
            raise ParseError(f"syslog timestamp: {exc}") from None
        rest = iso.group(2)
    host, _, after = rest.partition(" ")
    if host.endswith(":") or "[" in host or not after or host.startswith("%"):
        return header, _split_tag(rest, header)  # no HOST field: the tag comes first
    header.hostname = host
    return header, _split_tag(after.lstrip(" "), header)


def _base_fields(header: _Header) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if header.hostname:
        fields["log.syslog.hostname"] = header.hostname
        fields["host.name.original"] = header.hostname
    if header.appname:
        fields["log.syslog.appname"] = header.appname
    if header.procid:
        fields["log.syslog.procid"] = header.procid
    if header.msgid:
        fields["log.syslog.msgid"] = header.msgid
    if header.pri is not None:
        fields["log.syslog.facility"] = FACILITIES[header.pri >> 3]
        fields["log.syslog.severity"] = SEVERITIES[header.pri & 7]
    if header.cisco is not None:
        put_cisco_tag(fields, header.cisco, SEVERITIES)
    fields.update(header.structured)
    return fields
