"""What each registered sniff reads of a JSON object is declared, and the declarations hold.

``sniff_reads_values`` and ``could_claim_layout`` (:mod:`ingest.parsers.base`, "What a sniff
reads") decide which key layouts an ingest may remember.  A key-only parser whose sniff
answered otherwise when only values change, or a value-reading parser that claims an
object of a layout it said it could not, would let a remembered layout give a record
another parser than detection: these tests change the values of every fixture record
and check both.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers.base import Parser
from ingest.registry import default_registry
from tests.ingest.sniff_records import changed_values, shipped_mde_rows, sniff_records

REGISTRY = default_registry()
RECORDS = sniff_records()
KEY_ONLY = [parser for parser in REGISTRY if not parser.sniff_reads_values]  # type: ignore[attr-defined]
VALUE_READING = [parser for parser in REGISTRY if parser.sniff_reads_values]  # type: ignore[attr-defined]

SURVEY = {
    "elasticsearch": True, "splunk": True, "evtx_json": True, "winlogbeat": True, "sentinel": False,
    "nxlog": False, "mde": True, "zeek": True, "suricata": False, "windows_xml": False, "windows_kv": False,
    "syslog": False, "ecs": False,
}
"""The survey of issue #3: which sniffs read values, parser by parser, in detection order."""

MDE_ROW = shipped_mde_rows()[0]
WITNESSES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "elasticsearch": ({"_id": "1", "_source": {}}, {"_id": "1", "_source": "text"}),
    "splunk": ({"time": 1, "host": "ws-1", "event": "x"}, {"time": 1, "host": {"name": "ws-1"}, "event": "x"}),
    "evtx_json": ({"Event": {"System": {}}}, {"Event": "text"}),
    "winlogbeat": ({"winlog": {"event_id": 1}}, {"winlog": {"channel": "Security"}}),
    "mde": (MDE_ROW, {**MDE_ROW, "Type": "Other"}),
    "zeek": ({"ts": 1, "uid": "C1", "id": {"orig_h": "192.0.2.1"}}, {"ts": 1, "uid": "C1", "id": "C1"}),
}
"""Per value-reading parser: two objects of the same keys, the first claimed, the second not."""


def _sniff(parser: Parser, record: Any) -> bool:
    try:
        return bool(parser.sniff(record))
    except Exception:  # noqa: BLE001 - as detection reads a sniff that raised
        return False


def test_every_registered_parser_declares_what_its_sniff_reads() -> None:
    assert {parser.name: parser.sniff_reads_values for parser in REGISTRY} == SURVEY  # type: ignore[attr-defined]
    for parser in VALUE_READING:
        assert callable(getattr(parser, "could_claim_layout", None)), parser.name


@pytest.mark.parametrize("name", sorted(WITNESSES))
def test_a_value_reading_sniff_answers_otherwise_for_other_values_of_the_same_keys(name: str) -> None:
    """The declaration is needed: without it a remembered layout would hide the second object's format."""
    claimed, refused = WITNESSES[name]
    parser = REGISTRY.get(name)
    assert claimed.keys() == refused.keys()
    assert (_sniff(parser, claimed), _sniff(parser, refused)) == (True, False)
    assert parser.could_claim_layout(claimed.keys())  # type: ignore[attr-defined]


def test_each_fixture_record_is_within_the_layouts_its_sniffs_could_claim() -> None:
    assert len(RECORDS) > 150
    for record in RECORDS:
        for parser in VALUE_READING:
            if _sniff(parser, record):
                assert parser.could_claim_layout(record.keys()), (parser.name, sorted(record))  # type: ignore[attr-defined]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), record=st.sampled_from(RECORDS))
def test_changed_values_never_move_a_key_only_sniff_nor_leave_a_layout_said_unclaimable(
    data: st.DataObject, record: dict[str, Any],
) -> None:
    changed = data.draw(changed_values(record))
    keys = changed.keys()
    for parser in KEY_ONLY:
        assert _sniff(parser, changed) == _sniff(parser, record), (parser.name, changed)
    for parser in VALUE_READING:
        if _sniff(parser, changed):
            assert parser.could_claim_layout(keys), (parser.name, changed)  # type: ignore[attr-defined]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), record=st.sampled_from(RECORDS))
def test_a_layout_said_unclaimable_stays_so_with_keys_dropped(data: st.DataObject, record: dict[str, Any]) -> None:
    """Fewer keys, values changed: the branches of each ``could_claim_layout`` near their edges."""
    dropped = data.draw(st.sets(st.sampled_from(sorted(record)), max_size=max(0, len(record) - 1)))
    smaller = data.draw(changed_values({key: value for key, value in record.items() if key not in dropped}))
    for parser in VALUE_READING:
        if _sniff(parser, smaller):
            assert parser.could_claim_layout(smaller.keys()), (parser.name, smaller)  # type: ignore[attr-defined]
