"""A benign suppression removes its cluster; it does not rename it (review R3, item 2).

The rollout below is three near-identical entities on the same 20 hosts (a
domain, the .msi it served, the installer process).  Suppressing the domain
that names the cluster used to let the .msi start the very same cluster again,
and then the process: the analyst's verdict only changed the cluster's name.
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
# The attack shares 4 of its 8 hosts with the rollout.
ATTACK_HOSTS = HOSTS[16:24]
ATTACK = [("domain", "bad.example"), ("process", "powershell -enc AAAA")]


def _sightings() -> list[HostSighting]:
    out = [HostSighting(h, ("process", "explorer"), 0.0, END, 50) for h in HOSTS]
    for i, h in enumerate(ROLLOUT_HOSTS):
        out += [HostSighting(h, e, END - 0.5 * DAY + 600 * i, END, 2) for e in ROLLOUT]
    for i, h in enumerate(ATTACK_HOSTS):
        out += [HostSighting(h, e, END - 0.2 * DAY + 30 * i, END, 3) for e in ATTACK]
    return out


def _clusters(excluded=frozenset()):
    inc = build_incidence(_sightings())
    stats = entity_stats(inc, [], window=Window(END - DAY, END))
    clusters = fan_out_clusters(inc, stats, excluded=frozenset(excluded))
    return [(inc.entities[c.pivot], sorted(inc.hosts[r] for r in c.hosts)) for c in clusters]


def test_both_clusters_form_without_suppression():
    found = dict(_clusters())
    assert found == {ROLLOUT[0]: ROLLOUT_HOSTS, ATTACK[0]: ATTACK_HOSTS}


def test_suppressing_the_rollout_pivot_removes_its_cluster_and_keeps_the_attack():
    found = _clusters(excluded={ROLLOUT[0]})
    # No cluster on the rollout's hosts under another name (the .msi, the installer).
    assert [hosts for _, hosts in found if hosts == ROLLOUT_HOSTS] == []
    assert found == [(ATTACK[0], ATTACK_HOSTS)]


def test_suppressing_a_twin_that_never_named_the_cluster_changes_nothing():
    # The .msi is absorbed by the domain's cluster: suppressing it alone hides nothing.
    assert dict(_clusters(excluded={ROLLOUT[1]})) == dict(_clusters())
