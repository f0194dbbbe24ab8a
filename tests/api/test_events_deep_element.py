"""``POST /v1/events``: a compact JSON array body keeps every element past a malformed one (red team T17).

An element nested deeper than Python's stack (valid JSON a collector passes
on) made the rest of a compact body vanish: received 3 of 6 records, the
three after it neither accepted nor rejected.
"""

from __future__ import annotations

import orjson

from tests.api.conftest import Api
from tests.api.fleet import fleet_events

DEEP = b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"


def test_a_deep_element_of_a_compact_body_is_rejected_alone(api: Api) -> None:
    good = [orjson.dumps(event) for event in fleet_events()[:5]]
    body = b"[" + b",".join([*good[:2], DEEP, *good[2:]]) + b"]"
    response = api.post("/v1/events", role="ingest", content=body, headers={"Content-Type": "application/json"})
    report = response.json()
    assert (report["received"], report["accepted"], report["rejected"]) == (6, 5, 1)
    assert [r["origin"].rsplit("#", 1)[1] for r in report["rejections"]] == ["3"]
    assert "nested too deeply" in report["rejections"][0]["reason"]
