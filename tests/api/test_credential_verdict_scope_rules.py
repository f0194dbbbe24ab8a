"""Each rule of a credential verdict's scope shows what the analyst did not judge (review R20 #4).

:func:`analytics.credential_verdicts.covered_by_verdict` compares a later finding with the judged one
on accounts, sources, patterns and compromises, and a record that lists only part of its accounts
cannot be compared.  Removing the accounts check, the pattern check or the "more listed than shown"
rule left every test passing: one test each, through the real service (state, journal, pipeline,
detect) on both stores, as :mod:`tests.api.test_credential_verdict_scope`.
"""

from __future__ import annotations

from typing import Any

from analytics.credential_words import SHOWN
from tests.analytics.test_credential_spray import BASE, validation
from tests.api.conftest import Api
from tests.api.test_credential_verdict_scope import _credential_cases, _ingest, storm


def _spray(start: float, accounts: int, record: int) -> list[dict[str, Any]]:
    """One wrong password for each of ``accounts`` accounts from backup01, a second apart (a spray)."""
    return [validation(start + n, f"user{n:03d}", "BACKUP01", "0xc000006a", record + n) for n in range(accounts)]


def _judge_benign(api: Api, records: list[dict[str, Any]]) -> dict[str, Any]:
    _ingest(api, records)
    cases = _credential_cases(api)
    assert len(cases) == 1, cases
    response = api.patch(f"/v1/clusters/{cases[0]['id']}", role="analyst",
                         json={"verdict": "benign", "note": "judged in the test"})
    assert response.status_code == 200, response.text
    return cases[0]["credential"]


def test_other_accounts_from_the_judged_source_are_shown(api: Api) -> None:
    _judge_benign(api, storm(BASE, 100))
    # the same source, the same pattern (a brute force), another account
    _ingest(api, [validation(BASE + 1800 + 60 * n, "svc_sql", "BACKUP01", "0xc000006a", 300 + n) for n in range(25)])

    cases = _credential_cases(api)

    assert len(cases) == 1
    record = cases[0]["credential"]
    assert set(record["patterns"]) == {"brute_force"}
    assert [w["label"] for w in record["workstations"]] == ["backup01"]
    assert "svc_sql" in {a["account"].rsplit("\\", 1)[-1] for a in record["accounts"]}


def test_a_new_pattern_on_the_judged_accounts_and_source_is_shown(api: Api) -> None:
    judged = _judge_benign(api, _spray(BASE, 12, 100))
    assert set(judged["patterns"]) == {"password_spray"}
    # one of the sprayed accounts, from the same source, is then brute forced: no new account or source
    _ingest(api, [validation(BASE + 1800 + 60 * n, "user000", "BACKUP01", "0xc000006a", 300 + n) for n in range(25)])

    cases = _credential_cases(api)

    assert len(cases) == 1
    record = cases[0]["credential"]
    assert "brute_force" in record["patterns"]
    assert {a["account"] for a in record["accounts"]} <= {a["account"] for a in judged["accounts"]}
    assert [w["label"] for w in record["workstations"]] == ["backup01"]


def test_a_finding_listing_part_of_its_accounts_stays_shown(api: Api) -> None:
    judged = _judge_benign(api, _spray(BASE, SHOWN + 10, 100))
    assert judged["accounts_total"] == SHOWN + 10 and len(judged["accounts"]) == SHOWN
    _ingest(api, _spray(BASE + 1800, SHOWN + 10, 300))  # the same spray again: its unlisted accounts cannot be compared

    cases = _credential_cases(api)

    assert len(cases) == 1
    assert cases[0]["credential"]["accounts_total"] == SHOWN + 10
