"""One API key over its request quota is answered 429 while the other keys are served (task G6).

One key (a misbehaving integration) could use the whole server: nothing
limited a key.  Each key now has a token bucket (``api_key_rate_per_s``,
``api_key_burst``, ``api_key_rate_overrides`` by key id): a request beyond it is
answered 429 ``rate_limited`` with the API's ``Error`` body and ``Retry-After``,
counted by key id in ``/metrics``.  The real app, its state database and keys;
a rate of one request in 1,000 s makes the bucket's share exact (no timing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from graphsiem.api.state import StateStore
from graphsiem.settings import Settings
from tests.api.conftest import make_settings, running_api

BURST = 3
NO_REFILL = 0.001  # one request in 1,000 s


def _schema(api: Any) -> dict[str, Any]:
    spec = api.client.get("/openapi.json").json()
    return {"$ref": "#/components/schemas/Error", "components": spec["components"]}


def test_a_key_over_its_quota_gets_429_while_another_key_is_served(embedded_store: Any,
                                                                   tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", api_key_rate_per_s=NO_REFILL, api_key_burst=BURST)
    with running_api(settings, embedded_store) as api:
        served = [api.get("/v1/clusters", role="analyst").status_code for _ in range(BURST)]
        assert served == [200] * BURST
        refused = api.get("/v1/clusters", role="analyst")
        assert refused.status_code == 429, refused.text
        assert refused.headers["Retry-After"] == "1000"  # whole seconds until a request is back
        error = refused.json()["error"]
        assert error["code"] == "rate_limited" and error["field"] == "header.Authorization"
        analyst_id = api.ctx.state.verify_key(api.keys["analyst"]).id
        assert analyst_id in error["message"] and api.keys["analyst"] not in refused.text
        jsonschema.validate(refused.json(), _schema(api))
        # another key has its own bucket: the admin is served, and sees the refusal counted by key id
        metrics = api.get("/metrics", role="admin")
        assert metrics.status_code == 200
        assert f'graphsiem_api_rate_limited_total{{key_id="{analyst_id}"}} 1.0' in metrics.text
        assert api.keys["analyst"] not in metrics.text
        # the ingest key's own bucket; /v1/events reads its body after the key check, charged once
        for _ in range(BURST):
            assert api.post("/v1/events", role="ingest", json=[]).status_code != 429
        # an upload is refused on its headers (graphsiem.api.early_auth): none of the body read
        late = api.post("/v1/files", role="ingest", files={"file": ("a.log", b"<13>hello\n" * 1000)})
        assert late.status_code == 429 and late.headers["Retry-After"] == "1000"
        assert late.headers["Connection"] == "close"
        jsonschema.validate(late.json(), _schema(api))


def test_unknown_keys_and_keyless_probes_are_not_charged(embedded_store: Any, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", api_key_rate_per_s=NO_REFILL, api_key_burst=1)
    with running_api(settings, embedded_store) as api:
        for _ in range(5):
            assert api.client.get("/healthz").status_code == 200
            assert api.client.get("/v1/clusters", headers={"X-API-Key": "gsk_nope_nope"}).status_code == 401
        assert api.get("/v1/clusters", role="analyst").status_code == 200  # its one request
        assert api.get("/v1/clusters", role="analyst").status_code == 429


def test_a_key_of_its_own_rate_is_served_beyond_the_default(embedded_store: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    state = StateStore(make_settings(data).state_path)
    bulk, bulk_secret = state.create_key(role="analyst", name="bulk-export")
    state.close()
    settings = make_settings(data, api_key_rate_per_s=NO_REFILL, api_key_burst=1,
                             api_key_rate_overrides={bulk.id: 0})  # 0: unlimited
    with running_api(settings, embedded_store) as api:
        headers = {"Authorization": f"Bearer {bulk_secret}"}
        assert [api.client.get("/v1/clusters", headers=headers).status_code for _ in range(5)] == [200] * 5
        assert [api.get("/v1/clusters", role="analyst").status_code for _ in range(2)] == [200, 429]


def test_the_overrides_are_read_from_the_environment_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHSIEM_API_KEY_RATE_OVERRIDES", '{"3f2a9c01d4e6": 200}')
    assert Settings().api_key_rate_overrides == {"3f2a9c01d4e6": 200.0}
    monkeypatch.setenv("GRAPHSIEM_API_KEY_RATE_OVERRIDES", '{"3f2a9c01d4e6": "fast"}')
    with pytest.raises(ValidationError, match="key '3f2a9c01d4e6': the rate must be a number"):
        Settings()
    monkeypatch.setenv("GRAPHSIEM_API_KEY_RATE_OVERRIDES", '{"a b": 1}')
    with pytest.raises(ValidationError, match="'a b' is not a key id"):
        Settings()
