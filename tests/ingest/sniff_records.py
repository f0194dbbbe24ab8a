"""JSON records of every format the sniffs tell apart, and copies of them with values changed.

For the tests of what each sniff reads (``tests/ingest/parsers/test_sniff_declarations.py``)
and of the session's parser cache by key layout (``tests/ingest/test_pipeline_forged_layouts.py``).
The records are the parsers' own fixture rows, plus the shapes they take on the way
(MDE rows shipped by Logstash, which adds ``@timestamp`` and ``host``; Splunk HEC events
and results; Elasticsearch hits; Zeek with a nested ``id``).  The changed values are the
ones sniffs read (``Type``, ``host``, ``_source``...) set to what another format or a
forger would write.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from hypothesis import strategies as st

TESTS = Path(__file__).parent
PARSER_FIXTURES = TESTS / "parsers" / "fixtures"

NDJSON_FILES = (
    *sorted((PARSER_FIXTURES / "windows").glob("*.ndjson")),
    PARSER_FIXTURES / "mde" / "sentinel.ndjson",
    PARSER_FIXTURES / "mde" / "streaming.ndjson",
    PARSER_FIXTURES / "ecs" / "devices.ndjson",
    PARSER_FIXTURES / "exports" / "security_event.ndjson",
    TESTS / "fixtures" / "ecs_events.ndjson",
    TESTS / "fixtures" / "sensor" / "a_conn.json",
)
NAMED_RECORD_FILES = (
    PARSER_FIXTURES / "zeek" / "records.json",
    PARSER_FIXTURES / "suricata" / "records.json",
    PARSER_FIXTURES / "mde" / "advanced_hunting.json",
)

SNIFFED_KEYS = (
    "Type", "category", "properties", "records", "ActionType", "DeviceId", "host", "time", "event", "_source",
    "hits", "result", "_raw", "results", "winlog", "Event", "id", "event_id", "computer_name", "_path", "ts",
    "event_type", "timestamp", "@timestamp", "EventID", "Hostname",
)
"""Keys whose values some sniff reads, or whose presence decides between formats: changed most often."""

FORGED_VALUES: tuple[Any, ...] = (
    None, "Other", "SecurityEvent", "DeviceProcessEvents", "AdvancedHunting-DeviceEvents", "ProcessCreated",
    "LogonSuccess", "ws-1", 1700000000, True, 0, "", [], [{"category": "AdvancedHunting-DeviceEvents", "properties": {}}],
    {}, {"name": "logstash-01"}, {"System": {}}, {"event_id": 4688}, {"orig_h": "192.0.2.1"}, {"hits": []},
    {"_raw": "x"}, "<Event xmlns='x'/>",
)
"""Values a forger, or another format, may put under a sniffed key."""


def _ndjson(path: Path) -> list[dict[str, Any]]:
    return [record for line in path.read_bytes().splitlines() if line.strip()
            if isinstance(record := orjson.loads(line), dict)]


def _shipped_mde(row: dict[str, Any]) -> dict[str, Any]:
    """An MDE row as Logstash forwards it: its own columns, plus ``@timestamp`` and ``host``."""
    return {**row, "@timestamp": row.get("TimeGenerated") or row.get("Timestamp"), "host": {"name": "logstash-01"}}


def _hec(index: int) -> dict[str, Any]:
    return {"time": 1700000000 + index, "host": f"ws-{index}", "sourcetype": "_json",
            "event": {"@timestamp": "2024-03-05T10:20:00Z", "host": {"name": f"ws-{index}"},
                      "process": {"name": "cmd.exe", "pid": 100 + index}}}


def _nested_zeek(record: dict[str, Any]) -> dict[str, Any]:
    """A Zeek record written with its connection as a nested ``id`` object."""
    nested = {key: value for key, value in record.items() if not key.startswith("id.")}
    nested["id"] = {key[3:]: value for key, value in record.items() if key.startswith("id.")}
    return nested


def sniff_records() -> list[dict[str, Any]]:
    """Every fixture record and the shapes derived from them (a new list each call)."""
    records: list[dict[str, Any]] = []
    for path in NDJSON_FILES:
        records += _ndjson(path)
    for path in NAMED_RECORD_FILES:
        records += [record for record in orjson.loads(path.read_bytes()).values() if isinstance(record, dict)]
    records += [record for record in orjson.loads((PARSER_FIXTURES / "exports" / "mde_log_analytics.json").read_bytes())]
    records.append(orjson.loads((PARSER_FIXTURES / "mde" / "eventhub_message.json").read_bytes()))  # split in parts
    mde_rows = _ndjson(PARSER_FIXTURES / "mde" / "sentinel.ndjson")
    records += [_shipped_mde(row) for row in mde_rows]
    records += [_hec(index) for index in range(3)]
    records += [{"_index": "mde", "_id": f"hit-{index}", "_source": _shipped_mde(row)} for index, row in enumerate(mde_rows)]
    records += [{"_raw": orjson.dumps(row).decode(), "_time": "2024-03-05T10:20:00.000+00:00", "sourcetype": "_json"}
                for row in mde_rows[:2]]
    zeek = orjson.loads((PARSER_FIXTURES / "zeek" / "records.json").read_bytes())
    records += [_nested_zeek(record) for record in zeek.values() if isinstance(record, dict) and "id.orig_h" in record]
    return records


def shipped_mde_rows() -> list[dict[str, Any]]:
    """MDE rows as Logstash forwards them: MDE's by their ``Type``, and ECS's with any other ``Type``."""
    return [_shipped_mde(row) for row in _ndjson(PARSER_FIXTURES / "mde" / "sentinel.ndjson")]


def contested_records(records: list[dict[str, Any]], detect: Callable[[dict[str, Any]], str | None]) -> list[dict[str, Any]]:
    """The records that one forged value under a sniffed key gives to another parser (``detect`` names it).

    The records a forged first row of their layout could hand to the wrong parser, were
    the layout remembered: Logstash-shipped MDE rows (``Type``), Splunk HEC events
    (``host``, ``time``).
    """
    return [record for record in records if any(
        detect({**record, key: value}) not in (None, detect(record))
        for key in record if key in SNIFFED_KEYS for value in FORGED_VALUES)]


@st.composite
def changed_values(draw: st.DrawFn, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with up to three values changed (mostly sniffed keys), its keys and their order kept."""
    changed = dict(record)
    keys = list(record)
    sniffed = [key for key in keys if key in SNIFFED_KEYS]
    for _ in range(draw(st.integers(0, 3))):
        pool = sniffed if sniffed and draw(st.booleans()) else keys
        key = draw(st.sampled_from(pool))
        changed[key] = draw(st.sampled_from(FORGED_VALUES) | st.text(max_size=12) | st.integers(-(2**63), 2**63 - 1))
    return changed
