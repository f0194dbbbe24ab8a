"""Every error names its field as ``<location>.<name>``; ``GET /v1/detections`` pages (review T11, F9).

Errors named ``query.min_score`` next to a bare ``since``, ``cursor`` or ``now``,
``path.entity_type`` next to a bare ``cluster_id``; a suppression's 404 named
``pivot``, no parameter of its route.  The list of detection runs was the 50
newest, ``?limit=`` silently ignored: an older backtest could not be found.
A real app over the real store and state database.
"""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from tests.api.conftest import Api

BAD_INPUTS: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    ("GET", "/v1/clusters?cursor=garbage", "analyst", {}, 422, "query.cursor"),
    ("GET", "/v1/clusters?since=2026-11-30", "analyst", {}, 422, "query.since"),
    ("GET", "/v1/clusters?min_score=abc", "analyst", {}, 422, "query.min_score"),
    ("GET", "/v1/clusters/doesnotexist", "analyst", {}, 404, "path.cluster_id"),
    ("GET", "/v1/clusters/doesnotexist/audit", "analyst", {}, 404, "path.cluster_id"),
    ("POST", "/v1/detections?now=notatime", "analyst", {}, 422, "query.now"),
    ("POST", "/v1/detections?now=2026-11-02T00:00:00Z&activate=true", "analyst", {}, 403, "query.activate"),
    ("GET", "/v1/detections/nope", "analyst", {}, 404, "path.detection_id"),
    ("GET", "/v1/detections/nope/clusters", "analyst", {}, 404, "path.detection_id"),
    ("GET", "/v1/detections?limit=-1", "analyst", {}, 422, "query.limit"),
    ("GET", "/v1/detections?limit=abc", "analyst", {}, 422, "query.limit"),
    ("GET", "/v1/detections?limit=100000", "analyst", {}, 422, "query.limit"),
    ("GET", "/v1/detections?before=nosuchrun", "analyst", {}, 422, "query.before"),
    ("GET", "/v1/entities/domain/nosuch.example", "analyst", {}, 404, "path.value"),
    ("GET", "/v1/entities/bogus/x", "analyst", {}, 422, "path.entity_type"),
    ("GET", "/v1/entities/host/ws-1/events?before=garbage", "analyst", {}, 422, "query.before"),
    ("POST", "/v1/events?format=nosuch", "ingest", {"content": "x"}, 422, "query.format"),
    ("POST", "/v1/events?timezone=Mars/Base", "ingest", {"content": "x"}, 422, "query.timezone"),
    ("POST", "/v1/events", "ingest", {"content": b"x", "headers": {"Content-Type": "application/json",
                                                                   "Content-Encoding": "gzip"}},
     400, "header.Content-Encoding"),
    ("POST", "/v1/events", "ingest", {"content": b"x", "headers": {"Content-Type": "application/json",
                                                                   "Content-Encoding": "lzma"}},
     415, "header.Content-Encoding"),
    ("DELETE", "/v1/suppressions/domain/nosuch", "analyst", {}, 404, "path.pivot_key"),
    ("DELETE", "/v1/suppressions/bogus/nosuch", "analyst", {}, 422, "path.pivot_type"),
    ("DELETE", "/v1/keys/nosuchkey", "admin", {}, 404, "path.key_id"),
    ("PATCH", "/v1/clusters/abc", "analyst", {"json": {"status": "done"}}, 422, "body.status"),
]


@pytest.mark.parametrize(("method", "path", "role", "kwargs", "status", "field"), BAD_INPUTS,
                         ids=[f"{m} {p}" for m, p, *_ in BAD_INPUTS])
def test_the_error_names_the_field_with_its_location(api: Api, method: str, path: str, role: str,
                                                     kwargs: dict[str, Any], status: int, field: str) -> None:
    kwargs = dict(kwargs)  # the table is shared by both stores' runs: popping from it emptied the second
    headers = {**api.headers(role), **kwargs.pop("headers", {})}
    response = api.client.request(method, path, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field, error
    assert all(d["field"].split(".")[0] in ("query", "path", "body", "header")
               for d in error["details"] if d.get("field")), error


def test_an_upload_over_the_limit_names_the_body_part(api: Api) -> None:
    # refused by the middleware from Content-Length alone, before any route is matched
    big = b'{"@timestamp": "2026-01-01T00:00:00Z"}\n' * 40_000  # 1.5 MiB > max_upload_bytes (1 MiB)
    response = api.post("/v1/files", role="ingest", files={"file": ("big.ndjson", big)})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["field"] == "body.file" and error["details"][0]["field"] == "body.file", error


def test_a_bad_gzip_body_keeps_its_reason(api: Api) -> None:
    cut = gzip.compress(b'{"a": 1}\n')[:-6]
    response = api.post("/v1/events", role="ingest", content=cut,
                        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "header.Content-Encoding"
    assert "gzip" in response.json()["error"]["message"]


def test_detection_runs_page_with_limit_and_before(api: Api) -> None:
    runs = [api.detect()["id"] for _ in range(5)]
    newest_first = list(reversed(runs))
    assert [r["id"] for r in api.get("/v1/detections", role="analyst").json()] == newest_first

    first = api.get("/v1/detections", role="analyst", params={"limit": 2})
    assert [r["id"] for r in first.json()] == newest_first[:2]
    assert first.headers["link"] == f'</v1/detections?limit=2&before={newest_first[1]}>; rel="next"'
    later = api.detect()["id"]  # a run started while paging comes first, shifting no later page
    second = api.get("/v1/detections", role="analyst", params={"limit": 2, "before": newest_first[1]})
    assert [r["id"] for r in second.json()] == newest_first[2:4]
    last = api.get("/v1/detections", role="analyst", params={"limit": 2, "before": newest_first[3]})
    assert [r["id"] for r in last.json()] == newest_first[4:]
    assert "link" not in last.headers
    assert api.get("/v1/detections", role="analyst").json()[0]["id"] == later
