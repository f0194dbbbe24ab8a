"""Explanations say only what the detection measured (review R3, items 5-8).

* ``exclusivity`` is at least ``min_overlap`` by the membership rule: it is
  context, not scored, and the summary no longer rests a claim on it (item 5);
* with too few candidate clusters the forest cannot tell them apart: the risk
  is marked low-confidence, in the summary and the contract (item 6);
* ``repeat_contacts`` follows the newness rule of the other features (item 7);
* the first-contact time in the summary is the full range, the inter-quartile
  range only as "half of them" (item 8).
"""

from __future__ import annotations

import numpy as np
import pytest

from analytics.cluster_summary import summarize
from analytics.clusters import fan_out_clusters
from analytics.detect import detect
from analytics.entity_stats import Window, entity_stats
from analytics.explain import explain
from analytics.features import SCORED_FEATURES, ClusterFacts, FeatureContext, cluster_features
from analytics.incidence import build_incidence
from analytics.scoring import MIN_CONFIDENT_CANDIDATES
from graphsiem.model import Entity, Sighting
from graphsiem.store.base import HostSighting
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.fleet import CAMPAIGN, DAY, END, fleet_sightings, populate

WINDOW = Window(END - DAY, END)


def _cluster_facts(sightings, pivot, **cluster_args):
    inc = build_incidence(sightings)
    stats = entity_stats(inc, [], window=WINDOW)
    cluster = next(c for c in fan_out_clusters(inc, stats, **cluster_args) if inc.entities[c.pivot] == pivot)
    return cluster_features(FeatureContext(inc, stats), cluster.pivot, cluster.members, cluster.hosts)


# -- item 5: exclusivity ---------------------------------------------------------


def test_exclusivity_is_context_not_a_scored_feature():
    facts = _cluster_facts(fleet_sightings(), CAMPAIGN[0])
    assert "exclusivity" not in SCORED_FEATURES
    assert "exclusivity" not in facts.features
    assert facts.context["exclusivity"] == 1.0


def test_the_summary_claims_nothing_about_sightings_elsewhere():
    facts = _cluster_facts(fleet_sightings(), CAMPAIGN[0])
    text = summarize(facts, pivot_type="domain", pivot_value="bad.example", host_count=8, pivot_is_new=True)
    assert "nowhere else" not in text and "outside these hosts" not in text


# -- item 7: repeat_contacts and newness -----------------------------------------


def _polled(first_seen: float) -> list[HostSighting]:
    """An updater domain polled 96 times a day by 6 hosts since ``first_seen``, plus filler."""
    hosts = [f"ws-{i:03d}" for i in range(20)]
    days = (END - first_seen) / DAY
    out = [HostSighting(h, ("domain", "updates.vendor.example"), first_seen + 60 * i, END, int(96 * days))
           for i, h in enumerate(hosts[:6])]
    out += [HostSighting(h, ("process", "explorer"), 0.0, END, 10) for h in hosts]
    return out


def test_repeat_contacts_of_a_pivot_known_before_the_window_take_the_floor():
    # The driver-updater decoy's case: new_pivots_only=False lets an old pivot start a
    # cluster, and its polling counted as beaconing.
    facts = _cluster_facts(_polled(END - 3 * DAY), ("domain", "updates.vendor.example"), new_pivots_only=False)
    assert facts.features["repeat_contacts"] == 24.0
    assert facts.context["repeat_contacts_raw"] == pytest.approx(96.0, rel=0.01)  # still shown


def test_repeat_contacts_of_a_new_pivot_still_count():
    facts = _cluster_facts(_polled(END - 0.5 * DAY), ("domain", "updates.vendor.example"))
    # 48 contacts over each host's 12 hours: 47 intervals, 94 a day (per calendar day it read 48)
    assert facts.context["repeat_contacts_raw"] == pytest.approx(47 / 12 * 24, rel=0.01)
    assert facts.features["repeat_contacts"] == pytest.approx(47 / 12 * 24, rel=0.01)


# -- item 8: first-contact times in the summary ----------------------------------


def test_the_summary_gives_the_full_range_and_the_iqr_as_half_of_the_hosts():
    # 22 hosts: 20 within 4 minutes, 2 late ones (8.4 minutes after the first).
    t0 = END - 0.5 * DAY
    offsets = list(np.linspace(0, 240, 20)) + [480.0, 504.0]
    hosts = [f"ws-{i:03d}" for i in range(60)]
    s = [HostSighting(h, ("domain", "cdn.example"), t0 + dt, END, 1) for h, dt in zip(hosts, offsets, strict=False)]
    s += [HostSighting(h, ("process", "explorer"), 0.0, END, 10) for h in hosts]
    facts = _cluster_facts(s, ("domain", "cdn.example"))
    assert facts.context["first_contact_range_min"] == pytest.approx(8.4)
    iqr = facts.context["first_contact_spread_raw_min"]
    assert iqr < 3.0
    text = summarize(facts, pivot_type="domain", pivot_value="cdn.example", host_count=22, pivot_is_new=True)
    assert text.startswith(f"22 hosts first contacted domain cdn.example within 9 minutes (10 of them within {int(np.ceil(iqr))} minutes)")


def test_within_never_understates():
    facts = ClusterFacts({"first_contact_spread_min": 4.2}, [], [], [], [],
                         {"first_contact_spread_raw_min": 4.2, "first_contact_range_min": 4.2})
    assert "within 5 minutes" in summarize(facts, pivot_type="domain", pivot_value="x", host_count=3, pivot_is_new=True)


# -- item 6: too few candidates --------------------------------------------------


def test_explain_marks_a_risk_among_too_few_candidates_as_low_confidence():
    facts = ClusterFacts({name: 0.0 for name in SCORED_FEATURES}, [], [], [], [])
    zeros = np.zeros(len(SCORED_FEATURES))
    args = dict(pivot_type="domain", pivot_value="x", host_count=3, pivot_is_new=True)
    low = explain(facts, zeros, zeros, candidates=MIN_CONFIDENT_CANDIDATES - 1, **args)
    normal = explain(facts, zeros, zeros, candidates=MIN_CONFIDENT_CANDIDATES, **args)
    assert low.confidence == "low" and "low confidence" in low.summary
    assert normal.confidence == "normal" and "low confidence" not in normal.summary
    assert set(low.to_dict()) == {"summary", "features", "checks"}  # confidence is not in it (score_confidence is)


def _detect_fleet(path, extra_domains: int = 0):
    """Detection over ``tests.analytics.fleet`` plus ``extra_domains`` new domains, each on its own 4 hosts."""
    with EmbeddedStore(path) as store:
        populate(store)
        names = [f"new{k}.example" for k in range(extra_domains)]
        store.upsert_entities([Entity("domain", n, n) for n in names])
        store.upsert_sightings([Sighting(f"ws-{10 + 4 * k + i:03d}", ("domain", n), END - 0.3 * DAY + 3000 * i, END, 2)
                                for k, n in enumerate(names) for i in range(4)])
        store.flush()
        return detect(store)


def test_a_detection_with_three_candidates_says_its_risks_are_low_confidence(tmp_path):
    result = _detect_fleet(tmp_path / "graph")
    assert len(result.clusters) == 3
    for cluster in result.clusters:
        assert cluster.explanation.confidence == "low"
        assert "low confidence: scored among only 3 new clusters" in cluster.explanation.summary
        assert cluster.to_contract()["score_confidence"] == "low"


def test_a_detection_with_enough_candidates_is_not_marked(tmp_path):
    result = _detect_fleet(tmp_path / "graph", extra_domains=MIN_CONFIDENT_CANDIDATES - 3)  # 3 + 17 candidates
    assert len(result.clusters) >= MIN_CONFIDENT_CANDIDATES
    assert {c.to_contract()["score_confidence"] for c in result.clusters} == {"normal"}
    assert "low confidence" not in result.clusters[0].explanation.summary
