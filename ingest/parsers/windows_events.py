"""Windows event id -> normalised fields: the one mapping behind every Windows shape.

:mod:`ingest.parsers.windows_shapes` reads each JSON layout into a
:class:`~ingest.parsers.windows_shapes.WinRecord`; :func:`to_event` turns that
into a :class:`~graphsiem.model.Event` with the fields and kinds of
``docs/fields.md``: it finds the record's mapper by channel and event id and
applies the rules below.  The mappers live with their channel
(:mod:`~ingest.parsers.windows_sysmon`, :mod:`~ingest.parsers.windows_sysmon_files`,
:mod:`~ingest.parsers.windows_sysmon_network`, :mod:`~ingest.parsers.windows_security`,
:mod:`~ingest.parsers.windows_powershell`), value setters in
:mod:`ingest.parsers.windows_fields` and the time rule below in
:mod:`ingest.parsers.windows_time`.

Covered: Sysmon 1, 3, 5, 6, 7, 8, 10, 11, 12/13/14, 15, 17/18, 19/20/21, 22,
23, 25, 26, 27/28, 29; Security 4624, 4625, 4672, 4688, 4697, 4698, 4702, 4776, 1102, 4662, 4663, 5156,
4768, 4769, 4771 (:mod:`~ingest.parsers.windows_kerberos`);
System 7045, 104; Defender Antivirus 1116, 1117 (:mod:`~ingest.parsers.windows_defender`);
PowerShell 4103, 4104
(Windows PowerShell and PowerShell 7's ``PowerShellCore/Operational``).  Every
other event is kept as ``windows:other`` with the common fields (code,
channel, host, message) and its event data, bounded, as
``winlog.event_data.<Name>`` (:func:`~ingest.parsers.windows_fields.keep_event_data`).

ECS fallback: Winlogbeat 7's sysmon module, Winlogbeat 8 and Elastic Agent
rename Sysmon and PowerShell event data to ECS fields; when a record's event
data lacks the first name its event reads (``Image``, ``ScriptBlockText``...),
the names are read back from those fields
(:data:`~ingest.parsers.windows_ecs.ECS_FALLBACKS`); a record that kept its
event data pays one lookup.

Message rule
------------
The rendered ``message`` is copied into ``fields`` only for ``windows:other``
events, where it is the one readable account of what happened.  A mapped
event's message restates its event data, which the structured fields hold
normalised and the raw record (always journaled, returned with the event by
the API and shown in the evidence table) holds verbatim, message included; a
second copy was a third of the fields' bytes.  The ``@cee`` syslog path still
asks for it (``mapped_message=True``): its ``msg`` is a short first line.

Time rule
---------
1. Sysmon ``UtcTime`` (``YYYY-MM-DD HH:MM:SS.mmm``, UTC by definition) when the
   event data has one;
2. otherwise the record's own timestamp: ``@timestamp`` (Winlogbeat),
   ``TimeCreated``/``@timestamp`` (NXLog), ``TimeGenerated`` (Sentinel),
   ``System.TimeCreated.SystemTime`` (evtx), the syslog header (``@cee``);
   these carry a zone;
3. a zone-less value (NXLog ``EventTime``) is read in
   ``context.default_timezone``.

4. an NXLog record without ``UtcTime`` whose host's clock was learnt from
   its Sysmon records (:mod:`ingest.host_clocks`): ``TimeCreated``, else
   ``EventTime``, minus the learnt offset (``event.timezone``).  The 2020-10
   OTRF NXLog files label local time as ``Z`` in ``TimeCreated``, and NXLog
   behind Logstash has only a zone-less ``EventTime`` beside the collector's
   late ``@timestamp``: their Security and PowerShell events get their host's
   true time this way.

5. a Sysmon record whose ``UtcTime`` is more than an hour from its written
   time (read by its host's learnt offset; more than 14 h from a record time
   of its own, which may be a delivery time) while the host's other Sysmon
   records agree: the written time, ``UtcTime`` kept in ``sysmon.utc_time``
   and ``event.time_note`` saying so (:meth:`ingest.host_clocks.HostClocks.check_utc_time`;
   Sysmon dates a network connection at its cached flow's first packet).  A
   gap that is a zone offset (whole quarter hours, at most 14 h) is the
   host's zone, never re-dated; the others are judged at the batch's end.

Id rule: a record with an ``EventRecordID`` and a host gets the content id of
its ``System`` key and its normalised fields (:mod:`ingest.parsers.windows_record_ids`),
the same in every export of the event and another for any other content; one
without keeps the id of its bytes.

Host rule: the endpoint (``computer_name``, ``Hostname``, ``Computer``,
``System.Computer``, ``@cee`` ``source``), normalised by
:func:`ingest.normalize.normalize_host`, never the collector; the name as
written is kept in ``host.name.original``.  A record whose computer is
missing, empty or no name (``""``, ``-``, blanks) is rejected with that
reason (an endpoint's event without its endpoint would be read as a network
sensor's), unless the record's wrapper names the host instead (a Splunk
record's ``host``: the wrapper sets :data:`HOST_SUPPLIED` in
``ParseContext.extras`` while it parses the record).
"""

from __future__ import annotations

from typing import Any, cast

from graphsiem.model import Event
from ingest.host_clocks import RECORD_TIME
from ingest.normalize import normalize_host, parse_int
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.windows_defender import DEFENDER_CHANNEL
from ingest.parsers.windows_defender import MAPPERS as DEFENDER
from ingest.parsers.windows_directory_access import DIRECTORY_ACCESS_MAPPERS as DIRECTORY_ACCESS
from ingest.parsers.windows_ecs import ECS_FALLBACKS, EcsReader, ecs_event_data
from ingest.parsers.windows_fields import EVENT_DATA_SOURCES, Fields, Mapper, keep_event_data
from ingest.parsers.windows_kerberos import KERBEROS_MAPPERS as KERBEROS
from ingest.parsers.windows_powershell import MAPPERS as POWERSHELL
from ingest.parsers.windows_record_ids import (
    ENVELOPE_PID,
    NO_ENVELOPE_KEYS,
    record_number,
    windows_record_id,
)
from ingest.parsers.windows_security import MAPPERS as SECURITY
from ingest.parsers.windows_security import SYSTEM_MAPPERS as SYSTEM
from ingest.parsers.windows_security_audit import SECURITY_AUDIT_MAPPERS as SECURITY_AUDIT
from ingest.parsers.windows_security_audit import SYSTEM_AUDIT_MAPPERS as SYSTEM_AUDIT
from ingest.parsers.windows_shapes import WinRecord
from ingest.parsers.windows_sysmon import MAPPERS as SYSMON
from ingest.parsers.windows_sysmon_files import MAPPERS as SYSMON_FILES
from ingest.parsers.windows_sysmon_network import EPHEMERAL_PORTS
from ingest.parsers.windows_sysmon_network import MAPPERS as SYSMON_NETWORK
from ingest.parsers.windows_time import event_time, wall_seconds

# EPHEMERAL_PORTS stays importable from here, where it was defined before the split
__all__ = ["EPHEMERAL_PORTS", "HOST_SUPPLIED", "event_time", "to_event"]

HOST_SUPPLIED = "windows_host_supplied"
"""``ParseContext.extras`` key a wrapper sets while it parses a Windows record whose host it names
itself (Splunk's ``host``): a record without a computer of its own is then not rejected."""


# -- dispatch --------------------------------------------------------------------

_MAPPERS: dict[tuple[str, int], Mapper] = {
    **{("sysmon", event_id): mapper for event_id, mapper in SYSMON.items()},
    **{("sysmon", event_id): mapper for event_id, mapper in SYSMON_FILES.items()},
    **{("sysmon", event_id): mapper for event_id, mapper in SYSMON_NETWORK.items()},
    **{("security", event_id): mapper for event_id, mapper in SECURITY.items()},
    **{("system", event_id): mapper for event_id, mapper in SYSTEM.items()},
    **{("security", event_id): mapper for event_id, mapper in SECURITY_AUDIT.items()},
    **{("security", event_id): mapper for event_id, mapper in DIRECTORY_ACCESS.items()},
    **{("security", event_id): mapper for event_id, mapper in KERBEROS.items()},
    **{("system", event_id): mapper for event_id, mapper in SYSTEM_AUDIT.items()},
    **{("powershell", event_id): mapper for event_id, mapper in POWERSHELL.items()},
    **{(DEFENDER_CHANNEL, event_id): mapper for event_id, mapper in DEFENDER.items()},
}
"""(family, event id) -> mapper: the channels' own modules hold their event ids."""

# Event ids that name their channel even when a record omits it (Sentinel rows
# without ``Channel``); Sysmon ids are small integers shared with other
# providers, so they are never guessed.
_FAMILY_BY_ID = {4624: "security", 4625: "security", 4672: "security", 4688: "security",
                 4697: "security", 4698: "security", 4702: "security", 7045: "system",
                 1102: "security", 4662: "security", 4663: "security", 5156: "security",
                 4768: "security", 4769: "security", 4771: "security", 4776: "security",
                 4103: "powershell", 4104: "powershell"}

# Windows PowerShell 5.1 and PowerShell 7 (pwsh) write the same 4103/4104 events.
_POWERSHELL_CHANNELS = frozenset(("microsoft-windows-powershell/operational", "powershellcore/operational"))

_family_cache: dict[str, str] = {}


def _family(channel: str, event_id: int) -> str:
    if not channel:
        return _FAMILY_BY_ID.get(event_id, "")
    family = _family_cache.get(channel)
    if family is None:
        lowered = channel.lower()
        if "sysmon" in lowered:
            family = "sysmon"
        elif lowered == "security":
            family = "security"
        elif lowered in _POWERSHELL_CHANNELS:
            family = "powershell"
        else:
            family = lowered
        if len(_family_cache) < 4096:  # channels are few; bound it against junk input
            _family_cache[channel] = family
    return family


# (channel, event id) -> ("event.code" text, mapper or None, is a PowerShell event,
# is a Sysmon event).  A stream repeats a few dozen pairs, so the channel's family,
# the mapper and str(event_id) are found once per pair, not once per event.
# Bounded like _family_cache: event ids are attacker-influenced.
# The fifth item is the pair's ECS fallback (ingest.parsers.windows_ecs.ECS_FALLBACKS).
Route = tuple[str, Mapper | None, bool, bool, tuple[tuple[str, EcsReader], ...] | None]
_routes: dict[tuple[str, int], Route] = {}


def _route(channel: str, event_id: int) -> Route:
    key = (channel, event_id)
    route = _routes.get(key)
    if route is None:
        family = _family(channel, event_id)
        # a channel's family does not depend on the event id; without a channel
        # it is guessed from the id, never as Sysmon (see _FAMILY_BY_ID)
        route = (str(event_id), _MAPPERS.get((family, event_id)), family == "powershell",
                 family == "sysmon", ECS_FALLBACKS.get((family, event_id)))
        if len(_routes) < 4096:
            _routes[key] = route
    return route


def to_event(
    win: WinRecord,
    *,
    source: str,
    context: ParseContext,
    raw: dict[str, Any] | str | None,
    mapped_message: bool = True,
) -> Event:
    """The normalised event of one Windows record.

    Parameters
    ----------
    win : WinRecord
        The record in layout-neutral form.
    source : str
        Name of the parser that read it (``Event.source``).
    context : ParseContext
        Origin and default time zone.
    raw : dict or str
        The original record, kept as evidence.
    mapped_message : bool
        Copy the rendered message into ``fields`` for mapped kinds too; it is
        always copied for ``windows:other`` (see the message rule above).

    Raises
    ------
    ParseError
        No usable timestamp, or a malformed process id.
    """
    data = win.data
    channel = win.channel
    # the route of a pair seen before without a call (_route finds a new one)
    code, mapper, is_powershell, is_sysmon, fallback = _routes.get((channel, win.event_id)) or _route(
        channel, win.event_id
    )
    if fallback is not None and win.ecs is not None and fallback[0][0] not in data:
        # a Winlogbeat 7 sysmon module / Elastic Agent record: its event data was
        # renamed to ECS fields (one lookup for a record that kept it)
        data = ecs_event_data(data, win.ecs, fallback)
    fields: Fields = {"event.code": code, "event.channel": channel}
    computer = win.computer
    host = None
    if computer:
        fields["host.name.original"] = computer
        host = normalize_host(computer)
    kind = "windows:other"
    envelope_keys = NO_ENVELOPE_KEYS
    if mapper is not None:
        try:
            kind = mapper(data, fields)
            if is_powershell and "process.pid" not in fields:
                # the writer of a PowerShell event is the PowerShell process:
                # its pid lets the projection tie the script to that process
                try:
                    pid = parse_int(win.execution_pid)
                except ValueError:
                    pid = None  # an envelope detail: not worth losing the event
                if pid is not None:
                    fields["process.pid"] = pid
                    envelope_keys = ENVELOPE_PID  # the envelope's, not the event data's: left out of the id
        except ParseError as exc:
            raise ParseError(f"{channel or 'Windows'} event {win.event_id}: {exc}") from None
    if kind == "windows:other":
        if win.message:
            fields["message"] = win.message
        if data:
            keep_event_data(fields, data, flat=source not in EVENT_DATA_SOURCES)
    elif mapped_message and win.message:
        fields["message"] = win.message
    ts = event_time(data, win.time, context.default_timezone)
    # after the time: a record with neither says first what every record needs
    if host is None and not context.extras.get(HOST_SUPPLIED):
        raise ParseError(
            f"{channel or 'Windows'} event {win.event_id} names no computer "
            f"(computer name {computer!r}): an endpoint event needs its host"
        )
    # positional (id, kind, ts, host, source, fields, origin, raw): keywords cost 0.25 us a record
    event = Event("", kind, ts, host, source, fields, context.origin, raw)
    if win.record_id is not None and host is not None:
        # one id for the event whatever its export, another for any other content
        # (ingest.parsers.windows_record_ids): before the host's clock adds its fields
        number = record_number(win.record_id)
        if number is not None:
            event.id = windows_record_id(
                channel, cast(str, computer), number, win.event_id,
                win.clock_text if win.clock_field else win.time, ts, kind, fields, envelope_keys)
    if host is not None and (clocks := context.host_clocks) is not None:
        # The host's clock (ingest.host_clocks), here rather than in a function of
        # its own: it runs for every record (~0.1 us a record, measured).
        clock_field = win.clock_field
        utc_text = data.get("UtcTime")
        if utc_text is None:
            if clock_field is not None:  # dated by the host's clock
                clocks.date(event, clock_field, win.clock_text)
        elif utc_text.__class__ is str and is_sysmon:
            # only Sysmon's UtcTime is UTC by definition: another channel's field proves nothing.
            # A shape without a clock field judges UtcTime by its record time (RECORD_TIME).
            if clock_field is None:
                clock_field, written = RECORD_TIME, win.time
            else:
                written = win.clock_text
            if (
                win.event_id != 3  # a connection's UtcTime is its flow's first packet, not when it was written
                and clocks.is_due(host, clock_field, utc_text)
                and wall_seconds(utc_text) == ts  # dated by a valid UtcTime: it teaches the clock
            ):
                clocks.observe(host, clock_field, written, ts)
            clocks.check_utc_time(event, clock_field, written, utc_text)
    return event
