"""The API's ingest report counts as the CLI's does, and empty input is nothing to ingest everywhere."""

from __future__ import annotations

import json

import orjson
import pytest

from graphsiem.cli import main
from tests.api.conftest import Api
from tests.api.fleet import fleet_events

EVENTS = fleet_events()[:4]
NDJSON = b"".join(orjson.dumps(record) + b"\n" for record in EVENTS)


def test_by_format_has_the_cli_per_format_counts(api: Api, tmp_path, capsys) -> None:
    first = api.post("/v1/events", role="ingest", content=NDJSON,
                     headers={"Content-Type": "application/x-ndjson"}).json()
    again = api.post("/v1/events", role="ingest", content=NDJSON,
                     headers={"Content-Type": "application/x-ndjson"}).json()
    assert first["by_format"]["ecs"] == {"received": 4, "accepted": 4, "rejected": 0,
                                         "duplicates": 0, "events": 4}
    assert again["by_format"]["ecs"] == {"received": 4, "accepted": 4, "rejected": 0,
                                         "duplicates": 4, "events": 0}
    # the CLI's report of the same file: the same counts under the same names
    path = tmp_path / "events.ndjson"
    path.write_bytes(NDJSON)
    main(["ingest", str(path), "--data", str(tmp_path / "cli"), "--json", "--no-progress"])
    cli = json.loads(capsys.readouterr().out)
    assert cli["formats"]["ecs"] == first["by_format"]["ecs"]


@pytest.mark.parametrize("route", ["files", "events-text", "events-ndjson"])
def test_an_empty_file_or_body_is_nothing_to_ingest_not_an_error(api: Api, route: str) -> None:
    # as `graphsiem ingest empty.log` (skipped, exit 0): no record is lost, so no client error
    if route == "files":
        answer = api.post("/v1/files", role="ingest", files={"file": ("conn.log", b"")})
    else:
        media = "text/plain" if route == "events-text" else "application/x-ndjson"
        answer = api.post("/v1/events", role="ingest", content=b"", headers={"Content-Type": media})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["received"], report["accepted"], report["rejected"]) == (0, 0, 0)


@pytest.mark.parametrize(("name", "body", "reason"), [
    ("README.md", b"# notes\n", "not telemetry"),
    ("capture.bin", bytes(range(256)) * 64, "no reader recognises"),
])
def test_an_upload_that_would_be_skipped_for_its_content_is_still_422(api: Api, name: str, body: bytes,
                                                                     reason: str) -> None:
    # unlike an empty file, these hold bytes the server would not read: the client must know
    answer = api.post("/v1/files", role="ingest", files={"file": (name, body)})
    assert answer.status_code == 422, answer.text
    assert reason in answer.json()["error"]["message"]
