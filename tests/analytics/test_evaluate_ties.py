"""Evaluation under ties: the expected rank under a random order of equal risks, and the risk margin.

On a simulated fleet most ordinary clusters share one risk and detection orders them
by a tie-break (fewer hosts first), so a decoy's literal rank can measure the list's
length, not the scorer (review R6, item 3).
"""

from __future__ import annotations

import pytest

from analytics.evaluate import TruthEntry, evaluate, render

TRUTH = [
    TruthEntry("seed", "attack", frozenset("abcd"), frozenset({("domain", "cdn.example")}), True),
    TruthEntry("beacon", "attack", frozenset("ef"), frozenset({("domain", "c2.example")})),
    TruthEntry("rollout", "benign", frozenset("ghij"), frozenset({("file", "setup.msi")})),
]


def _row(score, hosts, entity=("ip", "10.0.0.1")):
    return {"score": score, "hosts": list(hosts), "entities": [{"type": entity[0], "value": entity[1]}]}


def _ranking(rollout_position: int, n_ties: int = 12) -> list[dict]:
    """Two attacks on top, then ``n_ties`` rows of one risk, the rollout at ``rollout_position`` among them."""
    tied = [_row(20.0, f"x{i}") for i in range(n_ties - 1)]
    tied.insert(rollout_position, _row(20.0, "ghij", ("file", "setup.msi")))
    return [_row(80.0, "abcd", ("domain", "cdn.example")), _row(60.0, "ef", ("domain", "c2.example")), *tied]


def test_a_tied_decoy_has_the_same_expected_rank_wherever_the_tie_break_puts_it():
    last, first = evaluate(_ranking(11), TRUTH), evaluate(_ranking(0), TRUTH)
    assert (last.ranks["rollout"], first.ranks["rollout"]) == (14, 3)
    assert (last.decoys_in_top_10, first.decoys_in_top_10) == (0, 1)
    # 2 rows above, 12 tied: (12 + 1) / 2 places further on average, whatever the tie-break
    assert last.expected_ranks["rollout"] == first.expected_ranks["rollout"] == pytest.approx(2 + 6.5)
    assert last.tied["rollout"] == 12
    # 8 of the 12 tied places are in the top 10
    assert last.expected_decoys_in_top_10 == first.expected_decoys_in_top_10 == pytest.approx(8 / 12)
    assert last.expected_seed_rank == 1.0


def test_risk_margin_is_lowest_attack_minus_highest_other_row():
    assert evaluate(_ranking(5), TRUTH).risk_margin == pytest.approx(40.0)
    ranking = [_row(80.0, "abcd", ("domain", "cdn.example")), _row(70.0, "ghij", ("file", "setup.msi")),
               _row(70.0, "ef", ("domain", "c2.example"))]
    e = evaluate(ranking, TRUTH)
    assert e.risk_margin == pytest.approx(0.0)  # the beacon is only tied with the rollout: no margin
    assert e.expected_ranks["beacon"] == e.expected_ranks["rollout"] == pytest.approx(2.5)


def test_no_tie_figures_for_a_ranking_not_ordered_by_score():
    ranking = list(reversed(_ranking(5)))
    e = evaluate(ranking, TRUTH)
    assert e.expected_ranks["seed"] is None
    assert e.expected_decoys_in_top_10 is None and e.risk_margin is None
    assert "random order" not in render(e)
    unscored = [{k: v for k, v in row.items() if k != "score"} for row in _ranking(5)]
    assert evaluate(unscored, TRUTH).expected_ranks["seed"] is None


def test_render_keeps_its_lines_and_adds_the_tie_line():
    text = render(evaluate(_ranking(11), TRUTH))
    lines = text.splitlines()
    assert "rollout                          benign  14  (tied with 11 other rows: expected rank 8.5)" in lines
    assert any(line.startswith("average precision 1.000  decoys in top 10: 0  attacks in top 10: 2  seed rank: 1")
               for line in lines)
    assert lines[-1] == ("under a random order of equal risks: expected decoys in top 10: 0.67  "
                         "expected seed rank: 1  risk margin (lowest attack - highest other row): +40.00")
    assert evaluate(_ranking(11), TRUTH).to_dict()["expected_seed_rank"] == 1.0
