"""A benign verdict on a credential finding covers the finding judged, not its validator for good (task SPRAY2).

A credential case is one per domain controller, so a verdict on its pivot alone did nothing (the
finding was not suppressed) or, had it suppressed the pivot, would have silenced the DC's next spray.
The verdict records the patterns, accounts, sources and compromises it was given on
(:mod:`analytics.credential_verdicts`): the nightly lock-out storm judged benign stays quiet, a new
source, other accounts or a success after the verdict show.  Through the real service (state,
journal, pipeline) on both stores.
"""

from __future__ import annotations

from typing import Any

from tests.analytics.test_credential_spray import BASE, validation
from tests.api.conftest import Api


def storm(start: float, record: int) -> list[dict[str, Any]]:
    """svc_backup's stale saved password: 25 wrong passwords from backup01 (a brute-force pattern)."""
    return [validation(start + 60 * n, "svc_backup", "BACKUP01", "0xc000006a", record + n) for n in range(25)]


def _ingest(api: Api, records: list[dict[str, Any]]) -> None:
    response = api.post("/v1/events", role="ingest", json=records)
    assert response.status_code == 200, response.text
    api.ctx.ingest.catch_up()


def _credential_cases(api: Api) -> list[dict[str, Any]]:
    run = api.detect()
    assert run["status"] == "done", run
    items = api.get("/v1/clusters", role="analyst", params={"limit": 100}).json()["items"]
    details = [api.get(f"/v1/clusters/{c['id']}", role="analyst").json() for c in items]
    return [d for d in details if d.get("credential")]


def _judge_benign(api: Api) -> dict[str, Any]:
    _ingest(api, storm(BASE, 100))
    cases = _credential_cases(api)
    assert [c["credential"]["pattern"] for c in cases] == ["brute_force"]
    response = api.patch(f"/v1/clusters/{cases[0]['id']}", role="analyst",
                         json={"verdict": "benign", "note": "svc_backup's stale password, ticket 812"})
    assert response.status_code == 200, response.text
    return cases[0]


def test_the_judged_storm_is_suppressed(api: Api) -> None:
    _judge_benign(api)
    _ingest(api, storm(BASE + 1800, 200))  # the same storm again, later in the window

    assert _credential_cases(api) == []


def test_a_new_source_on_the_judged_validator_is_shown(api: Api) -> None:
    judged = _judge_benign(api)
    _ingest(api, [validation(BASE + 1800 + 30 * n, "svc_backup", "KALI", "0xc000006a", 300 + n) for n in range(25)])

    cases = _credential_cases(api)

    assert len(cases) == 1 and cases[0]["id"] == judged["id"]
    assert "kali" in [w["label"] for w in cases[0]["credential"]["workstations"]]


def test_a_success_after_the_verdict_is_shown(api: Api) -> None:
    _judge_benign(api)
    _ingest(api, [validation(BASE + 1800, "svc_backup", "BACKUP01", "0x0", 400)])

    cases = _credential_cases(api)

    assert len(cases) == 1
    assert cases[0]["credential"]["pattern"] == "likely_compromise"
    assert [c["account"] for c in cases[0]["credential"]["compromised"]] == ["svc_backup"]
