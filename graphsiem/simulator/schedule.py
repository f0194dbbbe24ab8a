"""When runs happen: a scenario schedule turned into start times for one host and day.

Every time is drawn from a generator scoped to (scenario, activity, host[, day]),
so a host's times do not depend on which other hosts or scenarios exist.
"""

from __future__ import annotations

import math
from typing import Any

from graphsiem.simulator.randomness import rng_for
from graphsiem.simulator.scenario import Schedule

DAY = 86400.0


def resolve_days(spec: Any, days: int) -> set[int]:
    """Day indexes selected by a ``days``/``day`` value (``all``, ``last``, ``last:2``, ``-1``, ``[0, 2]``)."""
    if spec == "all":
        return set(range(days))
    if spec == "first":
        return {0}
    if spec == "last":
        return {days - 1}
    if isinstance(spec, str) and spec.startswith("last:"):
        return set(range(max(0, days - int(spec[5:])), days))
    items = spec if isinstance(spec, list) else [spec]
    return {int(i) % days for i in items if -days <= int(i) < days}


def run_times(schedule: Schedule, *, seed: int, scope: tuple[str, str], host: str, day: int,
              day_start: float, days: int, density: float) -> list[float]:
    """Epoch start times of the runs of one activity on ``host`` during ``day``."""
    if day not in resolve_days(schedule.days, days):
        return []
    low, high = schedule.between
    sticky = rng_for(seed, *scope, host)  # per-host habits: preferred minute, phase
    daily = rng_for(seed, *scope, host, day)
    every = schedule.every
    if every == "once":
        at = schedule.at if schedule.at is not None else rng_for(seed, *scope, "at").uniform(low, high)
        return [day_start + at + sticky.uniform(0.0, schedule.spread)]
    if every == "daily":
        if daily.random() >= schedule.probability:
            return []
        base = schedule.at if schedule.at is not None else sticky.uniform(low, high)
        jitter = daily.uniform(-schedule.jitter_seconds, schedule.jitter_seconds)
        return [day_start + min(max(base + jitter, 0.0), DAY - 1)]
    if every == "hourly":
        minute = sticky.uniform(0.0, 3600.0)
        times = []
        for hour in range(int(low // 3600), int(math.ceil(high / 3600))):
            offset = hour * 3600 + minute + daily.uniform(-schedule.jitter_seconds, schedule.jitter_seconds)
            if low <= offset < high and daily.random() < schedule.probability:
                times.append(day_start + offset)
        return times
    if every == "periodic":
        times = []
        offset = low + sticky.uniform(0.0, schedule.interval)
        while offset < high:
            times.append(day_start + offset)
            offset += schedule.interval * (1.0 + daily.uniform(-schedule.jitter, schedule.jitter))
        return times
    # random: a Poisson number of runs at uniform times
    count = _poisson(daily, schedule.per_day * density)
    return sorted(day_start + daily.uniform(low, high) for _ in range(count))


def _poisson(rng, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count
