"""A suppressed cluster claims only its twins: an attack on a subset of its hosts still shows.

A benign rollout (a domain, its .msi, the installer) on 40 of 100 hosts gets a
benign verdict; an attack (a new domain, a file, an encoded PowerShell command)
then runs on 25 of those 40 hosts.  The attack's entities are members of the
rollout's cluster (on most of its hosts, on no other host), but not its twins
(25 of 40 hosts is no near-identical host set).  The suppressed cluster used to
keep them as members, so the attack's own cluster was dropped as a duplicate
of a cluster nobody sees.
"""

from __future__ import annotations

from analytics.clusters import fan_out_clusters
from analytics.entity_stats import Window, entity_stats
from analytics.incidence import build_incidence
from graphsiem.store.base import HostSighting

DAY = 86400.0
END = 10 * DAY
HOSTS = [f"ws-{i:03d}" for i in range(100)]
ROLLOUT_HOSTS = HOSTS[:40]
ATTACK_HOSTS = HOSTS[:25]
ROLLOUT = [("domain", "updates.vendor.example"), ("file", "a" * 64), ("process", "msiexec /i agent.msi")]
ATTACK = [("domain", "bad.example"), ("file", "f" * 64), ("process", "powershell.exe -nop -w hidden -enc SQBFAFgA")]


def _clusters(excluded=frozenset()) -> dict:
    sightings = [HostSighting(h, ("process", "explorer"), 0.0, END, 50) for h in HOSTS]
    for i, h in enumerate(ROLLOUT_HOSTS):
        sightings += [HostSighting(h, e, END - 0.4 * DAY + 30 * i, END, 2) for e in ROLLOUT]
    for i, h in enumerate(ATTACK_HOSTS):
        sightings += [HostSighting(h, e, END - 0.2 * DAY + 60 * i, END, 3) for e in ATTACK]
    inc = build_incidence(sightings)
    stats = entity_stats(inc, [], window=Window(END - DAY, END))
    return {
        inc.entities[c.pivot]: ({inc.entities[j] for j in c.members}, sorted(inc.hosts[r] for r in c.hosts))
        for c in fan_out_clusters(inc, stats, excluded=frozenset(excluded))
    }


def test_attack_on_a_subset_of_a_suppressed_rollout_forms_its_own_cluster():
    found = _clusters(excluded={ROLLOUT[0]})
    assert ATTACK[0] in found
    members, hosts = found[ATTACK[0]]
    assert members == set(ATTACK)
    assert hosts == ATTACK_HOSTS
    # ... and the suppressed rollout does not come back, under any name.
    assert [pivot for pivot, (_, hosts) in found.items() if hosts == ROLLOUT_HOSTS] == []
    assert not any(set(ROLLOUT) & members for members, _ in found.values())
