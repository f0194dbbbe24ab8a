"""Hand-built sightings and one-step checks shared by the contact and download feature tests (task G2)."""

from __future__ import annotations

from analytics.checks import cluster_checks
from analytics.clusters import fan_out_clusters
from analytics.entity_stats import Window, entity_stats
from analytics.explain import Explanation, FeatureContribution
from analytics.features import SCORED_FEATURES, FeatureContext, cluster_features
from analytics.incidence import build_incidence
from analytics.pivot_contacts import PivotContacts
from graphsiem.model import Entity, EntityKey
from graphsiem.store.base import HostSighting

DAY = 86400.0
END = 1_700_000_000.0 + 2 * DAY
HOSTS = [f"ws-{i:03d}" for i in range(30)]


def filler() -> list[HostSighting]:
    """Old software on every host: what the fleet did before the window."""
    return [HostSighting(h, ("process", "explorer"), END - 2 * DAY, END, 40) for h in HOSTS]


def cluster_of(sightings: list[HostSighting], pivot: EntityKey, shares: dict[EntityKey, float] | None = None):
    """The incidence, the cluster ``pivot`` starts (window: the last day) and its features."""
    inc = build_incidence(sightings)
    stats = entity_stats(inc, [], window=Window(END - DAY, END))
    (cluster,) = [c for c in fan_out_clusters(inc, stats) if inc.entities[c.pivot] == pivot]
    context = FeatureContext(inc, stats, contact_shares=shares or {})
    return inc, cluster, cluster_features(context, cluster.pivot, cluster.members, cluster.hosts)


def first_step(feature: str, members: list[Entity], *, features: dict[str, float] | None = None,
               contacts: PivotContacts | None = None):
    """The first check of a cluster of ``members`` (pivot first) on 8 hosts where only ``feature`` contributed."""
    rows = tuple(FeatureContribution(n, 1.0, 0.0, 0.5 if n == feature else 0.0) for n in SCORED_FEATURES)
    explanation = Explanation("summary", rows, new_members=tuple(e.ref for e in members), candidates=40,
                              contacts=contacts)
    (step, *_) = cluster_checks(explanation, pivot=members[0], entities=members, hosts=HOSTS[:8],
                                first_seen=END - DAY, features=features or {})
    assert step.feature == feature
    return step
