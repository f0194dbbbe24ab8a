"""evaluate reports the ranking's credential findings: rank, pattern, validator and the entry matched."""

from __future__ import annotations

from analytics.evaluate import TruthEntry, credential_line, evaluate, render

SPRAY = TruthEntry("password_spray", "attack", frozenset({"dc-01", "ws-0032"}),
                   frozenset({("user", "corp\\bob"), ("user", "corp\\carol")}))
SEED = TruthEntry("seed_campaign", "attack", frozenset({"ws-1", "ws-2"}), frozenset({("domain", "x.example")}), True)


def _credential(validator: str, accounts: list[str], pattern: str, score: float) -> dict:
    return {"hosts": [validator], "score": score,
            "entities": [{"type": "host", "value": validator}] + [{"type": "user", "value": a} for a in accounts],
            "credential": {"pattern": pattern, "validator": validator}}


def test_a_credential_finding_that_matches_the_spray_is_reported_with_its_rank():
    ranking = [_credential("dc-01", ["corp\\bob", "corp\\carol"], "likely_compromise", 95.0),
               {"hosts": ["ws-1", "ws-2"], "score": 90.7, "entities": [{"type": "domain", "value": "x.example"}]}]
    result = evaluate(ranking, [SEED, SPRAY])
    assert result.credential == [{"rank": 1, "pattern": "likely_compromise", "validator": "dc-01",
                                  "matched": "password_spray"}]
    assert result.ranks == {"seed_campaign": 2, "password_spray": 1}
    text = render(result)
    assert "password_spray                   attack  1  (credential finding: likely_compromise on dc-01)" in text
    assert "credential findings: 1: #1 likely_compromise on dc-01 (password_spray)" in text


def test_a_credential_finding_of_benign_noise_is_an_unmatched_row():
    ranking = [{"hosts": ["ws-1", "ws-2"], "score": 90.7, "entities": [{"type": "domain", "value": "x.example"}]},
               _credential("srv-0002", ["corp\\svc-reporting"], "brute_force", 80.0)]
    result = evaluate(ranking, [SEED, SPRAY])
    assert result.credential == [{"rank": 2, "pattern": "brute_force", "validator": "srv-0002", "matched": None}]
    assert result.ranks["password_spray"] is None
    assert credential_line(result) == "credential findings: 1: #2 brute_force on srv-0002 (unmatched)"


def test_a_ranking_without_credential_rows_says_none():
    result = evaluate([{"hosts": ["ws-1", "ws-2"], "score": 90.7,
                        "entities": [{"type": "domain", "value": "x.example"}]}], [SEED])
    assert result.credential == []
    assert "credential findings: none" in render(result)
