"""A campaign repeated on the same hosts the next day is not "routine" (task P1, red-team T12 finding 1).

Task K8 made a host routine for a behaviour shape after *one* earlier day on which
``min_hosts`` hosts or more completed it (a fleet job).  A campaign's own first wave is such a
day: a dropper campaign found on 40 hosts on day 1 gave no cluster on day 2 on the same 40
(``behaviour_hosts_routine`` 40), and one on 3 hosts on day 1 that fanned out to 40 on day 2
lost its first 3 from the cluster.  One earlier day is now no routine however many hosts
completed the pair on it (the host itself on :data:`analytics.behaviour_pivots.ROUTINE_DAYS`
distinct days still is), and a product's weekly job is left to the analyst: a benign verdict
on its first week's cluster, recorded as the service records it, covers the second week's,
whose pivot key is the same.

End to end (store -> detect -> state) on [embedded] and [neo4j].
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from analytics.config import DetectionConfig
from graphsiem.api.services.detections import snapshot
from graphsiem.api.state import StateStore
from graphsiem.api.state_verdicts import suppressed_members
from tests.analytics.behaviour_campaign import DAY, HOSTS, START, H
from tests.analytics.vendor_fleet import CONFIG, PRODUCT_HOSTS, Fleet, found_on_day

MIN_HOSTS = DetectionConfig().min_hosts


def test_a_campaigns_second_wave_on_the_same_hosts_is_found_again(store):
    """T12 F1 variant B: found on 40 hosts on day 1, the same campaign on the same 40 on day 2 is
    their cluster again (was: no cluster, 40 routine hosts)."""
    fleet = Fleet(days=3)
    fleet.dropper_campaign("a", HOSTS, START + 1 * DAY + 2 * H)
    fleet.dropper_campaign("b", HOSTS, START + 2 * DAY + 2 * H)
    fleet.write(store)

    first, _ = found_on_day(store, 1)
    second, result = found_on_day(store, 2)

    assert [hosts for hosts, _ in first] == [sorted(HOSTS)]
    assert [hosts for hosts, _ in second] == [sorted(HOSTS)]
    assert second[0][1].pivot.ref == first[0][1].pivot.ref  # one campaign, one key: its case continues
    assert result.stats["behaviour_hosts_routine"] == 0


def test_a_campaign_fanning_out_keeps_its_first_hosts_in_the_cluster(store):
    """T12 F1 variant A: on ``min_hosts`` hosts on day 1, on all 40 on day 2: the day-2 cluster holds
    the first hosts too (was: 37 hosts, the analyst not told the first ones were hit again)."""
    fleet = Fleet(days=3)
    fleet.dropper_campaign("a", HOSTS[:MIN_HOSTS], START + 1 * DAY + 2 * H)
    fleet.dropper_campaign("b", HOSTS, START + 2 * DAY + 2 * H)
    fleet.write(store)

    found, result = found_on_day(store, 2)

    assert [hosts for hosts, _ in found] == [sorted(HOSTS)]
    assert set(HOSTS[:MIN_HOSTS]) <= set(found[0][0])
    assert result.stats["behaviour_hosts_routine"] == 0


@pytest.mark.parametrize("digest", [
    pytest.param(None, id="no-hashes"),
    pytest.param("ab" * 32, id="the-same-build-both-weeks"),
])
def test_a_benign_verdict_on_a_weekly_jobs_first_week_covers_its_second(store, tmp_path: Path, digest):
    """The vendor's weekly job (30 hosts, days 1 and 8) is marked benign on its day-1 cluster, through
    the state the service keeps (its stored cluster, then the triage's verdict).  Day 8's detection,
    given the state's suppressions as the service gives them, applies that verdict to the job's
    cluster (same pivot, same hosts) and still shows the campaign of that day on other hosts.  (A new
    build of memdiag.exe on day 8 is a new shape; the verdict carries to it on the judged hosts:
    tests/analytics/test_behaviour_new_build_verdict.py.)"""
    fleet = Fleet(days=9)
    fleet.weekly_job(1, digest=digest)
    fleet.weekly_job(8, digest=digest)
    campaign = HOSTS[32:40]
    fleet.dropper_campaign("c", campaign, START + 8 * DAY + 12 * H)
    fleet.write(store)
    state = StateStore(tmp_path / "state.sqlite")
    try:
        (job_hosts, job), = found_on_day(store, 1)[0]
        (stored, _), = state.save_clusters("week-1", [snapshot(job)])
        state.update_triage(stored["id"], actor="analyst", changes={"verdict": "benign"}, pivot=job.pivot.ref)
        config = dataclasses.replace(CONFIG, suppressed=frozenset(state.suppressed_pivots()),
                                     suppressed_members=suppressed_members(state))
    finally:
        state.close()

    found, result = found_on_day(store, 8, config)

    assert job_hosts == PRODUCT_HOSTS
    assert [hosts for hosts, _ in found] == [campaign], [(c.pivot.value[:120], hosts) for hosts, c in found]
    assert result.stats["suppressions_applied"] == [list(job.pivot.ref)]
    assert result.stats["behaviour_hosts_routine"] == 0
