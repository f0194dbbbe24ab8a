"""A suppression absorbs only the twins its verdict covered (review R5, finding 2).

A rollout (domain, .msi, installer on 20 hosts) is marked benign; later the
same hosts run a payload (a new domain and an encoded PowerShell), twins of
the rollout's pivot by their host sets.  With the rollout's members stored
with the suppression, the payload starts a cluster again; without a member
list every twin is absorbed, as before.
"""

from __future__ import annotations

from analytics.clusters import fan_out_clusters
from analytics.entity_stats import Window, entity_stats
from analytics.incidence import build_incidence
from graphsiem.store.base import HostSighting

DAY = 86400.0
END = 10 * DAY
HOSTS = [f"ws-{i:03d}" for i in range(60)]
ROLLOUT_HOSTS = HOSTS[:20]
ROLLOUT = [("domain", "deploy.corp.example"), ("file", "contosonotes.msi"), ("process", "msiexec /i contosonotes.msi")]
PAYLOAD = [("domain", "upd-rollout-cdn.example"), ("process", "powershell -enc AAAA")]


def _clusters(members=None):
    sightings = [HostSighting(h, ("process", "explorer"), 0.0, END, 50) for h in HOSTS]
    for i, h in enumerate(ROLLOUT_HOSTS):
        sightings += [HostSighting(h, e, END - 0.5 * DAY + 600 * i, END, 2) for e in ROLLOUT]
        sightings += [HostSighting(h, e, END - 0.1 * DAY + 30 * i, END, 3) for e in PAYLOAD]
    inc = build_incidence(sightings)
    stats = entity_stats(inc, [], window=Window(END - DAY, END))
    clusters = fan_out_clusters(inc, stats, excluded=frozenset({ROLLOUT[0]}), excluded_members=members)
    return [([inc.entities[j] for j in c.members], sorted(inc.hosts[r] for r in c.hosts)) for c in clusters]


def test_a_twin_that_came_after_the_verdict_starts_a_cluster():
    found = _clusters({ROLLOUT[0]: frozenset(ROLLOUT)})
    assert len(found) == 1
    members, hosts = found[0]
    assert hosts == ROLLOUT_HOSTS
    assert members[0] == PAYLOAD[0] and set(PAYLOAD) <= set(members)


def test_without_a_member_list_every_twin_stays_suppressed():
    assert _clusters() == []
    assert _clusters({}) == []


def test_the_covered_members_alone_stay_suppressed():
    assert _clusters({ROLLOUT[0]: frozenset(ROLLOUT + PAYLOAD)}) == []
