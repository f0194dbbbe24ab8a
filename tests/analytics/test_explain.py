"""Explanations: replace-with-baseline contributions and the one-line summary."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.attribution import contributions, feature_baseline
from analytics.cluster_summary import summarize
from analytics.explain import explain
from analytics.features import SCORED_FEATURES, ClusterFacts
from analytics.lineage import LineagePair
from analytics.scoring import ClusterScorer


def _facts(**overrides):
    features = {name: 0.0 for name in SCORED_FEATURES}
    features.update(overrides)
    return ClusterFacts(features, [], [], [], [])


@pytest.fixture
def fitted():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(size=(60, 3)), [[0.0, 10.0, 0.0]], [[6.0, 6.0, 6.0]]])
    return ClusterScorer(random_state=0).fit(X), X


def test_contributions_sum_to_the_risk_above_the_baseline(fitted):
    scorer, X = fitted
    base = feature_baseline(X)
    c = contributions(scorer, X, base)
    assert c.shape == X.shape
    expected = (scorer.risk(X) - scorer.risk(base[None])[0]) / 100
    np.testing.assert_allclose(c.sum(axis=1), expected, atol=1e-9)


def test_the_unusual_feature_gets_the_credit(fitted):
    scorer, X = fitted
    c = contributions(scorer, X, feature_baseline(X))
    assert int(np.argmax(c[-2])) == 1
    # Redundant evidence is shared, not lost: each of three extreme features gets a share.
    assert np.all(c[-1] > 0.05)


def test_a_feature_at_its_baseline_contributes_nothing(fitted):
    scorer, X = fitted
    base = feature_baseline(X)
    x = base.copy()
    x[0] = 5.0
    c = contributions(scorer, x[None], base)
    assert c[0, 1] == 0.0 and c[0, 2] == 0.0
    assert c[0, 0] == pytest.approx((scorer.risk(x[None])[0] - scorer.risk(base[None])[0]) / 100)


def test_no_clusters_no_contributions():
    scorer = ClusterScorer(random_state=0).fit(np.random.RandomState(0).normal(size=(10, 2)))
    assert contributions(scorer, np.zeros((0, 2)), np.zeros(2)).shape == (0, 2)


def test_explanation_lists_every_feature_by_contribution():
    facts = _facts()
    contrib = np.linspace(0.0, 0.8, len(SCORED_FEATURES))
    e = explain(facts, contrib, np.zeros(len(SCORED_FEATURES)), pivot_type="domain",
                pivot_value="x.example", host_count=5, pivot_is_new=True)
    assert [f.name for f in e.features] == list(SCORED_FEATURES)[::-1]
    d = e.to_dict()
    assert set(d) == {"summary", "features", "checks"}
    assert set(d["features"][0]) >= {"name", "value", "baseline", "contribution"}


def test_summary_of_an_old_pivot_seen_elsewhere():
    text = summarize(_facts(), pivot_type="process", pivot_value="psexec.exe",
                     host_count=4, pivot_is_new=False)
    assert text == "4 hosts ran process psexec.exe (known before the window)"


def test_summary_truncates_long_values_and_keeps_markup_as_text():
    value = "<script>alert(1)</script>" + "A" * 200
    facts = ClusterFacts({"first_contact_spread_min": 300.0},
                         [LineagePair("a.exe", "b.exe", 1, 0.0), LineagePair("c.exe", "d.exe", 1, 0.0)],
                         [], ["remote_thread"], [])
    text = summarize(facts, pivot_type="url", pivot_value=value, host_count=3, pivot_is_new=True)
    assert "<script>alert(1)</script>" in text
    assert "A" * 100 not in text
    # 3 hosts: no "half of them" (1 host lies between the quartiles), the plain count only
    assert "3 hosts first requested url" in text and "half of them" not in text and "of them within" not in text
    assert "b.exe spawned by a.exe, d.exe spawned by c.exe are new in the fleet" in text


def test_every_part_of_the_summary_writes_hidden_characters_as_codes():
    # Review U2 #7: the pivot was escaped, but a lineage pair carried its raw U+202E into
    # the summary the API, webhooks and tickets pass on ("… spawned by svchost.exe is new").
    child = "C:\\Users\\Public\\\u202egpj.exe"
    facts = ClusterFacts({"first_contact_spread_min": 2.0}, [LineagePair("svchost.exe", child, 4, 0.0)],
                         [], [], [], history=True)
    text = summarize(facts, pivot_type="process", pivot_value=child, host_count=4, pivot_is_new=True)
    assert "\u202e" not in text
    assert text.count("\\u202egpj.exe") == 2
