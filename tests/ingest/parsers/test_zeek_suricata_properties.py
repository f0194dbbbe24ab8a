"""Property tests: random and mutated records never make the network parsers raise
anything but :class:`ParseError` (with a reason), and what they accept is well formed."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from graphsiem.model import Event
from ingest.normalize import canonical_ip, is_unset
from ingest.parsers.base import ParseContext, ParseError, Parser
from ingest.parsers.suricata import SuricataEveParser
from ingest.parsers.zeek import ZeekParser

FIXTURES = Path(__file__).parent / "fixtures"
ZEEK_RECORDS = list(json.loads((FIXTURES / "zeek" / "records.json").read_text()).values())
EVE_RECORDS = list(json.loads((FIXTURES / "suricata" / "records.json").read_text()).values())

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def outcome(parser: Parser, record: Any) -> list[Event] | None:
    """The events of ``record``, or ``None`` when it is rejected with a reason."""
    try:
        events = list(parser.parse(record, ParseContext(origin="prop:1", path_hint="conn.log")))
    except ParseError as error:
        assert str(error), "a rejection must give a reason"
        return None
    for event in events:
        assert isinstance(event.ts, float) and not math.isnan(event.ts)
        assert event.kind.startswith(f"{parser.name}:")
        assert all(isinstance(key, str) for key in event.fields)
    return events


@st.composite
def mutated(draw: st.DrawFn, records: list[dict[str, Any]]) -> dict[str, Any]:
    """A fixture record with some keys replaced by random JSON values, some deleted."""
    record = dict(draw(st.sampled_from(records)))
    keys = sorted(record)
    for key in draw(st.lists(st.sampled_from(keys), max_size=4, unique=True)):
        if draw(st.booleans()):
            record[key] = draw(json_values)
        else:
            del record[key]
    return record


@settings(max_examples=200, deadline=None)
@given(mutated(ZEEK_RECORDS))
def test_zeek_mutated_records_parse_or_are_rejected(record: dict[str, Any]) -> None:
    outcome(ZeekParser(), record)


@settings(max_examples=200, deadline=None)
@given(mutated(EVE_RECORDS))
def test_eve_mutated_records_parse_or_are_rejected(record: dict[str, Any]) -> None:
    outcome(SuricataEveParser(), record)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6) | json_values)
def test_random_values_parse_or_are_rejected(record: Any) -> None:
    outcome(ZeekParser(), record)
    outcome(SuricataEveParser(), record)


ZEEK_WITH_ADDRESSES = [r for r in ZEEK_RECORDS if "id.orig_h" in r and "_path" in r]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ZEEK_WITH_ADDRESSES), st.text(max_size=20))
def test_zeek_non_address_is_rejected_naming_the_field(record: dict[str, Any], text: str) -> None:
    assume(canonical_ip(text, strict=False) is None and not is_unset(text.strip()))
    with pytest.raises(ParseError, match="id.orig_h"):
        list(ZeekParser().parse({**record, "id.orig_h": text}, ParseContext()))


_NOT_A_TIME = st.sampled_from([math.nan, math.inf, -math.inf]) | st.floats(max_value=-1.0)


@settings(max_examples=50, deadline=None)
@given(
    # a Zeek ts of 1e11 or more is milliseconds (JSON::TS_MILLIS), 1e14 microseconds,
    # 1e17 nanoseconds: past 9999 in every unit from 2.6e20 on
    _NOT_A_TIME | st.floats(min_value=2.6e20, allow_infinity=False),
)
def test_out_of_range_zeek_times_are_rejected(ts: float) -> None:
    with pytest.raises(ParseError):
        list(ZeekParser().parse({"_path": "conn", "ts": ts}, ParseContext()))


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from(EVE_RECORDS),
    _NOT_A_TIME | st.floats(min_value=2.6e11, allow_infinity=False),
)
def test_out_of_range_times_are_rejected(record: dict[str, Any], ts: float) -> None:
    eve = {**record, "timestamp": ts, "flow": {"start": ts}}
    with pytest.raises(ParseError):
        list(SuricataEveParser().parse(eve, ParseContext()))
