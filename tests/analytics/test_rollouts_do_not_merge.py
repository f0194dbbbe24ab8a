"""Unrelated fleet-wide rollouts of one day form clusters of their own (review T2, finding 1).

On a pivot on most of the fleet, host sets say nothing: every other change the fleet made that
day is on nearly all its hosts too, so an EDR rollout absorbed six unrelated rollouts as "twins"
and outranked real attacks on their summed features.  There a host now counts as shared with a
new member only when the member was first seen on it within ``cooccurrence_minutes`` of the
pivot.  A small pivot's host set is evidence by itself: an attack's later stage on the same few
hosts, an hour after its first step, stays in its cluster.  Hand-built sightings: no store needed.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from analytics.candidate_history import candidate_rules
from analytics.clusters import COOCCURRENCE_MINUTES, cooccurring_hosts, fan_out_clusters
from analytics.config import ConfigError, DetectionConfig
from analytics.entity_stats import Window, entity_stats
from analytics.incidence import build_incidence
from graphsiem.store.base import HostSighting

DAY = 86400.0
START = 1_700_000_000.0
END = START + 3 * DAY
WINDOW = Window(END - DAY, END)
HOSTS = [f"ws-{i:03d}" for i in range(40)]
EDR = [("domain", "edr-deploy.sentry.example"), ("file", r"c:\windows\ccmcache\sentry.msi"),
       ("process", "sentryagent.exe")]
OFFICE = [("domain", "oneclient.sfx-ms.example"), ("url", "http://oneclient.sfx-ms.example/setup.msi"),
          ("process", "onedrivestandaloneupdater.exe /update")]
LATERAL = [("file", r"c:\windows\temp\~wmi.tmp"), ("process", "cmd.exe /q /c net group")]
LATER_STAGE = [("process", "powershell -nop -w hidden -enc SQBFAFgA"), ("script", "iex-stager")]


def _fleet() -> list[HostSighting]:
    """Three days of data: old software on every host from the start (a baseline), an EDR rollout
    on all 40 hosts in one hour, an office updater on all 40 hosts spread over three hours of the
    same morning (on each host 40 to 180 minutes away from the EDR), and a lateral movement on 5
    hosts whose second stage comes 70 minutes after its first."""
    rng = np.random.RandomState(3)
    out: list[HostSighting] = []
    for h in HOSTS:
        out.append(HostSighting(h, ("process", "svchost"), START + rng.uniform(0, 300), END, 500))
    morning = END - 0.6 * DAY
    for h in HOSTS:
        edr_at = morning + rng.uniform(0, 3600)
        office_at = edr_at + rng.choice([-1, 1]) * rng.uniform(40 * 60, 180 * 60)
        out += [HostSighting(h, key, edr_at + 5 * k, END, 3) for k, key in enumerate(EDR)]
        out += [HostSighting(h, key, office_at + 5 * k, END, 2) for k, key in enumerate(OFFICE)]
    for h in HOSTS[:5]:
        first = END - 0.3 * DAY + rng.uniform(0, 600)
        out += [HostSighting(h, key, first + 2 * k, END, 1) for k, key in enumerate(LATERAL)]
        out += [HostSighting(h, key, first + 70 * 60 + 3 * k, END, 1) for k, key in enumerate(LATER_STAGE)]
    return out


def _clusters(**kwargs):
    inc = build_incidence(_fleet())
    stats = entity_stats(inc, [], window=WINDOW, novelty_hosts=3)
    clusters = fan_out_clusters(inc, stats, **kwargs)
    return {inc.entities[c.pivot]: {inc.entities[j] for j in c.members} for c in clusters}


def test_two_rollouts_on_the_whole_fleet_form_two_clusters():
    clusters = _clusters()
    assert clusters[EDR[0]] == set(EDR)
    assert clusters[OFFICE[0]] == set(OFFICE)


def test_with_host_sets_alone_the_later_rollout_is_absorbed():
    # cooccurrence_minutes=0 is the earlier rule: the office updater vanished into the EDR's cluster.
    clusters = _clusters(cooccurrence_minutes=0)
    assert OFFICE[0] not in clusters
    assert set(OFFICE) <= clusters[EDR[0]]


def test_an_attacks_later_stage_on_a_few_hosts_stays_in_its_cluster():
    # 70 minutes apart, past even a tight gate: a small pivot's host set is the evidence, not gated.
    clusters = _clusters(cooccurrence_minutes=10)
    (pivot,) = [p for p, members in clusters.items() if LATERAL[0] in members]
    assert clusters[pivot] == set(LATERAL) | set(LATER_STAGE)


def test_cooccurring_hosts_counts_first_sightings_within_the_gate_on_the_pivots_hosts():
    # hosts x entities; 0 = not seen.  Entity 1 is 60 s after the pivot on host 0 and 15 min on host 1;
    # entity 2 is on host 2, where the pivot is not.
    first = sp.csc_matrix(np.array([[100.0, 160.0, 0.0], [500.0, 1400.0, 0.0], [0.0, 0.0, 520.0]]))
    assert cooccurring_hosts(first, 0, np.array([1, 2]), within_s=600.0).tolist() == [1.0, 0.0]
    assert cooccurring_hosts(first, 0, np.array([1, 2]), within_s=900.0).tolist() == [2.0, 0.0]


def test_the_gate_is_a_detection_setting_checked_on_load():
    assert DetectionConfig().cooccurrence_minutes == COOCCURRENCE_MINUTES == 30.0
    assert DetectionConfig.from_dict({"cooccurrence_minutes": 0}).cooccurrence_minutes == 0
    with pytest.raises(ConfigError, match="cooccurrence_minutes must be >= 0"):
        DetectionConfig.from_dict({"cooccurrence_minutes": -5})


def test_candidates_clustered_under_another_gate_are_no_reference():
    # Rows the earlier windows kept under another gate are another population of clusters.
    assert candidate_rules(DetectionConfig()) != candidate_rules(DetectionConfig(cooccurrence_minutes=0))
