"""Microsoft Defender for Endpoint (MDE) advanced hunting rows: process, network, file, registry, logon...

Three shapes carry the same rows (the ``Device*`` tables of advanced hunting):

* **Streaming API** (Event Hub, storage account): ``{"time", "tenantId",
  "operationName": "Publish", "category": "AdvancedHunting-<Table>",
  "properties": {row}}``, one per line; an Event Hub message ``{"records":
  [record, ...]}`` is split into its records (below);
* **Microsoft Sentinel / Log Analytics**: the flat row with ``Type`` (the
  table), ``TimeGenerated`` and ``TenantId``;
* **advanced hunting API / portal export**: the flat row alone.  Its table
  is told from the row (:func:`table_of`): a ``DeviceNetworkInfo`` row has
  ``IPAddresses`` or ``NetworkAdapterName``; else the ``ActionType`` names
  it (each action type but ``DnsQueryResponse`` belongs to one table:
  ``ProcessCreated``, ``Connection*`` and ``*Inspected``, ``File*``,
  ``ImageLoaded``, ``Registry*``, ``Logon*``); else a row with
  ``Protocol`` and ``RemoteIP`` is ``DeviceNetworkEvents``, one with
  ``LogonType`` ``DeviceLogonEvents``, one with ``RegistryKey`` and no
  ``FileName`` ``DeviceRegistryEvents``, and any other ``DeviceEvents``.

Sniff: a ``category`` starting ``AdvancedHunting-`` beside a ``properties``
object (or a ``records`` list whose first item is one); a ``Type`` starting
``Device`` beside ``DeviceName`` or ``DeviceId``; or ``Timestamp``,
``DeviceId``, ``DeviceName`` and ``ActionType`` (``IPAddresses`` or
``NetworkAdapterName`` for ``DeviceNetworkInfo``, which has no action).
``DeviceId`` keeps out Defender for Identity's rows (``IdentityLogonEvents``
has ``DeviceName`` and ``ActionType``, about another machine's logon).  A
row without ``DeviceId`` (an export of chosen columns, ``| project
Timestamp, DeviceName, ActionType, ...``) is claimed when its action type is
one only a ``Device*`` table writes, logons excepted (``ProcessCreated``,
``Connection*``, ``File*``, ``Registry*``, ``ImageLoaded``...).

Rows: the mapping is by ``ActionType`` (:mod:`ingest.parsers.mde_tables`): a
row that is the observation a Sysmon or Security event stands for takes that
kind and its fields (``ProcessCreated`` is ``sysmon:process_create``, a
connection ``sysmon:network_connect``, ``LogonSuccess`` ``winsec:logon``...),
so the projection and the IP -> host map treat it exactly as that event.  A
``DeviceNetworkInfo`` row gives one ``mde:network_info`` event per address
the adapter holds, each an address assignment the IP -> host map learns
(``dhcp.assigned_ip`` -> ``dhcp.hostname``, as from a DHCP lease: a day from
the report, ended early by the address's next holder); an adapter that is
not up, or holds no address, gives one event that teaches nothing.  Every
other row is ``mde:event`` with its process and account.  ``Event.source``
is ``mde``; ``event.dataset`` is the table, ``event.action`` the action type.

Time: ``Timestamp`` (UTC, ISO with seven fractional digits), else
``TimeGenerated``, else the streaming record's ``time``.  Host: ``DeviceName``
(an FQDN) normalised to the short name, as written in ``host.name.original``;
``DeviceId`` is ``host.id``.  A row without ``DeviceName`` is rejected: it
cannot be placed on a machine.  Only ``Device*`` tables are read: the
streaming API's other tables (``EmailEvents``, ``IdentityLogonEvents``,
``AlertInfo``...) are rejected with their table named.

Event Hub messages: a message is split by :meth:`MdeParser.parts` (the
wrapper hook of :mod:`ingest.parsers.base`): each of its records is a record
of its own for the pipeline, with origin ``<origin>#record-<n>`` (``n`` from
1), counted, accepted or rejected alone (a row without ``DeviceName``, a table
that is not read), with the reason and its own text.  Each is read as a record
on its own line would be (a Log Analytics row in a message is read as one).
Its event ids are over its canonical JSON
(:func:`ingest.readers.ndjson.canonical_json`), also its raw evidence, so the
same message again adds nothing, and on an id scheme 1 journal a record has
one id in a message and on a line of its own.  (Before records were parts, a
message's ids were over the whole message and the event's position.)  A
message of no records (``{"records": []}``) is not claimed: nothing in it says
it is MDE's (every Azure resource log streams through Event Hubs in that
envelope), and Event Hubs delivers no empty message, so it is rejected as a
record no parser recognises, unlike Elasticsearch's empty scroll page, which is
the normal end of every scroll loop.

Columns no rule reads are kept as ``mde.<Column>``, and ``AdditionalFields``'
members as ``mde.additional.<name>`` (text, number and boolean values, text
cut to :data:`REMAINDER_CHARS`), at most :data:`REMAINDER_LIMIT` of them in
row order; ``mde.remainder_dropped`` counts the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from datetime import datetime
from operator import itemgetter
from typing import Any

from graphsiem.model import Event
from ingest.normalize import UNSET_TEXT, normalize_host, parse_timestamp
from ingest.parsers.base import ParseContext, ParseError, Parser, Record, parse_parts
from ingest.parsers.mde_columns import INITIATING_COLUMNS, additional_fields, network_info
from ingest.parsers.mde_tables import NETWORK_INFO_KIND, mapper_of
from ingest.parsers.portal_times import portal_time_or_value

NAME = "mde"

STREAMING_PREFIX = "AdvancedHunting-"
TABLE_PREFIX = "Device"

REMAINDER_LIMIT = 64
"""Unmapped values kept per event (the raw record keeps them all)."""
REMAINDER_CHARS = 1024
"""Characters kept of one unmapped text value."""

_READ = frozenset(("Timestamp", "TimeGenerated", "DeviceName", "DeviceId", "ActionType", "AdditionalFields"))
_ENVELOPE = frozenset((
    # Log Analytics' own columns: where and when the row was stored, not what happened
    "TenantId", "Type", "SourceSystem", "MachineGroup", "_ResourceId", "_ItemId", "_BilledSize", "_IsBillable",
    "_TimeReceived", "_Internal_WorkspaceResourceId", "_SubscriptionId",
))
_SKIPPED = _READ | _ENVELOPE | INITIATING_COLUMNS

_ACTION_PREFIXES = (
    ("Connection", "DeviceNetworkEvents"), ("Inbound", "DeviceNetworkEvents"), ("Listening", "DeviceNetworkEvents"),
    ("File", "DeviceFileEvents"), ("Registry", "DeviceRegistryEvents"), ("Logon", "DeviceLogonEvents"),
    ("ProcessCreated", "DeviceProcessEvents"), ("ImageLoaded", "DeviceImageLoadEvents"),
)
"""Action-type prefixes that name one table (``DnsQueryResponse`` does not: it is in two)."""


def _table_of_action(action: str) -> str | None:
    """The one table an action type belongs to (:data:`_ACTION_PREFIXES`, the ``*Inspected`` network
    inspections), else ``None``."""
    for prefix, table in _ACTION_PREFIXES:
        if action.startswith(prefix):
            return table
    return "DeviceNetworkEvents" if action.endswith("Inspected") else None


def _is_device_action(action: object) -> bool:
    """An action type only a ``Device*`` table has, logons left out (Defender for Identity's
    ``IdentityLogonEvents`` write ``LogonSuccess`` beside a ``DeviceName`` too)."""
    if action.__class__ is not str:
        return False
    table = _table_of_action(action)  # type: ignore[arg-type]
    return table is not None and table != "DeviceLogonEvents"


def table_of(row: dict[str, Any]) -> str:
    """The table of a flat advanced hunting row, told from its columns (module docstring).

    >>> table_of({"ActionType": "ConnectionSuccess", "RemoteIP": "203.0.113.7"})
    'DeviceNetworkEvents'
    >>> table_of({"IPAddresses": "[]"}), table_of({"ActionType": "AntivirusDetection", "FileName": "x.exe"})
    ('DeviceNetworkInfo', 'DeviceEvents')
    """
    if "IPAddresses" in row or "NetworkAdapterName" in row:
        return "DeviceNetworkInfo"
    action = row.get("ActionType")
    if isinstance(action, str):
        table = _table_of_action(action)
        if table is not None:
            return table
    if "Protocol" in row and "RemoteIP" in row:
        return "DeviceNetworkEvents"
    if "LogonType" in row:
        return "DeviceLogonEvents"
    if "RegistryKey" in row and "FileName" not in row:
        return "DeviceRegistryEvents"
    return "DeviceEvents"


def is_streaming_record(record: object) -> bool:
    """A streaming API record: ``category`` ``AdvancedHunting-<Table>`` and a ``properties`` object."""
    if not isinstance(record, dict):
        return False
    category = record.get("category")
    return isinstance(category, str) and category.startswith(STREAMING_PREFIX) and isinstance(
        record.get("properties"), dict)


class MdeParser:
    """MDE advanced hunting rows, in each of their three shapes, -> normalised events."""

    name = NAME
    sniff_reads_values = True
    """``category``, ``Type``, ``records`` and ``ActionType`` are read (:mod:`ingest.parsers.base`)."""

    def could_claim_layout(self, keys: AbstractSet[str]) -> bool:
        """Whether some object with exactly ``keys`` is a row of the three shapes, whatever its values.

        Follows :meth:`sniff` branch by branch; a ``null`` ``Type`` or ``records``
        falls through to the next branch, as there.

        >>> parser = MdeParser()
        >>> parser.could_claim_layout({"Type", "DeviceName", "TimeGenerated"}), parser.could_claim_layout({"Type"})
        (True, False)
        >>> parser.could_claim_layout({"category", "time"}), parser.could_claim_layout({"Timestamp", "DeviceName", "ActionType"})
        (False, True)
        """
        if "category" in keys:
            return "properties" in keys
        if "Type" in keys and ("DeviceName" in keys or "DeviceId" in keys):
            return True
        return "records" in keys or "Timestamp" in keys and "DeviceName" in keys and (
            "ActionType" in keys or "IPAddresses" in keys or "NetworkAdapterName" in keys) and (
            "DeviceId" in keys or "ActionType" in keys)

    def sniff(self, record: Record) -> bool:
        """One of the three shapes (module docstring); reads at most four keys of other records."""
        if not isinstance(record, dict):
            return False
        if "category" in record:
            return is_streaming_record(record)
        table = record.get("Type")
        if table is not None:
            return isinstance(table, str) and table.startswith(TABLE_PREFIX) and (
                "DeviceName" in record or "DeviceId" in record)
        records = record.get("records")
        if records is not None:
            return isinstance(records, list) and bool(records) and is_streaming_record(records[0])
        return "Timestamp" in record and "DeviceName" in record and (
            "ActionType" in record or "IPAddresses" in record or "NetworkAdapterName" in record) and (
            "DeviceId" in record or _is_device_action(record.get("ActionType")))

    def parts(self, record: Record) -> Iterator[tuple[Any, str]] | None:
        """An Event Hub message's records, each with its origin suffix ``#record-<n>``; ``None`` for a row.

        The pipeline takes each record as a record of its own (:mod:`ingest.parsers.base`).
        Asked of every MDE record, so a row costs one key lookup.

        >>> message = {"records": [{"category": "AdvancedHunting-DeviceEvents", "properties": {}}]}
        >>> [suffix for _, suffix in MdeParser().parts(message)], MdeParser().parts({"Timestamp": "t"})
        (['#record-1'], None)
        """
        if not isinstance(record, dict):
            return None
        records = record.get("records")
        if records.__class__ is not list or "category" in record or "Type" in record:
            return None  # a streaming or Log Analytics row is a row whatever else it holds
        return ((item, f"#record-{number}") for number, item in enumerate(records, 1))

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """The events of one record; :class:`ParseError` names what is wrong with a row.

        Given a whole Event Hub message (a caller without the pipeline's :meth:`parts`),
        the events of all its records, each with its ``#record-<n>`` origin; the first
        record that cannot be read then fails the message, its reason led by ``record-<n>: ``,
        and a message of no records is refused.
        """
        records = self.parts(record)
        if records is None:
            return iter(_row(record, context))
        return parse_parts(records, context, _row, "an Event Hub message with no records")


def _row(record: Any, context: ParseContext) -> list[Event]:
    """The events of one streaming, Sentinel or flat record (not a message of several), each with it as raw."""
    if not isinstance(record, dict):
        raise ParseError("an MDE record must be a JSON object")
    if "category" in record:
        if not is_streaming_record(record):
            raise ParseError("a streaming record needs a category AdvancedHunting-<table> and a properties object")
        table = record["category"][len(STREAMING_PREFIX):]
        row = record["properties"]
        fallback = record.get("time")
    else:
        row = record
        table = record.get("Type")
        if table is None:
            table = table_of(record)
        elif not isinstance(table, str):
            raise ParseError("Type is not a table name")
        fallback = None
    if not table.startswith(TABLE_PREFIX):
        raise ParseError(f"advanced hunting table {table[:64]!r} is not read (only Device* tables)")
    try:
        return _row_events(row, table, fallback, context, record)
    except ParseError as exc:
        raise ParseError(f"MDE {table[:64]} row: {exc}") from None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        raise ParseError(f"MDE {table[:64]} row: {exc}") from None


def _seconds(stamp: object, default_timezone: str) -> float:
    """Epoch seconds of a row's time: MDE's own ``2024-03-05T10:20:00.1234567Z`` read directly
    (2 us, where the general reader takes 12), anything else by :func:`parse_timestamp`."""
    if isinstance(stamp, str) and len(stamp) == 28 and stamp[27] == "Z" and stamp[19] == "." and stamp.isascii():
        try:  # cut to microseconds, as parse_timestamp does
            return datetime.fromisoformat(stamp[:26] + "+00:00").timestamp()
        except ValueError:
            pass  # the general reader says what is wrong
    else:  # a portal's CSV export (2/25/2025, 9:19:25.391 AM; May 7, 2024 18:41:25)
        stamp = portal_time_or_value(stamp)
    return parse_timestamp(stamp, default_timezone=default_timezone)


def _set(value: object) -> bool:
    return value is not None and not (value.__class__ is str and value in UNSET_TEXT)


def _row_events(
    row: dict[str, Any], table: str, fallback: object, context: ParseContext, raw: dict[str, Any] | None
) -> list[Event]:
    stamp = row.get("Timestamp")
    if not _set(stamp):
        stamp = row.get("TimeGenerated")
        if not _set(stamp):
            stamp = fallback if _set(fallback) else None
            if stamp is None:
                raise ParseError("no Timestamp")
    ts = _seconds(stamp, context.default_timezone)
    device = row.get("DeviceName")
    host = normalize_host(str(device)) if _set(device) and not isinstance(device, dict | list) else None
    if host is None:
        raise ParseError("no DeviceName")
    fields: dict[str, Any] = {"event.dataset": table, "host.name.original": str(device)}
    device_id = row.get("DeviceId")
    if _set(device_id) and isinstance(device_id, str | int):
        fields["host.id"] = str(device_id)
    action = row.get("ActionType")
    if _set(action) and isinstance(action, str):
        fields["event.action"] = action
    additional = additional_fields(row.get("AdditionalFields"))
    origin = context.origin
    if table == "DeviceNetworkInfo":
        held = network_info(row, fields)
        _remainder(row, fields, _NETWORK_INFO_READ, additional)
        if not held:
            return [Event("", NETWORK_INFO_KIND, ts, host, NAME, fields, origin, raw)]
        return [
            Event("", NETWORK_INFO_KIND, ts, host, NAME,
                  {**fields, "dhcp.assigned_ip": ip, "dhcp.hostname": host}, origin, raw)
            for ip in held
        ]
    mapper, read = mapper_of(action)
    kind = mapper(row, fields, additional)
    _remainder(row, fields, read, additional)
    # positional (id, kind, ts, host, source, fields, origin, raw), as the Windows parser makes them
    return [Event("", kind, ts, host, NAME, fields, origin, raw)]


_NETWORK_INFO_READ = frozenset(("MacAddress", "NetworkAdapterStatus", "IPAddresses"))
_INT64 = 2**63
_LAYOUTS = 4096
_LAYOUT_KEYS = 256
"""Keys of the longest layout remembered (a ``DeviceProcessEvents`` row has about 60 columns)."""
_LAYOUT_KEY_BUDGET = 65536
"""Keys held over all remembered layouts: 4,096 junk layouts of 256 long keys held 214 MiB (review);
this holds about 15 MiB at worst, and some thousand real layouts of 40-60 columns."""
_layout_keys_held = 0
_layouts: dict[tuple[frozenset[str], bool, tuple[Any, ...]], tuple[tuple[str, ...], Callable[[Any], Any]]] = {}
"""Per (columns a mapper reads, is ``AdditionalFields``, the keys in order): the field names of the
keys kept, and a getter of their values.  Rows of one table and action come with the same columns
in the same order, so a row's keys are judged once for all its rows, and the columns not kept
(about half: the actor's, those the mapper read) are not visited."""


def _field_name(key: object, read: frozenset[str], is_additional: bool) -> str:
    if not isinstance(key, str) or len(key) > 64 or key in read:
        return ""
    if is_additional:
        return "mde.additional." + key
    return "" if key in _SKIPPED else "mde." + key


def _no_values(items: Any) -> tuple[()]:
    return ()


def _layout(
    items: dict[Any, Any], read: frozenset[str], is_additional: bool
) -> tuple[tuple[str, ...], Callable[[Any], Any]]:
    """The field names of the kept keys of ``items``, in order, and a getter of their values as a tuple
    (memoised while the keys are short)."""
    keys = tuple(items)
    known = _layouts.get((read, is_additional, keys))
    if known is not None:
        return known
    kept = [(key, name) for key in keys if (name := _field_name(key, read, is_additional))]
    getter: Callable[[Any], Any]
    if not kept:
        getter = _no_values
    elif len(kept) == 1:
        only = kept[0][0]
        getter = lambda items: (items[only],)  # noqa: E731 (itemgetter of one key gives no tuple)
    else:
        getter = itemgetter(*(key for key, _ in kept))
    known = tuple(name for _, name in kept), getter
    # bounded against junk: a row of many or long keys is judged again, not held
    if len(keys) <= _LAYOUT_KEYS and all(key.__class__ is str and len(key) <= 64 for key in keys):
        global _layout_keys_held
        if len(_layouts) >= _LAYOUTS or _layout_keys_held + len(keys) > _LAYOUT_KEY_BUDGET:
            _layouts.clear()
            _layout_keys_held = 0
        _layouts[(read, is_additional, keys)] = known
        _layout_keys_held += len(keys)
    return known


def _integer_text(text: str) -> Any:
    """A ``long`` column's text as the JSON row's number (a 64-bit integer), else the text."""
    digits = text[1:] if text[:1] == "-" else text
    if len(text) <= 20 and digits.isdigit() and digits.isascii():
        number = int(text)
        if -_INT64 <= number < _INT64:
            return number
    return text


_BOOLEANS = {"true": True, "false": False}


def _boolean_text(text: str) -> Any:
    """A ``bool`` column's text (``true``, ``False``...) as the JSON row's boolean, else the text."""
    return _BOOLEANS.get(text.lower(), text) if len(text) <= 5 else text


_TEXT_TYPES: dict[str, Callable[[str], Any]] = {
    **dict.fromkeys((f"mde.{column}" for column in (
        "FileSize", "InitiatingProcessFileSize", "ProcessId", "ReportId", "LocalPort", "RemotePort", "LogonId",
        "InitiatingProcessLogonId", "InitiatingProcessSessionId", "CreatedProcessSessionId", "RequestSourcePort",
        "OSBuild")), _integer_text),
    **dict.fromkeys((f"mde.{column}" for column in (
        "IsAzureInfoProtectionApplied", "IsInitiatingProcessRemoteSession", "IsProcessRemoteSession",
        "IsLocalAdmin", "IsAzureADJoined", "IsInternetFacing", "IsExcluded", "IsTransient")), _boolean_text),
    **dict.fromkeys((f"mde.{column}" for column in (
        "ProcessCreationTime", "InitiatingProcessCreationTime", "InitiatingProcessParentCreationTime")), portal_time_or_value),
}
"""The remainder's columns whose JSON value is a number, a boolean or a time, by the advanced hunting
schema of the ``Device*`` tables.  A CSV export (:mod:`ingest.readers.csv_rows`) writes them as text:
read so, they are the values the same row as JSON gives (a JSON row's value, already typed, is not
text and is kept as it is)."""


def _remainder(row: dict[str, Any], fields: dict[str, Any], read: frozenset[str], additional: dict[str, Any]) -> None:
    """Unread columns as ``mde.<Column>``, then ``AdditionalFields`` as ``mde.additional.<name>``, bounded."""
    kept = dropped = 0
    for is_additional, items in ((False, row), (True, additional)):
        if not items:
            continue
        names, values = _layout(items, read, is_additional)
        for name, value in zip(names, values(items)):  # noqa: B905 (one length)
            kind = value.__class__
            if kind is str:
                if value in UNSET_TEXT:
                    continue
                typed = _TEXT_TYPES.get(name)
                if typed is not None:  # a CSV export's text of a typed column: the JSON row's value
                    value = typed(value)
                    kind = value.__class__
            if kind is str:
                if len(value) > REMAINDER_CHARS:
                    value = value[:REMAINDER_CHARS]
            elif kind is int:
                if not -_INT64 <= value < _INT64:
                    value = str(value)  # JSON (and the journal) holds 64-bit integers: kept as its digits
            elif kind is not float and kind is not bool:
                continue  # null, objects and lists (dynamic columns) stay in the raw record
            if kept == REMAINDER_LIMIT:
                dropped += 1
                continue
            fields[name] = value
            kept += 1
    if dropped:
        fields["mde.remainder_dropped"] = dropped


def parsers() -> list[Parser]:
    """The MDE parser (one plugin for the three shapes).

    >>> [p.name for p in parsers()]
    ['mde']
    """
    return [MdeParser()]
