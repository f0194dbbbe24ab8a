"""Every 422 has one shape: code ``validation_error``, ``field`` located, ``<field>: <reason>``, details (review U3 #3c).

A 422 a service raised (``since=2026-11-02``: no zone) answered code ``unprocessable``
with ``details: []`` and a message without its field, while one FastAPI refused
(``limit=0``) answered ``validation_error`` with ``query.limit: …`` and details: a
client had to parse two.  A real app over the real store and state database.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

REFUSED = [
    # (method, path, field): service checks and FastAPI's own, on several routes
    ("GET", "/v1/clusters?since=2026-11-02", "query.since"),
    ("GET", "/v1/clusters?limit=0", "query.limit"),
    ("GET", "/v1/clusters?statuss=open", "query.statuss"),
    ("GET", "/v1/clusters?updated_since=yesterday", "query.updated_since"),
    ("POST", "/v1/detections?now=2026-11-02T00:00:00", "query.now"),
    ("GET", "/v1/detections?before=no-such-run", "query.before"),
    ("GET", "/v1/detections?limit=100000", "query.limit"),
    ("GET", "/v1/entities/host/ws-0001/events?since=2026-11-02", "query.since"),
    ("POST", "/v1/events?timezone=Mars/Olympus", "query.timezone"),
]


@pytest.mark.parametrize(("method", "path", "field"), REFUSED, ids=[f"{m} {p}" for m, p, _ in REFUSED])
def test_every_422_has_one_code_a_located_field_a_prefixed_message_and_details(
        api: Api, method: str, path: str, field: str) -> None:
    kwargs: dict[str, Any] = {"json": []} if path.startswith("/v1/events") else {}
    response = api.client.request(method, path, headers=api.headers("admin"), **kwargs)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error", error
    assert error["field"] == field, error
    details = error["details"]
    assert details and all({"field", "reason", "type"} <= set(d) for d in details), error
    assert details[0]["field"] == field and details[0]["reason"], error
    assert error["message"] == f"{field}: {details[0]['reason']}", error
