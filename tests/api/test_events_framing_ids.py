"""POST /v1/events: one record sent in another JSON framing is a duplicate, not a new event (review T11 F4).

Three real Winlogbeat lines (compact, keys not sorted) sent as NDJSON, then wrapped in
a JSON array, then as objects back to back, then re-spaced in a pretty-printed array:
three events in all.  Before, the array and every re-framing gave three new events.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from tests.api.conftest import Api

SAMPLES = Path(os.environ.get("GRAPHSIEM_SAMPLES", "/work/shared/datasets"))
WINLOGBEAT = SAMPLES / "otrf-security-datasets" / "empire_enable_rdp_2019-05-18203650.json"


def _post(api: Api, body: bytes, content_type: str) -> dict:
    answer = api.post("/v1/events", role="ingest", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_one_record_in_four_framings_is_one_event(api: Api) -> None:
    if not WINLOGBEAT.exists():
        pytest.skip(f"corpus file {WINLOGBEAT} not available")
    lines = WINLOGBEAT.read_bytes().splitlines()[10:13]
    records = [orjson.loads(line) for line in lines]
    bodies = [
        ("ndjson", b"\n".join(lines) + b"\n", "application/x-ndjson"),
        ("array", b"[" + b",".join(lines) + b"]", "application/json"),
        ("back to back", b"".join(lines), "application/json"),
        ("re-spaced", orjson.dumps(records, option=orjson.OPT_INDENT_2), "application/json"),
        ("untyped objects", b"\n\n".join(orjson.dumps(r, option=orjson.OPT_INDENT_2) for r in records), ""),
    ]
    answers = {name: _post(api, body, content_type) for name, body, content_type in bodies}

    assert answers["ndjson"]["events"] == 3, answers["ndjson"]
    for name, answer in answers.items():
        assert answer["accepted"] == 3, (name, answer)
        if name != "ndjson":
            assert (answer["events"], answer["duplicates"]) == (0, 3), (name, answer)
