"""How regularly a cluster's hosts contacted a destination, from kept contact times (task BEACON).

A beacon with jitter and an agent's heartbeat are regular, a person's browsing
is not; a host with few contacts is not judged; contacts after the window's
end are not known.  The beacon check quotes the period, the jitter and the
regular hosts instead of asking for them.
"""

from __future__ import annotations

import dataclasses
import random

from analytics.checks import cluster_checks
from analytics.contact_regularity import (
    MIN_GAPS,
    Regularity,
    cluster_regularity,
    regularity_features,
)
from analytics.pivot_contacts import PivotContacts
from graphsiem.contact_times import merge_times
from tests.analytics.test_checks import CONTEXT, DOMAIN, HOSTS, MEMBERS, T0, _explanation

START = 1_764_000_000.0


def beacon(host_seed: int, *, period: float = 600.0, jitter: float = 0.2, contacts: int = 100) -> tuple[float, ...]:
    """A beacon every ``period`` seconds ± ``jitter`` of it (uniform), as kept by the store."""
    rng = random.Random(host_seed)
    times, now = [], START + rng.uniform(0, period)
    for _ in range(contacts):
        times.append(round(now, 3))
        now += period * (1 + rng.uniform(-jitter, jitter))
    return merge_times(times)


def browsing(host_seed: int, *, contacts: int = 100) -> tuple[float, ...]:
    """A person's visits: exponential gaps around 10 minutes."""
    rng = random.Random(host_seed)
    times, now = [], START
    for _ in range(contacts):
        now += rng.expovariate(1 / 600.0) + 3.0
        times.append(round(now, 3))
    return merge_times(times)


def test_a_jittered_beacon_is_regular_on_every_host_with_its_period():
    hosts = [f"ws-{n}" for n in range(12)]
    found = cluster_regularity({h: beacon(n) for n, h in enumerate(hosts)}, hosts)

    assert found.measured_hosts == found.regular_hosts == 12
    assert 540 <= found.gap_s <= 660 and 40 <= found.jitter_s <= 90 and found.cv < 0.2


def test_browsing_at_the_same_rate_is_not_regular():
    hosts = [f"ws-{n}" for n in range(12)]
    found = cluster_regularity({h: browsing(n) for n, h in enumerate(hosts)}, hosts)

    assert found.measured_hosts == 12 and found.regular_hosts <= 1 and found.cv > 0.6


def test_hosts_with_too_few_contacts_or_outside_the_cluster_are_not_measured():
    times = {"ws-a": beacon(1), "ws-b": beacon(2, contacts=MIN_GAPS), "ws-out": beacon(3)}

    found = cluster_regularity(times, ["ws-a", "ws-b", "ws-none"])

    assert (found.measured_hosts, found.regular_hosts) == (1, 1)
    assert cluster_regularity({"ws-b": beacon(2, contacts=MIN_GAPS)}, ["ws-b"]) is None


def test_contacts_after_the_window_end_are_not_known():
    times = {"ws-a": beacon(1)}
    eighth = times["ws-a"][MIN_GAPS - 1]  # only 7 gaps known by then

    assert cluster_regularity(times, ["ws-a"], until=eighth) is None
    assert cluster_regularity(times, ["ws-a"], until=times["ws-a"][MIN_GAPS]) is not None


def test_the_features_say_how_many_hosts_were_regular():
    found = cluster_regularity({"ws-a": beacon(1), "ws-b": browsing(2)}, ["ws-a", "ws-b"])

    features = regularity_features(found)

    assert features["contact_measured_hosts"] == 2 and features["contact_regular_hosts"] == 1
    assert features["contact_gap_cv"] > 0


def test_the_beacon_check_quotes_the_measured_regularity():
    contacts = PivotContacts(T0, T0 + 540, 22, interval_min=10.0, contacts=140, span_min=1400.0,
                             regularity=Regularity(14, 12, 600.4, 68.2, 0.11))
    explanation = dataclasses.replace(_explanation({"repeat_contacts": 0.3}), contacts=contacts)

    (step,) = cluster_checks(explanation, pivot=DOMAIN, entities=MEMBERS, hosts=HOSTS, first_seen=T0,
                             features={"burst_hosts": 22.0, **CONTEXT})

    assert "contacts every 10 min ± 1 min on 12 of 14 hosts" in step.check
    assert "check whether the intervals are regular" not in step.check
    assert "which process makes the contacts" in step.check


def test_a_heartbeats_jitter_under_a_minute_is_said_in_seconds():
    # A vendor agent every 30 min ± 2% (the simulator's vendor_heartbeat: a standard deviation of
    # ~20 s) read "± 0 min"; 36 s read "± 1 min"
    assert Regularity(150, 150, 1799.0, 20.4, 0.011).text() == "contacts every 30 min ± 20 s on 150 of 150 hosts"
    assert Regularity(150, 150, 1799.0, 36.4, 0.02).text() == "contacts every 30 min ± 36 s on 150 of 150 hosts"
    assert Regularity(9, 9, 14400.0, 1800.0, 0.13).text() == "contacts every 4.0 h ± 30 min on 9 of 9 hosts"
    assert Regularity(14, 12, 600.4, 68.2, 0.11).text() == "contacts every 10 min ± 1 min on 12 of 14 hosts"
