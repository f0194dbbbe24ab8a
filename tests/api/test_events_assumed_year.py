"""``POST /v1/events`` (and ``/v1/files``) say when dates without a year were put in an assumed year (task G5).

The CLI's report says it (``assumed_year``); the API's answered the counts only, so an integrator
posting RFC 3164 syslog lines did not learn that their dates' year was guessed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.api.conftest import Api

LINES = (b"<13>Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4\n"
         b"<13>Jun 14 15:16:02 combo sshd(pam_unix)[19940]: authentication failure; rhost=218.188.2.4\n")


def test_year_less_syslog_answers_the_assumed_year(api: Api) -> None:
    report = api.post("/v1/events", role="ingest", content=LINES, headers={"Content-Type": "text/plain"}).json()

    assert report["accepted"] == 2
    assumed = report["assumed_year"]
    (year,) = assumed["years"]
    assert assumed["records"] == 2 and assumed["years"] == {year: 2}
    assert int(year) in (datetime.now(UTC).year - 1, datetime.now(UTC).year)
    assert "most recent" in assumed["rule"] and "year" in assumed["change_with"]


def test_an_upload_answers_it_too(api: Api) -> None:
    report = api.post("/v1/files", role="ingest", files={"file": ("linux.log", LINES)}).json()

    assert report["assumed_year"]["records"] == 2


def test_a_given_year_or_dated_records_answer_none(api: Api) -> None:
    given = api.post("/v1/events", role="ingest", content=LINES, headers={"Content-Type": "text/plain"},
                     params={"year": 2005}).json()
    dated = api.post("/v1/events", role="ingest", headers={"Content-Type": "text/plain"},
                     content=b"<34>1 2026-11-20T09:00:00Z ws-0001 sshd 42 - - Failed password for root\n").json()

    assert given["accepted"] == 2 and given["assumed_year"] is None
    assert dated["accepted"] == 1 and dated["assumed_year"] is None


def test_the_openapi_schema_documents_it(api: Api) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]

    assert "assumed_year" in schemas["IngestReport"]["properties"]
    assert set(schemas["AssumedYear"]["required"]) == {"records", "years", "rule", "change_with"}
