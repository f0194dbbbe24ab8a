"""A timeline row whose user is an account's SID names the account the journal's logons gave it (task TL #3).

A 4698 task whose principal is ``S-1-5-21-…-1104`` read ``user s-1-5-21-…-1104`` on the
timeline (review U2) though a 4624 of the same journal names that SID ``corp\\adm-jdoe``.
The row now reads the name with the SID kept beside it; a SID no event named stays a SID.
Both graph stores (the names are read from the journal's saved join state).
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.ingest.parsers.test_windows_persistence import TASK_4698, TASK_XML
from tests.ingest.test_sid_principals import SID, _logon, _record

UNNAMED = "S-1-5-21-3623811015-3361044348-30300820-2001"


def _task(record_id: int, user_id: str) -> dict[str, Any]:
    return _record(4698, {**TASK_4698, "TaskContent": TASK_XML.replace("S-1-5-18", user_id)}, record_id)


def _ingest(api: Api, records: list[dict[str, Any]]) -> None:
    response = api.post("/v1/events", role="ingest", json=records)
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == 0, response.text
    api.ctx.ingest.catch_up()


def _task_summaries(api: Api) -> list[str]:
    page = api.get("/v1/entities/host/ws-0042/events", role="analyst").json()
    return [row["summary"] for row in page["items"] if row["kind"] == "windows:task_created"]


def test_a_task_principal_sid_reads_as_the_account_a_logon_named_it(api: Api) -> None:
    _ingest(api, [_logon(1), _task(2, SID), _task(3, UNNAMED)])
    summaries = _task_summaries(api)
    assert len(summaries) == 2
    named = [s for s in summaries if "corp\\adm-jdoe" in s]
    assert len(named) == 1 and f"corp\\adm-jdoe ({SID.lower()})" in named[0], summaries
    # the SID nothing named stays a SID
    assert any(UNNAMED.lower() in s and "(" + UNNAMED.lower() + ")" not in s for s in summaries), summaries
    # the record itself is unchanged: the raw event still holds the SID as written
    event_id = next(row["id"] for row in api.get("/v1/entities/host/ws-0042/events", role="analyst").json()["items"]
                    if "adm-jdoe" in row["summary"])
    raw = api.get("/v1/evidence", role="analyst", params={"ids": [event_id]})
    assert raw.status_code == 200 and SID in raw.text
