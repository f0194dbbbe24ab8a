"""The API says why a credential finding's hosts are one finding (task CRED3 item 1).

A sprayer that writes a new claimed workstation name to each of six servers is one finding, merged on
the shared account list; the cluster's ``credential.merged_by`` names the ground, the accounts and
when they failed, and its checks say it.  Through the real service (state, journal, pipeline) on both
stores.
"""

from __future__ import annotations

from tests.analytics.test_credential_merge_accounts import forged_name_spray
from tests.analytics.test_credential_spray import BASE
from tests.api.conftest import Api


def test_the_merged_spray_says_its_shared_accounts_and_times(api: Api) -> None:
    response = api.post("/v1/events", role="ingest", json=forged_name_spray(BASE))
    assert response.status_code == 200, response.text
    api.ctx.ingest.catch_up()
    run = api.detect()
    assert run["status"] == "done", run
    items = api.get("/v1/clusters", role="analyst", params={"limit": 100}).json()["items"]
    details = [api.get(f"/v1/clusters/{c['id']}", role="analyst").json() for c in items]
    cases = [d for d in details if d.get("credential")]

    assert len(cases) == 1  # was six, one per server
    record = cases[0]["credential"]
    assert record["validators_total"] == 6
    [ground] = record["merged_by"]
    assert ground["ground"] == "shared_accounts" and ground["total"] == 12
    assert ground["values"][:2] == ["svc00", "svc01"] and ground["start"] < ground["end"]
    checks = [step["check"] for step in cases[0]["explanation"]["checks"]]
    assert any("merged from 6 hosts because the same 12 accounts" in check.lower() for check in checks)
