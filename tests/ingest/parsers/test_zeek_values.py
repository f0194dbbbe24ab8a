"""Zeek values in the normal form: the field-name cache, microseconds and ISO times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from ingest.parsers import zeek_values
from ingest.parsers.base import ParseContext
from ingest.parsers.zeek import ZeekParser, round_micro


def test_field_name_cache_stays_bounded_under_random_keys() -> None:
    record = {
        "_path": "weird",
        "ts": 1.0,
        **{f"k{n}": n for n in range(zeek_values._NAME_CACHE_LIMIT + 10)},
    }
    (event,) = ZeekParser().parse(record, ParseContext(origin="fixture:1"))
    assert event.fields[f"zeek.k{zeek_values._NAME_CACHE_LIMIT + 9}"] == zeek_values._NAME_CACHE_LIMIT + 9
    assert len(zeek_values._FIELD_NAMES) <= zeek_values._NAME_CACHE_LIMIT


def _same(a: float, b: float) -> bool:
    """Bit for bit, so -0.0, inf and nan count too."""
    return repr(a) == repr(b)


@given(st.floats())
def test_round_micro_is_round_to_six_places(value: float) -> None:
    assert _same(round_micro(value), round(value, 6))


@given(st.integers(min_value=-(2**60), max_value=2**60))
def test_round_micro_keeps_whole_microseconds_as_round_does(micros: int) -> None:
    value = micros / 10**6  # a time read from text with six decimals
    assert _same(round_micro(value), round(value, 6))


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]),
)
def test_iso_times_are_whole_microseconds_that_round_would_keep(moment: datetime, zone: timezone) -> None:
    # the parser skips round(_, 6) on an aware datetime's timestamp(): it would change nothing
    aware = moment.replace(tzinfo=zone)
    for text in (aware.isoformat(), aware.isoformat().replace("+00:00", "Z")):
        assert _same(zeek_values._iso_to_epoch(text), round(aware.timestamp(), 6))
