"""``POST /v1/events`` and ``POST /v1/files``: framing, reasons, limits, untrusted names."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.api.conftest import Api
from tests.api.fleet import fleet_events

EVENTS = fleet_events()[:20]


def _ndjson(records: list[dict]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", orjson.dumps(EVENTS)),
    ("application/x-ndjson", _ndjson(EVENTS)),
    ("", _ndjson(EVENTS)),  # sniffed from the first byte
    ("application/octet-stream", orjson.dumps(EVENTS)),
])
def test_json_array_and_ndjson_bodies_are_journaled(api: Api, content_type: str,
                                                   body: bytes) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    report = api.post("/v1/events", role="ingest", content=body, headers=headers).json()
    assert (report["received"], report["accepted"], report["rejected"]) == (20, 20, 0)
    assert report["by_format"]["ecs"]["accepted"] == 20
    # Accepted means journaled: the events can be read back by id.
    assert api.ctx.journal is not None
    again = api.post("/v1/events", role="ingest", content=body, headers=headers).json()
    assert again["accepted"] == 20 and again["duplicates"] == 20 and again["events"] == 0


def test_single_json_object_is_one_record(api: Api) -> None:
    report = api.post("/v1/events", role="ingest", json=EVENTS[0]).json()
    assert report["received"] == 1 and report["accepted"] == 1


def test_bad_records_are_rejected_with_origin_and_reason_and_the_rest_kept(api: Api) -> None:
    body = _ndjson(EVENTS[:3]) + b"{not json\n" + b"[1, 2]\n" + orjson.dumps({"colour": "red"}) + b"\n"
    response = api.post("/v1/events", role="ingest", content=body,
                        headers={"Content-Type": "application/x-ndjson"})
    report = response.json()
    assert report["received"] == 6
    assert report["accepted"] == 3 and report["rejected"] == 3
    # a line's origin names its request: api/<X-Request-ID>:<line>
    stream = f"api/{response.headers['X-Request-ID']}"
    reasons = {r["origin"].removeprefix(stream): r["reason"] for r in report["rejections"]}
    assert set(reasons) == {":4", ":5", ":6"}
    assert "invalid JSON" in reasons[":4"]
    assert "not a JSON object" in reasons[":5"]
    assert "no parser" in reasons[":6"]


def test_syslog_text_body(api: Api) -> None:
    lines = (b"<34>1 2026-11-20T09:00:00Z ws-0001 sshd 42 - - Failed password for root\n"
             b"<13>Nov 20 09:00:01 ws-0002 su: session opened for user bob\n")
    report = api.post("/v1/events", role="ingest", content=lines,
                      headers={"Content-Type": "text/plain"}).json()
    assert report["received"] == 2
    assert report["received"] == report["accepted"] + report["rejected"]
    assert all("<data>" in r["origin"] or r["origin"].startswith("<") for r in report["rejections"])


def test_a_year_and_a_zone_date_year_less_syslog_as_the_cli_does(api: Api) -> None:
    """loghub's Linux_2k.log style: no year, local time; ``year`` and ``timezone`` say which."""
    line = b"<13>Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4\n"
    report = api.post("/v1/events", role="ingest", content=line, headers={"Content-Type": "text/plain"},
                      params={"year": 2005, "timezone": "Europe/Paris"}).json()
    assert (report["received"], report["accepted"]) == (1, 1)
    journal = api.ctx.ingest.journal()
    (event,) = [item.event for item in journal.iter_events()]
    assert event.ts == datetime(2005, 6, 14, 13, 16, 1, tzinfo=UTC).timestamp()  # 15:16 CEST


@pytest.mark.parametrize(("params", "field"), [
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": "Europe"}, "timezone"),
    ({"year": 1969}, "year"),
    ({"year": 2100}, "year"),
])
def test_a_bad_zone_or_year_is_422_naming_it_before_anything_is_read(api: Api, params: dict,
                                                                    field: str) -> None:
    body = b"<13>Jun 14 15:16:01 combo sshd[1]: x\n"
    for path, kwargs in (("/v1/events", {"content": body, "headers": {"Content-Type": "text/plain"}}),
                         ("/v1/files", {"files": {"file": ("a.log", body)}})):
        answer = api.post(path, role="ingest", params=params, **kwargs)
        assert answer.status_code == 422, (path, answer.text)
        assert field in answer.text
    assert api.ctx.ingest.journal().counts()["events"] == 0


def test_forced_format_and_unknown_format(api: Api) -> None:
    forced = api.post("/v1/events", role="ingest", json=EVENTS[:2], params={"format": "ecs"})
    assert forced.json()["accepted"] == 2
    unknown = api.post("/v1/events", role="ingest", json=EVENTS[:2], params={"format": "cobol"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "query.format"
    assert "cobol" in unknown.json()["error"]["message"]


def test_body_over_the_limit_is_413_naming_the_limit(api: Api) -> None:
    limit = api.ctx.settings.max_body_bytes
    response = api.post("/v1/events", role="ingest", content=b" " * (limit + 1),
                        headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 413
    error = response.json()["error"]
    assert str(limit) in error["message"] and error["field"] == "body"


def test_chunked_body_over_the_limit_is_413(api: Api) -> None:
    limit = api.ctx.settings.max_body_bytes

    def chunks():
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    response = api.post("/v1/events", role="ingest", content=chunks(),
                        headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 413


def test_batch_over_the_record_limit_is_413(api: Api) -> None:
    limit = api.ctx.settings.max_batch_records
    records = [{"@timestamp": "2026-01-01T00:00:00Z", "host": {"name": "h"},
                "dns": {"question": {"name": f"d{i}.example"}}} for i in range(limit + 1)]
    response = api.post("/v1/events", role="ingest", json=records)
    assert response.status_code == 413
    assert f"{limit} records" in response.json()["error"]["message"]


def test_non_object_json_body_is_422(api: Api) -> None:
    response = api.post("/v1/events", role="ingest", content=b'"hello"',
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "body"


def test_empty_body_receives_nothing(api: Api) -> None:
    response = api.post("/v1/events", role="ingest", content=b"",
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["received"] == 0


@pytest.mark.parametrize("name", ["../../../../tmp/evil.log", "..\\..\\evil.log", "/etc/passwd",
                                  ".hidden", "a" * 500, "con.log\x00.txt"])
def test_upload_name_is_never_a_path(api: Api, name: str, tmp_path: Path) -> None:
    data = _ndjson(EVENTS[:5])
    response = api.post("/v1/files", role="ingest", files={"file": (name, data)})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 5
    data_dir = api.ctx.settings.data_dir
    assert not (Path("/tmp") / "evil.log").exists()
    # Nothing is left behind, inside or outside the data directory.
    assert list(api.ctx.settings.upload_dir.rglob("*")) == []
    assert data_dir.exists()


def test_gzip_upload(api: Api) -> None:
    data = gzip.compress(_ndjson(EVENTS[:7]))
    report = api.post("/v1/files", role="ingest", files={"file": ("events.json.gz", data)}).json()
    assert report["accepted"] == 7


def test_upload_over_the_limit_is_413(api: Api) -> None:
    limit = api.ctx.settings.max_upload_bytes
    response = api.post("/v1/files", role="ingest",
                        files={"file": ("big.log", b"a" * (limit + 10))})
    assert response.status_code == 413
    assert str(limit) in response.json()["error"]["message"]


def test_upload_without_file_is_422(api: Api) -> None:
    response = api.post("/v1/files", role="ingest", data={"x": "1"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "body.file"


def test_ingest_is_counted_in_metrics(api: Api) -> None:
    api.post("/v1/events", role="ingest", content=_ndjson(EVENTS[:4]) + b"nope\n",
             headers={"Content-Type": "application/x-ndjson"})
    text = api.get("/metrics", role="analyst").text
    assert 'graphsiem_ingest_records_total{channel="api",outcome="accepted"} 4.0' in text
    assert 'graphsiem_ingest_records_total{channel="api",outcome="rejected"} 1.0' in text


@pytest.mark.parametrize("relative", [
    "evtx-attack-samples/Lateral Movement/LM_wmiexec_impacket_sysmon_whoami.evtx",
    "otrf-security-datasets/LSASS_campaign_01_zeek/dns.log",
    "suricata-sample-data/wrccdc-2018/alerts-only.json",
    "loghub/Linux_2k.log",
])
def test_real_sample_files_upload(api: Api, samples_dir: Path, relative: str) -> None:
    path = samples_dir / relative
    with path.open("rb") as handle:
        response = api.post("/v1/files", role="ingest", files={"file": (path.name, handle)})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["received"] > 0
    assert report["received"] == report["accepted"] + report["rejected"]
    assert report["rejected"] <= report["received"] // 100
    assert all(r["origin"].startswith("<data>/") for r in report["rejections"])


def test_events_journaled_before_a_restart_are_projected_at_start(api: Api, store: Any) -> None:
    from ingest.pipeline import ingest_records
    from tests.api.conftest import running_api

    # Journal directly (as if the previous server died before projecting).
    journal = api.ctx.ingest.journal()
    report = ingest_records(EVENTS[:6], store=None, journal=journal)
    assert report.total.events == 6
    assert journal.checkpoint() < journal.last_seq()
    with running_api(api.ctx.settings, store) as restarted:
        deadline = time.monotonic() + 30
        while journal.checkpoint() < journal.last_seq():
            assert time.monotonic() < deadline, "not projected after restart"
            time.sleep(0.05)
        host = EVENTS[0]["host"]["name"]
        assert restarted.get(f"/v1/entities/host/{host}").status_code == 200


def test_empty_upload_receives_nothing(api: Api) -> None:
    # as an empty body and `graphsiem ingest empty.log`: nothing lost, no client error
    # (tests/api/test_ingest_report_shape.py); a file of unknown content is still 422
    response = api.post("/v1/files", role="ingest", files={"file": ("conn.log", b"")})
    assert response.status_code == 200 and response.json()["received"] == 0
