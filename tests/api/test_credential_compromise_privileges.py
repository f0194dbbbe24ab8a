"""A credential finding's compromise row names the admin rights its session was given (task CRED9 item 1).

CRED8 put the 4672 of a compromised session (Security "Special privileges assigned to new logon", its
``SubjectLogonId`` the 4624's ``TargetLogonId``) in the finding's summary and evidence; the API's
``credential.compromised[]`` row now carries them too (``privileges``, ``privileges_event_id``), so a
SOAR reading the row need not parse the summary.  Through the real service on both stores.
"""

from __future__ import annotations

from typing import Any

from tests.analytics.test_credential_privileged_compromise import (
    LOGON,
    SESSION,
    START,
    _logon,
    _privileged,
)
from tests.analytics.test_credential_spread import spread_spray
from tests.api.conftest import Api


def _compromise_case(api: Api, records: list[dict[str, Any]]) -> dict[str, Any]:
    response = api.post("/v1/events", role="ingest", json=records)
    assert response.status_code == 200, response.text
    api.ctx.ingest.catch_up()
    run = api.detect()
    assert run["status"] == "done", run
    items = api.get("/v1/clusters", role="analyst", params={"limit": 100}).json()["items"]
    details = [api.get(f"/v1/clusters/{c['id']}", role="analyst").json() for c in items]
    [case] = [d for d in details if d.get("credential")]
    assert case["credential"]["pattern"] == "likely_compromise"
    return case


def test_the_compromise_row_lists_the_privileges_of_its_session(api: Api) -> None:
    case = _compromise_case(api, [*spread_spray(START), _logon(), _privileged(LOGON, "user17", SESSION, 901)])
    [row] = case["credential"]["compromised"]
    assert row["privileges"] == ["SeSecurityPrivilege", "SeBackupPrivilege", "SeRestorePrivilege", "SeDebugPrivilege"]
    # the row names the 4672 it read them from: the evidence event right after the log-on's
    evidence = [event["event_id"] for event in case["evidence"]]
    assert evidence[:2] == [row["event_id"], row["privileges_event_id"]]
    [privileged] = [e for e in case["evidence"] if e["event_id"] == row["privileges_event_id"]]
    assert privileged["event"]["kind"] == "winsec:special_privileges"


def test_a_compromise_given_no_privileges_lists_none(api: Api) -> None:
    """Another session's 4672 in the same second (an admin's own log-on) is not the sprayer's."""
    case = _compromise_case(api, [*spread_spray(START), _logon(), _privileged(LOGON, "user17", "0x51a3", 901)])
    [row] = case["credential"]["compromised"]
    assert row["privileges"] == [] and row["privileges_event_id"] is None


def test_the_contract_documents_the_fields(api: Api) -> None:
    schema = api.get("/openapi.json", role="analyst").json()["components"]["schemas"]["CredentialCompromise"]
    assert schema["properties"]["privileges"]["type"] == "array"
    assert "4672" in schema["properties"]["privileges"]["description"]
