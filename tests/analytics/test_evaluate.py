"""Evaluation against ground truth: matching rule, ranks, metrics."""

from __future__ import annotations

import json

import pytest

from analytics.evaluate import TruthEntry, evaluate, load_truth, match


def _entry(name, kind, hosts, indicators, seed=False):
    return TruthEntry(name, kind, frozenset(hosts), frozenset(indicators), seed)


TRUTH = [
    _entry("png", "attack", ["a", "b", "c", "d"], [("domain", "cdn.example")], True),
    _entry("beacon", "attack", ["e", "f"], [("domain", "c2.example")]),
    _entry("inventory", "benign", list("abcdefgh"), [("script", "inv")]),
]


def _cluster(hosts, *entities, keys=()):
    return {
        "hosts": list(hosts),
        "entities": [{"type": t, "value": v} for t, v in entities],
        "entity_keys": [{"type": t, "key": k} for t, k in keys],
    }


def test_match_needs_a_shared_indicator_and_host_overlap():
    assert match(_cluster("abcd", ("domain", "CDN.example ")), TRUTH).name == "png"
    assert match(_cluster("abcd", ("domain", "other.example")), TRUTH) is None
    assert match(_cluster("wxyz", ("domain", "cdn.example")), TRUTH) is None


def test_match_by_entity_key():
    assert match(_cluster("ab", ("script", "Get-Inventory"), keys=[("script", "inv")]), TRUTH).name == "inventory"


def test_match_prefers_the_closest_host_set():
    truth = TRUTH + [_entry("png-decoy", "benign", list("abcdefghijkl"), [("domain", "cdn.example")])]
    assert match(_cluster("abcd", ("domain", "cdn.example")), truth).name == "png"


def test_metrics_of_a_ranking():
    ranking = [
        _cluster("abcd", ("domain", "cdn.example")),
        _cluster("abcd", ("domain", "cdn.example")),  # same campaign again: dropped
        _cluster("abcdefgh", ("script", "inv")),
        _cluster("xy", ("ip", "1.2.3.4")),
        _cluster("ef", ("domain", "c2.example")),
    ]
    e = evaluate(ranking, TRUTH)
    assert e.ranks == {"png": 1, "beacon": 4, "inventory": 2}
    assert e.seed_rank == 1
    assert e.recall_at_5 == 1.0
    assert e.precision_at_5 == pytest.approx(2 / 5)
    assert e.average_precision == pytest.approx((1 / 1 + 2 / 4) / 2)
    assert e.decoys_in_top_10 == 1
    assert e.attacks_in_top_10 == 2


def test_attack_never_found_counts_zero_in_average_precision():
    e = evaluate([_cluster("abcd", ("domain", "cdn.example"))], TRUTH)
    assert e.ranks["beacon"] is None
    assert e.average_precision == pytest.approx(0.5)
    assert e.recall_at_10 == 0.5


def test_load_truth_finds_entries_and_the_seed(tmp_path):
    path = tmp_path / "ground_truth.json"
    path.write_text(json.dumps({"campaigns": [
        {"name": "beacon", "kind": "attack", "hosts": ["E"], "indicators": [{"type": "domain", "value": "c2"}]},
        {"name": "seed-png", "kind": "attack", "hosts": ["A"], "indicators": []},
        {"name": "inv", "kind": "benign", "hosts": ["A"], "indicators": []},
    ], "seed": 7}))
    entries = load_truth(path)
    assert [e.name for e in entries] == ["beacon", "seed-png", "inv"]
    assert [e.is_seed for e in entries] == [False, True, False]
    assert entries[0].hosts == {"e"}


def test_load_truth_names_the_bad_entry():
    with pytest.raises(ValueError, match="entry 0"):
        load_truth({"campaigns": [{"kind": "attack"}]})
