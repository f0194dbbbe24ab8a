"""A request body must arrive in time (review R2, item 9), and ``HEAD`` is answered
wherever ``GET`` is (item 10).

A POST /v1/events trickled at a byte a second stayed open indefinitely: with a
short ``body_timeout_s`` a stalled body, over a real socket to a real uvicorn
server, gets 408 and nothing of it (not even its complete lines) is journaled,
while a 32 MiB body at loopback speed passes the default deadline.  No timed
assertion: the status and the journal are checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from graphsiem.settings import Settings
from graphsiem.store.embedded import EmbeddedStore
from tests.api.conftest import Api, make_settings, running_api
from tests.api.live_api import LiveApi, live_api, send_request, stalled_request

MiB = 1024 * 1024
EVENT = {"timestamp": "2021-06-06T10:00:00.000000+0000", "event_type": "dns",
         "src_ip": "192.168.1.129", "dest_ip": "8.8.8.8",
         "dns": {"type": "query", "rrname": "example.com"}}
NDJSON_LINES = orjson.dumps(EVENT) + b"\n"
FORM_PREFIX = b'--XX\r\nContent-Disposition: form-data; name="file"; filename="eve.json"\r\n\r\n'


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveApi]:
    overrides = getattr(request, "param", {})
    store = EmbeddedStore(tmp_path / "graph")
    try:
        with live_api(make_settings(tmp_path / "data", **overrides), store) as api:
            yield api
    finally:
        store.close()


def _head(api: LiveApi, path: str, content_type: str, length: int) -> str:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api.keys['ingest']}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n")


@pytest.mark.parametrize("served", [{"body_timeout_s": 0.5}], indirect=True)
@pytest.mark.parametrize(("path", "content_type", "partial"), [
    ("/v1/events", "application/x-ndjson", NDJSON_LINES * 3),
    ("/v1/files", "multipart/form-data; boundary=XX", FORM_PREFIX + NDJSON_LINES * 3),
], ids=["events", "files"])
def test_a_stalled_body_is_answered_408_and_nothing_of_it_is_journaled(
        served: LiveApi, path: str, content_type: str, partial: bytes) -> None:
    # three complete records, then the body stops 1000 bytes short of its length
    answer = stalled_request(served.port, _head(served, path, content_type, len(partial) + 1000),
                             partial)
    assert answer.status == 408, (answer.status, answer.body[:300])
    assert b'"code":"request_timeout"' in answer.body and b'"field":"body"' in answer.body
    assert answer.headers.get("connection") == "close"
    counts = served.ctx.ingest.journal().counts()
    assert (counts["events"], counts["rejected"]) == (0, 0), counts


@pytest.mark.parametrize("served", [{"max_body_bytes": 32 * MiB}], indirect=True)
def test_a_32_mib_body_passes_the_default_deadline(served: LiveApi) -> None:
    assert served.ctx.settings.body_timeout_s == Settings.model_fields["body_timeout_s"].default
    record = orjson.dumps(EVENT)
    body = b"[" + record + b" " * (32 * MiB - len(record) - 2) + b"]"
    assert len(body) == 32 * MiB
    answer = send_request(served.port,
                          _head(served, "/v1/events", "application/json", len(body)), len(body),
                          prefix=body)
    assert answer.status == 200, answer.body[:300]
    assert orjson.loads(answer.body)["accepted"] == 1


# -- HEAD (item 10) ------------------------------------------------------------

@pytest.fixture(scope="module")
def client_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("head")
    store = EmbeddedStore(tmp / "graph")
    try:
        with running_api(make_settings(tmp / "data"), store) as api:
            yield api
    finally:
        store.close()


@pytest.mark.parametrize("path", ["/", "/docs", "/redoc", "/healthz", "/readyz", "/openapi.json",
                                  "/static/app.css", "/v1/clusters"])
def test_head_is_answered_as_get_without_content(client_api: Api, path: str) -> None:
    got = client_api.client.get(path)
    head = client_api.client.head(path)
    assert head.status_code == got.status_code != 405, (path, head.status_code, got.status_code)
    assert head.content == b""
    assert head.headers.get("content-type") == got.headers.get("content-type")
    if "content-length" in got.headers:
        assert head.headers["content-length"] == got.headers["content-length"]


def test_head_with_a_key_gets_the_keyed_answer(client_api: Api) -> None:
    head = client_api.client.head("/v1/clusters", headers=client_api.headers("analyst"))
    assert head.status_code == 200 and head.content == b""
    assert client_api.client.head("/v1/events").status_code == 405  # POST only, as GET is


def test_the_body_deadline_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GRAPHSIEM_BODY_TIMEOUT_S", "15")
    monkeypatch.setenv("GRAPHSIEM_BODY_MIN_RATE_BYTES", "0")
    settings = Settings(data_dir=tmp_path)
    assert (settings.body_timeout_s, settings.body_min_rate_bytes) == (15.0, 0)
    with pytest.raises(ValueError, match="body_timeout_s"):
        Settings(data_dir=tmp_path, body_timeout_s=0)
