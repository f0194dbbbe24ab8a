"""``POST /v1/detections`` answers 202 with the run's URL in ``Location`` (review U3 #3d).

A SOAR follows an accepted asynchronous request by its ``Location`` (RFC 9110 §15.3.3);
the answer had none, so a client had to build the URL from the body's id.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api


@pytest.mark.parametrize("store", ["embedded"], indirect=True)
@pytest.mark.parametrize("params", [{}, {"now": "2026-11-02T00:00:00Z"}], ids=["run", "backtest"])
def test_an_accepted_detection_says_where_to_follow_it(store: Any, api: Api, params: dict[str, str]) -> None:
    response = api.post("/v1/detections", role="analyst", params=params)
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    assert response.headers["Location"] == f"/v1/detections/{run_id}"
    followed = api.get(response.headers["Location"], role="analyst")
    assert followed.status_code == 200 and followed.json()["id"] == run_id, followed.text
