"""Schedules: run times stay in their day window, are deterministic and honour their kind."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from graphsiem.simulator.scenario import parse_scenario
from graphsiem.simulator.schedule import resolve_days, run_times

DAY0 = 1793491200.0


def _schedule(**spec):
    document = {"name": "s", "label": "s", "kind": "benign", "hosts": {},
                "activities": [{"schedule": spec, "steps": [{"action": "dns", "domain": "a.example"}]}]}
    return parse_scenario(document).activities[0].schedule


def _times(schedule, host="ws-0001", day=0, days=3, seed=1):
    return run_times(schedule, seed=seed, scope=("s", "a"), host=host, day=day,
                     day_start=DAY0 + day * 86400, days=days, density=1.0)


def test_days_specs():
    assert resolve_days("all", 3) == {0, 1, 2}
    assert resolve_days("last", 3) == {2} and resolve_days("first", 3) == {0}
    assert resolve_days("last:2", 3) == {1, 2} and resolve_days(-1, 3) == {2}
    assert resolve_days([0, 5], 3) == {0}


@settings(max_examples=40, deadline=None)
@given(interval=st.integers(2, 120), jitter=st.floats(0, 0.5), seed=st.integers(0, 10**6))
def test_periodic_runs_are_increasing_inside_the_window(interval, jitter, seed):
    schedule = _schedule(every="periodic", interval_minutes=interval, jitter=jitter,
                         between=["01:00", "23:00"])
    times = _times(schedule, seed=seed)
    assert times == sorted(times) and len(times) >= 1
    assert all(DAY0 + 3600 <= t < DAY0 + 23 * 3600 for t in times)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(interval * 60 * (1 - jitter) - 1e-6 <= g <= interval * 60 * (1 + jitter) + 1e-6 for g in gaps)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), spread=st.integers(0, 60))
def test_once_runs_only_on_its_day_within_the_spread(seed, spread):
    schedule = _schedule(every="once", day="last", at="10:12", spread_minutes=spread)
    assert _times(schedule, day=0, seed=seed) == []
    (start,) = _times(schedule, day=2, seed=seed)
    offset = start - (DAY0 + 2 * 86400 + 10 * 3600 + 12 * 60)
    assert 0 <= offset <= spread * 60


def test_hourly_keeps_a_per_host_minute_and_is_deterministic():
    schedule = _schedule(every="hourly", between=["07:00", "19:00"])
    first = _times(schedule, host="ws-0001")
    assert first == _times(schedule, host="ws-0001")
    assert len(first) in (11, 12)
    minutes = {round((t - DAY0) % 3600) for t in first}
    assert len(minutes) == 1
    assert first != _times(schedule, host="ws-0002")


def test_random_count_scales_with_density():
    schedule = _schedule(every="random", per_day=20)
    low = sum(len(run_times(schedule, seed=1, scope=("s", "a"), host=f"h{i}", day=0, day_start=DAY0,
                            days=1, density=0.5)) for i in range(50))
    high = sum(len(run_times(schedule, seed=1, scope=("s", "a"), host=f"h{i}", day=0, day_start=DAY0,
                             days=1, density=2.0)) for i in range(50))
    assert 300 < low < 700 and 1700 < high < 2300
