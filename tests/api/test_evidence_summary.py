"""``GET /v1/evidence`` gives each event the host timeline's one-line summary (task UWEB, review U1 #2).

A DC's 4776 evidence row read only ``event.code: 4776``: who, what outcome and which claimed workstation
were in the fields, unread.  The evidence answer now carries ``summary`` (additive, in the OpenAPI
schema), the sentence the timeline shows for the same event; both come from
:func:`graphsiem.event_summary.summarize`.  Against both stores, over events posted to ``/v1/events``.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.ingest.test_credential_validations import winlogbeat


def _ingest(api: Api, records: list[dict[str, Any]]) -> list[str]:
    response = api.post("/v1/events", role="ingest", json=records)
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == 0, response.text
    api.ctx.ingest.catch_up()
    return [item.event.id for item in api.ctx.ingest.journal().iter_events()]


def test_evidence_events_carry_the_timelines_summary(api: Api) -> None:
    [failed, passed] = _ingest(api, [winlogbeat(1, "guest", "KALI", "0xc000006a"),
                                     winlogbeat(2, "alice", "WS-17", "0x0")])

    answer = api.get("/v1/evidence", role="analyst", params={"ids": [failed, passed]})

    assert answer.status_code == 200, answer.text
    summaries = {item["id"]: item["summary"] for item in answer.json()["items"]}
    assert summaries[failed].startswith("guest failed NTLM validation from claimed workstation kali: wrong password")
    assert summaries[passed].startswith("alice passed NTLM validation from claimed workstation ws-17")
    timeline = api.get("/v1/entities/host/dc01/events", role="analyst").json()["items"]
    assert {row["id"]: row["summary"] for row in timeline} == summaries


def test_the_openapi_schema_describes_the_summary() -> None:
    from graphsiem.api.schemas import JournalEvent

    field = JournalEvent.model_fields["summary"]
    assert field.annotation is str and "timeline" in (field.description or "")
