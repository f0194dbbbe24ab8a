"""Token buckets per sender, their bounded table, and the syslog drops they count (task G6).

An injectable clock steps time: nothing here sleeps or times anything.
"""

from __future__ import annotations

import logging

import pytest

from graphsiem.rate_limits import BucketTable, Limit, TokenBucket, parse_rate_overrides
from graphsiem.syslog_rate_limit import COUNTED_SOURCES, OTHER_SOURCES, SourceRateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    bucket = TokenBucket(Limit(rate=10, burst=5), now=0.0)
    assert [bucket.take(0.0) for _ in range(6)] == [0.0] * 5 + [pytest.approx(0.1)]
    assert bucket.take(0.25) == 0.0 and bucket.take(0.25) == 0.0  # 2.5 tokens back
    assert bucket.take(0.25) == pytest.approx(0.05)  # half a token left: nothing taken
    bucket.take(100.0)
    assert bucket.tokens == 4  # a long silence refills to the burst, no further
    assert bucket.take(50.0) == 0.0  # a clock that steps back refills nothing and breaks nothing


def test_a_charge_goes_into_debt_and_tells_how_long_to_wait() -> None:
    bucket = TokenBucket(Limit(rate=100, burst=50), now=0.0)
    assert bucket.charge(0.0, 30) == 0.0
    assert bucket.charge(0.0, 120) == pytest.approx(1.0)  # 100 tokens short at 100/s
    assert bucket.take(0.5) == pytest.approx(0.51)  # still 50 short after half a second


def test_the_table_forgets_the_least_recently_used_beyond_its_bound() -> None:
    clock = Clock()
    table: BucketTable[str] = BucketTable(Limit(1, 1), max_keys=100, clock=clock)
    table.take("loud")
    for i in range(10_000):  # a spoofed flood: one datagram from each of 10,000 addresses
        table.take(f"10.{i // 256}.{i % 256}.1")
        if i % 50 == 0:
            assert table.take("loud") > 0.0  # heard often: never forgotten, still limited
    assert len(table) == 100 and table.forgotten == 10_000 + 1 - 100


def test_per_key_limits_and_unlimited_keys() -> None:
    table: BucketTable[str] = BucketTable(Limit(1, 1), max_keys=10, clock=Clock(),
                                          limit_of={"bulk": Limit(0, 0), "fast": Limit(1, 3)}.get)
    assert all(table.take("bulk") == 0.0 for _ in range(100))
    assert [table.take("fast") == 0.0 for _ in range(4)] == [True, True, True, False]
    assert [table.take("other") == 0.0 for _ in range(2)] == [True, False]
    assert len(table) == 2  # an unlimited key keeps no bucket


@pytest.mark.parametrize(("value", "problem"), [
    ("[1, 2]", "must be an object"),
    ("{", "not JSON"),
    ('{"k1": true}', "key 'k1': the rate must be a number"),
    ('{"k1": -2}', "key 'k1': the rate must be a number"),
    ('{"k 1": 2}', "'k 1' is not a key id"),
])
def test_bad_overrides_name_the_entry_and_the_reason(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_rate_overrides(value)


def test_limits_refuse_settings_that_would_refuse_everything() -> None:
    with pytest.raises(ValueError, match="burst below 1"):
        Limit(10, 0.5)
    with pytest.raises(ValueError, match="at least 0"):
        Limit(-1, 10)


def test_a_spoofed_flood_keeps_the_counts_and_the_warning_bounded(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limit = SourceRateLimit(Limit(rate=0.001, burst=1), transport="udp", max_sources=500,
                            warn_every_s=10, clock=clock)
    with caplog.at_level(logging.WARNING, logger="graphsiem.syslog"):
        for i in range(3000):
            source = f"198.51.{i // 256}.{i % 256}"
            assert limit.admit(source) is True  # each spoofed address has its own burst
            assert limit.admit(source) is False
        for _ in range(5000):
            limit.admit("203.0.113.7")  # one loud sender, forgotten never
        clock.now += 10
        limit.report()
    assert len(limit.buckets) == 500
    assert len(limit.dropped_by_source) == COUNTED_SOURCES + 1  # the named ones and "other"
    assert limit.dropped_by_source[OTHER_SOURCES] == 3000 - COUNTED_SOURCES + 5000 - 1
    assert limit.dropped == 3000 + 5000 - 1
    lines = [r.getMessage() for r in caplog.records]
    # the first drop at once, then the rest when the interval is over: every drop in a line
    assert len(lines) == 2 and lines[0].startswith("syslog: dropped 1 UDP datagrams")
    assert "other: 7743" in lines[1] and "dropped 7998 UDP" in lines[1]
    assert len(lines[1]) < 400  # the loudest 5 named, the rest a count
