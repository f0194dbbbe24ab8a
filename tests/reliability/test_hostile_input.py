"""Hostile input: oversized, nested, non-UTF-8, one-huge-line and binary bodies.

Each is answered with a clear rejection (413 naming the limit, 422 naming the
field, or 200 listing each rejected record with its reason), never a 5xx, and
the server keeps serving: after every hostile request a valid event is still
accepted.  A short bounded fuzz of every parser runs here too (the long run is
``benchmarks/fuzz_parsers.py``).
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from benchmarks.fuzz_parsers import fuzz_parser, parser_names
from graphsiem.store.embedded import EmbeddedStore
from tests.reliability.inprocess import App, app_over

LIMIT = 256 * 1024
_OK = {"@timestamp": "2026-01-01T00:00:00Z", "host": {"name": "ws-ok"},
       "dns": {"question": {"name": "ok.example"}}}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir = tmp_path_factory.mktemp("hostile") / "data"
    store = EmbeddedStore(data_dir / "graph")
    try:
        with app_over(store, data_dir, max_body_bytes=LIMIT) as running:
            yield running
    finally:
        store.close()


def _still_up(app: App) -> None:
    assert app.client.get("/healthz").status_code == 200
    ok = app.post("/v1/events", "ingest", json=[_OK])
    assert ok.status_code == 200 and ok.json()["accepted"] == 1, ok.text


def _rejected_with_reasons(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["accepted"] == 0 and body["rejected"] >= 1, body
    assert body["rejections"] and all(r["reason"] and r["origin"] for r in body["rejections"])
    return body


def _post(app: App, content: Any, content_type: str = "application/x-ndjson") -> Any:
    return app.post("/v1/events", "ingest", content=content,
                    headers={"Content-Type": content_type})


def test_oversized_body_is_413_naming_the_limit(app: App) -> None:
    response = _post(app, b"{}\n" * (LIMIT // 3 + 10))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large" and str(LIMIT) in error["message"]
    _still_up(app)


def test_oversized_chunked_body_is_cut_off(app: App) -> None:
    def chunks() -> Any:
        for _ in range(64):
            yield b"x" * 16384

    response = _post(app, chunks(), "text/plain")
    assert response.status_code == 413, response.text[:300]
    _still_up(app)


def test_too_many_records_is_413(app: App) -> None:
    response = _post(app, b"{}\n" * 1500)
    assert response.status_code == 413 and "1000" in response.json()["error"]["message"]
    _still_up(app)


@pytest.mark.parametrize("depth", [1000, 50_000])
def test_deeply_nested_json_array(app: App, depth: int) -> None:
    response = _post(app, b"[" * depth + b"]" * depth, "application/json")
    assert response.status_code in (200, 422), response.text[:300]
    if response.status_code == 422:
        assert response.json()["error"]["message"]
    else:
        _rejected_with_reasons(response)
    _still_up(app)


def test_deeply_nested_record(app: App) -> None:
    depth = 20_000
    line = b'{"a":' * depth + b"1" + b"}" * depth
    body = _rejected_with_reasons(_post(app, line + b"\n"))
    assert "1" in body["rejections"][0]["origin"]
    _still_up(app)


def test_invalid_utf8(app: App) -> None:
    good = orjson.dumps(_OK).replace(b"ok.example", b"ok2.example")
    bad = b'{"@timestamp": "2026-01-01T00:00:00Z", "host": {"name": "\xff\xfe\xc3\x28"}}'
    response = _post(app, good + b"\n" + bad + b"\n")
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert body["accepted"] == 1 and body["rejected"] == 1, body
    assert body["rejections"][0]["origin"].endswith("2") and body["rejections"][0]["reason"]
    text = _post(app, b"<13>1 2026-01-01T00:00:00Z h app - - - \xff\xfe bad\n", "text/plain")
    assert text.status_code in (200, 422) and text.status_code < 500
    _still_up(app)


def test_huge_single_line(app: App) -> None:
    line = b'{"@timestamp": "2026-01-01T00:00:00Z", "junk": "' + b"A" * (LIMIT - 200) + b'"}'
    response = _post(app, line)
    assert response.status_code in (200, 422), response.text[:300]
    if response.status_code == 200:
        body = _rejected_with_reasons(response)
        assert len(response.content) < 64 * 1024, "a rejection must not echo the whole line"
        assert body["rejections"][0]["reason"]
    _still_up(app)


@pytest.mark.parametrize("content_type", ["application/x-ndjson", "application/json",
                                          "text/plain", "application/octet-stream", ""])
def test_binary_junk(app: App, content_type: str) -> None:
    junk = random.Random(content_type).randbytes(64 * 1024)
    response = _post(app, junk, content_type)
    assert response.status_code in (200, 413, 422), response.text[:300]
    if response.status_code == 200:
        assert response.json()["accepted"] == 0
    else:
        assert response.json()["error"]["message"]
    _still_up(app)


def test_binary_junk_upload(app: App) -> None:
    junk = os.urandom(32 * 1024)
    for name in ("junk.bin", "junk.evtx", "conn.log.gz", "eve.json"):
        response = app.post("/v1/files", "ingest", files={"file": (name, junk)})
        assert response.status_code in (200, 422), (name, response.text[:300])
        if response.status_code == 200:
            assert response.json()["accepted"] == 0
    _still_up(app)


@pytest.mark.parametrize("name", parser_names())
def test_parsers_survive_a_short_fuzz(name: str, tmp_path: Path) -> None:
    tried, crashes = fuzz_parser(name, examples=150, seed=3)
    assert tried >= 150
    assert crashes == [], crashes[:3]
