"""The JSON shapes that carry Windows events, reduced to one common record.

Every Windows source in the corpus says the same things in a different layout:
the channel, the event id, the endpoint's name, a time and the event-data
name/value pairs.  Each ``from_*`` function here reads one layout into a
:class:`WinRecord`; :mod:`ingest.parsers.windows_events` then maps that record
to a normalised :class:`~graphsiem.model.Event` in one place, so the per-event
rules are written once for every shape.  Event data that a Winlogbeat 7/8 or
Elastic Agent pipeline renamed to ECS fields is read back by
:mod:`ingest.parsers.windows_ecs`.

Shapes
------
winlogbeat 6.x
    ``event_data`` (``user_data``), ``computer_name``, ``event_id``,
    ``log_name``, ``@timestamp``.  ``host.name`` is the collector: ignored.
winlogbeat 7/8
    ``winlog.event_data``, ``winlog.computer_name``, ``winlog.event_id``,
    ``winlog.channel``, ``@timestamp``.  ``host.name`` is the agent: ignored.
nxlog
    Flat: ``Hostname``, ``EventID``, ``Channel`` and the event data at the top
    level; via Logstash it gains ``@timestamp``/``@version``/``tags`` and a
    ``host`` that is the WEC collector: ignored.
sentinel
    Azure Sentinel ``SecurityEvent``/``Event`` exports: ``Computer``,
    ``TimeGenerated``, ``EventID`` (int or string), ``Channel`` or
    ``EventLog``; event data flattened at the top level, sometimes with
    ``_string``/``_dynamic`` suffixes, or packed in ``EventData`` as a JSON
    string or an XML ``<Data Name=..>`` string.  The Log Analytics portal's CSV export
    (:mod:`ingest.readers.csv_rows`) writes every value as text and
    ``TimeGenerated`` as ``2/25/2025, 9:19:25.391 AM`` (UTC,
    :func:`~ingest.parsers.portal_times.from_portal_time`).
evtx_json
    evtx_dump output: ``Event.System`` (``EventID`` maybe ``{"#text": ..}``,
    ``Channel``, ``Computer``, ``TimeCreated.#attributes.SystemTime``) and
    ``Event.EventData`` or ``Event.UserData``.
cee
    ``@cee:`` JSON from Windows event-log-to-syslog agents (EvntSLog):
    ``source``, ``nteventlogtype``, ``id``, ``msg``; the time comes from the
    syslog header.

Every function raises :class:`~ingest.parsers.base.ParseError` naming what is
missing; they never copy the event data when the layout does not require it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import orjson

from ingest.parsers.base import ParseError
from ingest.parsers.portal_times import portal_time_or_value


@dataclass(slots=True)
class WinRecord:
    """One Windows event in layout-neutral form.

    The readers build it positionally, in the order of the attributes below:
    keyword arguments cost 0.25 us a record, about 4% of the parse (measured).

    Attributes
    ----------
    channel : str
        Channel / log name as written (``""`` when the record has none).
    event_id : int
        The event id.
    computer : str | None
        The endpoint's name as written (never the collector's).
    data : Mapping
        Event-data name -> value (may be the record itself for flat shapes).
    time : object
        The record's own timestamp (zoned when the shape has one), used when
        the event data carries no Sysmon ``UtcTime``.
    message : str | None
        Rendered message text, when present.
    execution_pid : object
        Id of the process that wrote the event (``System.Execution``,
        ``ExecutionProcessID``, ``process_id``): for PowerShell events that is
        the PowerShell process itself.
    clock_field : str | None
        The field holding the host's own clock where a collector may have
        written local time (NXLog ``TimeCreated``, else ``EventTime``), for
        :mod:`ingest.host_clocks`; ``None`` for shapes that date events in UTC.
    clock_text : object
        That field's value.
    ecs : Mapping or None
        The whole record when its layout may have moved event data out to ECS
        fields (Winlogbeat 7/8, Elastic Agent:
        :func:`~ingest.parsers.windows_ecs.ecs_event_data`), else ``None``.
    record_id : object
        The ``EventRecordID`` as written (Winlogbeat ``record_number`` /
        ``winlog.record_id``, NXLog ``RecordNumber``, ``System.EventRecordID``),
        ``None`` when the layout has none: the event's id when it has one
        (:mod:`ingest.parsers.windows_record_ids`).
    """

    channel: str
    event_id: int
    computer: str | None
    data: Mapping[str, Any]
    time: object
    message: str | None = None
    execution_pid: object = None
    clock_field: str | None = None
    clock_text: object = None
    ecs: Mapping[str, Any] | None = None
    record_id: object = None


def _event_id(value: object, shape: str) -> int:
    if isinstance(value, dict):  # evtx_dump: {"#text": 4688, "#attributes": {"Qualifiers": ..}}
        value = value.get("#text")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.strip().isdigit():
        return int(value)
    raise ParseError(f"{shape} record has no usable event id ({str(value)[:32]!r})")


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)

# -- winlogbeat ------------------------------------------------------------


def from_winlogbeat(record: Mapping[str, Any]) -> WinRecord:
    """Winlogbeat 6.x (``event_data``) or 7/8 (``winlog.*``) record."""
    winlog = record.get("winlog")
    if isinstance(winlog, dict):
        source: Mapping[str, Any] = winlog
        channel = winlog.get("channel") or winlog.get("log_name") or ""
        process = winlog.get("process")
        execution_pid = process.get("pid") if isinstance(process, dict) else None
        record_id = winlog.get("record_id")
        # Winlogbeat 7's sysmon module and Elastic Agent move event data out to
        # ECS fields: the mapping falls back to them (windows_ecs.ecs_event_data)
        ecs: Mapping[str, Any] | None = record
    else:
        source = record
        channel = record.get("log_name") or ""
        execution_pid = record.get("process_id")
        record_id = record.get("record_number")
        ecs = None
    if not channel:
        channel = _provider_channel(source)
    message = record.get("message")
    data = source.get("event_data")
    if not isinstance(data, dict):
        data = source.get("user_data")
        if not isinstance(data, dict):
            data = {}
    event_id = source.get("event_id")
    computer = source.get("computer_name")
    # text and int values, nearly all of them, are taken as they are without
    # a call (_text, _event_id): three calls were ~5% of a record's parse
    return WinRecord(  # positional (see WinRecord): channel, event_id, computer, data, time, message, execution_pid
        channel if channel.__class__ is str else _text(channel) or "",
        event_id if event_id.__class__ is int else _event_id(event_id, "winlogbeat"),
        computer if computer.__class__ is str else _text(computer),
        data,
        record.get("@timestamp"),
        message if message.__class__ is str else _text(message),
        execution_pid,
        None,
        None,
        ecs,
        record_id,
    )


# The channel each provider of a mapped event writes to, for a record that
# names its provider but not its channel (a Winlogbeat processor that drops
# winlog.channel): these providers write the mapped events to one channel only.
_PROVIDER_CHANNELS = {
    "microsoft-windows-sysmon": "Microsoft-Windows-Sysmon/Operational",
    "microsoft-windows-security-auditing": "Security",
    "microsoft-windows-powershell": "Microsoft-Windows-PowerShell/Operational",
    "powershellcore": "PowerShellCore/Operational",
}


def _provider_channel(source: Mapping[str, Any]) -> str:
    """The channel of a record without one, from its provider (``provider_name``, 6.x ``source_name``)."""
    provider = source.get("provider_name") or source.get("source_name")
    if not isinstance(provider, str):
        return ""
    return _PROVIDER_CHANNELS.get(provider.strip().lower(), "")


def is_winlogbeat(record: Mapping[str, Any]) -> bool:
    """Cheap shape test for :func:`from_winlogbeat`."""
    winlog = record.get("winlog")
    if isinstance(winlog, dict):
        return "event_id" in winlog
    return "event_id" in record and "computer_name" in record


def may_be_winlogbeat(keys: AbstractSet[str]) -> bool:
    """Whether :func:`is_winlogbeat` may hold for some object with exactly ``keys`` (it reads ``winlog``'s value)."""
    return "winlog" in keys or "event_id" in keys and "computer_name" in keys


# -- nxlog -----------------------------------------------------------------


def from_nxlog(record: Mapping[str, Any]) -> WinRecord:
    """NXLog flat record (also via Logstash, whose ``host`` is the collector)."""
    created = record.get("TimeCreated")
    # The host's clock (ingest.host_clocks): TimeCreated, which some NXLog
    # setups fill with local time marked Z, else EventTime, local time with no
    # zone (NXLog behind Logstash, whose @timestamp is the collector's receipt).
    clock_field: str | None
    if created:
        clock_field, clock_text, time = "TimeCreated", created, created
    else:
        clock_text = record.get("EventTime")
        clock_field = "EventTime" if clock_text else None
        time = record.get("@timestamp")
        if time is None:
            # EventTime is local time without a zone; the caller applies the
            # configured source zone to zone-less values.
            time = clock_text or record.get("EventReceivedTime")
    channel = record.get("Channel")
    event_id = record.get("EventID")
    computer = record.get("Hostname")
    message = record.get("Message")
    # text and int values taken as they are, without a call (see from_winlogbeat)
    # positional (see WinRecord): channel, event_id, computer, data, time, message, execution_pid, clock
    return WinRecord(
        channel if channel.__class__ is str else _text(channel) or "",
        event_id if event_id.__class__ is int else _event_id(event_id, "nxlog"),
        computer if computer.__class__ is str else _text(computer),
        record,
        time,
        message if message.__class__ is str else _text(message),
        record.get("ExecutionProcessID"),
        clock_field,
        clock_text,
        None,
        record.get("RecordNumber"),
    )


def is_nxlog(record: Mapping[str, Any]) -> bool:
    """Cheap shape test for :func:`from_nxlog`."""
    return "EventID" in record and "Hostname" in record


# -- Azure Sentinel ----------------------------------------------------------

_SENTINEL_SUFFIXES = ("_string", "_dynamic")
_XML_DATA_RE = re.compile(
    r"""<Data(?:\s+Name=["']([^"']*)["'])?\s*(?:/>|>(.*?)</Data>)""", re.DOTALL
)


def _xml_event_data(text: str) -> dict[str, Any]:
    """Named ``<Data>`` elements of an ``EventData`` XML string.

    A regular expression, not an XML parser: the string is attacker-influenced
    and only ``<Data Name="..">value</Data>`` pairs are wanted, so no entity
    expansion or DTD processing can happen.  Unnamed ``<Data>`` values are
    kept as ``Data1``, ``Data2``...
    """
    result: dict[str, Any] = {}
    unnamed = 0
    for name, value in _XML_DATA_RE.findall(text):
        if not name:
            unnamed += 1
            name = f"Data{unnamed}"
        result[name] = html.unescape(value)
    return result


def _sentinel_event_data(value: object) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return {}
    text = value.strip()
    if text[0] in "{[":
        try:
            decoded = orjson.loads(text)
        except orjson.JSONDecodeError:
            return {}
        if isinstance(decoded, dict):
            # {"EventData": {..}} or a flat name -> value object
            inner = decoded.get("EventData", decoded)
            return inner if isinstance(inner, dict) else {}
        if isinstance(decoded, list):  # EventData_dynamic: the unnamed values in order
            return {f"Data{i}": value for i, value in enumerate(decoded, 1)}
        return {}
    if text.startswith("<"):
        return _xml_event_data(text)
    return {}


def from_sentinel(record: Mapping[str, Any]) -> WinRecord:
    """Azure Sentinel ``SecurityEvent`` / ``Event`` table row."""
    data: dict[str, Any] = {}
    for key, value in record.items():
        if key.endswith(_SENTINEL_SUFFIXES):
            key = key.rsplit("_", 1)[0]
            if key == "EventData":
                continue
        data.setdefault(key, value)
    for packed in ("EventData", "EventData_string", "EventData_dynamic"):
        if packed in record:
            for key, value in _sentinel_event_data(record[packed]).items():
                if key == "Type":  # the row's own Type is its table's name (Event): Sysmon 20's consumer type wins
                    data[key] = value
                else:
                    data.setdefault(key, value)
    channel = record.get("Channel") or record.get("EventLog")
    if not channel and record.get("Type") == "SecurityEvent":
        channel = "Security"
    message = record.get("RenderedDescription") or record.get("Activity")
    # positional (see WinRecord): channel, event_id, computer, data, time, message, pid, clock, ecs, record id
    return WinRecord(
        _text(channel) or "",
        _event_id(record.get("EventID"), "sentinel"),
        _text(record.get("Computer")),
        data,
        portal_time_or_value(record.get("TimeGenerated")),
        _text(message),
        None,
        None,
        None,
        None,
        # the SecurityEvent and Event tables keep no EventRecordID (the corpus's export: none);
        # a row that has one is read like the other layouts' (ingest.parsers.windows_record_ids)
        record.get("EventRecordId", record.get("EventRecordID")),
    )


def is_sentinel(record: Mapping[str, Any]) -> bool:
    """Cheap shape test for :func:`from_sentinel`."""
    return "TimeGenerated" in record and "Computer" in record and "EventID" in record


# -- evtx_dump JSON ----------------------------------------------------------


def _element_text(value: object) -> object:
    """An element's ``#text``: evtx_dump writes a value split into several text
    nodes (around an escaped character, a line break) as a list of the parts."""
    if isinstance(value, list) and value and all(isinstance(part, str) for part in value):
        return "".join(value)
    return value


def _unwrap_text(value: object) -> object:
    """``{"#text": .., "#attributes": ..}`` -> its text; anything else as it is."""
    if isinstance(value, dict) and "#text" in value:
        return value["#text"]
    return value


def _data_list(values: list[Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for index, value in enumerate(values, 1):
        if isinstance(value, dict):
            attributes = value.get("#attributes")
            name = attributes.get("Name") if isinstance(attributes, dict) else None
            result[str(name) if name else f"Data{index}"] = _element_text(value.get("#text"))
        else:
            result[f"Data{index}"] = value
    return result


def _evtx_event_data(event: Mapping[str, Any]) -> dict[str, Any]:
    data = event.get("EventData")
    if isinstance(data, dict):
        if "Data" in data and len(data) <= 2:
            # unnamed <Data> elements: {"Data": {"#text": [..]}} or {"Data": [..]};
            # or named ones kept apart: [{"#attributes": {"Name": ..}, "#text": ..}]
            inner = data["Data"]
            if isinstance(inner, dict):
                inner = inner.get("#text")
            if isinstance(inner, list):
                return _data_list(inner)
            if inner is not None:
                return {"Data1": inner}
        for value in data.values():
            if value.__class__ is list or value.__class__ is dict:
                # a value split into text nodes, or given with attributes: its text
                return {key: _element_text(_unwrap_text(value)) for key, value in data.items()}
        return data
    user_data = event.get("UserData")
    if isinstance(user_data, dict):
        # <UserData><LogFileCleared ...>fields</LogFileCleared></UserData>
        for value in user_data.values():
            if isinstance(value, dict):
                return value
    return {}


def from_evtx_json(record: Mapping[str, Any]) -> WinRecord:
    """evtx_dump-style record ``{"Event": {"System": .., "EventData": ..}}``."""
    event = record.get("Event")
    if not isinstance(event, dict) or not isinstance(event.get("System"), dict):
        raise ParseError("evtx_json record has no Event.System object")
    system = event["System"]
    created = system.get("TimeCreated")
    time = None
    if isinstance(created, dict):
        attributes = created.get("#attributes")
        time = attributes.get("SystemTime") if isinstance(attributes, dict) else None
    elif isinstance(created, str):
        time = created
    execution = system.get("Execution")
    attributes = execution.get("#attributes") if isinstance(execution, dict) else None
    return WinRecord(  # positional (see WinRecord): channel, event_id, computer, data, time, message, execution_pid
        _text(system.get("Channel")) or "",
        _event_id(system.get("EventID"), "evtx_json"),
        _text(system.get("Computer")),
        _evtx_event_data(event),
        time,
        None,
        attributes.get("ProcessID") if isinstance(attributes, dict) else None,
        None,
        None,
        None,
        _unwrap_text(system.get("EventRecordID")),
    )


def is_evtx_json(record: Mapping[str, Any]) -> bool:
    """Cheap shape test for :func:`from_evtx_json`."""
    event = record.get("Event")
    return isinstance(event, dict) and "System" in event


def may_be_evtx_json(keys: AbstractSet[str]) -> bool:
    """Whether :func:`is_evtx_json` may hold for some object with exactly ``keys`` (it reads ``Event``'s value)."""
    return "Event" in keys


# -- @cee (syslog-carried) ---------------------------------------------------


def from_cee(payload: Mapping[str, Any], time: object) -> WinRecord:
    """A Windows event carried as ``@cee:`` JSON (EvntSLog style), timed by its syslog header."""
    return WinRecord(  # positional (see WinRecord): channel, event_id, computer, data, time, message
        _text(payload.get("nteventlogtype")) or "",
        _event_id(payload.get("id"), "cee"),
        _text(payload.get("source")),
        payload,
        time,
        _text(payload.get("msg")),
    )


def is_cee_windows(payload: Mapping[str, Any]) -> bool:
    """Cheap shape test for :func:`from_cee`."""
    return "nteventlogtype" in payload and "id" in payload
