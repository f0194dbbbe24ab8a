"""Fixtures of the API tests: an app over the real store, keys of every role.

The graph store comes from the shared ``store`` fixture (embedded and Neo4j);
everything else (state, journal, pipeline, analytics) is the real thing in a
temporary data directory.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from graphsiem.api import create_app
from graphsiem.api.context import AppContext
from graphsiem.settings import Settings
from tests.api.fleet import fleet_events

ROLES = ("ingest", "analyst", "admin")


@dataclass
class Api:
    """A running app with a client and one key per role (plus a revoked one)."""

    app: FastAPI
    client: TestClient
    ctx: AppContext
    keys: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def get(self, path: str, role: str = "admin", **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(role), **kwargs)

    def post(self, path: str, role: str = "admin", **kwargs: Any) -> Any:
        return self.client.post(path, headers={**self.headers(role), **kwargs.pop("headers", {})},
                                **kwargs)

    def patch(self, path: str, role: str = "admin", **kwargs: Any) -> Any:
        return self.client.patch(path, headers=self.headers(role), **kwargs)

    def delete(self, path: str, role: str = "admin", **kwargs: Any) -> Any:
        return self.client.delete(path, headers=self.headers(role), **kwargs)

    def ingest_fleet(self) -> dict[str, Any]:
        response = self.post("/v1/events", role="ingest", json=fleet_events())
        assert response.status_code == 200, response.text
        self.ctx.ingest.catch_up()
        return response.json()

    def detect(self, role: str = "analyst", **params: str) -> dict[str, Any]:
        """Run a detection through the API as ``role`` (``params``: its query, e.g. ``now``) and wait for it to finish."""
        response = self.post("/v1/detections", role=role, params=params)
        assert response.status_code == 202, response.text
        run = response.json()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            out = self.get(f"/v1/detections/{run['id']}").json()
            if out["status"] in ("done", "failed"):
                return out
            time.sleep(0.05)
        raise AssertionError(f"detection {run['id']} did not finish")


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": data_dir, "max_body_bytes": 256 * 1024,
                              "max_upload_bytes": 1024 * 1024, "max_batch_records": 1000,
                              "page_size_max": 50,
                              # the test fleet's 8 clusters are too few for a "normal" score_confidence:
                              # webhook tests send them all; the floor's own tests set it
                              "webhook_min_confidence": "low"}
    values.update(overrides)
    return Settings(**values)


def app_with_keys(settings: Settings, store: Any, *, name: str = "test") -> tuple[FastAPI, AppContext, dict[str, str]]:
    """A new app, its context, and a key of every role plus a revoked one (``keys["revoked"]``)."""
    app = create_app(settings, store)
    ctx: AppContext = app.state.ctx
    keys = {role: ctx.state.create_key(role=role, name=f"{name}-{role}")[1] for role in ROLES}
    revoked, keys["revoked"] = ctx.state.create_key(role="admin", name=f"{name}-revoked")
    ctx.state.revoke_key(revoked.id)
    return app, ctx, keys


@contextmanager
def running_api(settings: Settings, store: Any) -> Iterator[Api]:
    """A started app (lifespan run) with keys of every role, stopped on exit."""
    app, ctx, keys = app_with_keys(settings, store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(app=app, client=client, ctx=ctx, keys=keys)


@pytest.fixture
def api(store: Any, tmp_path: Path) -> Iterator[Api]:
    """A fresh app over an empty store."""
    store.clear()
    with running_api(make_settings(tmp_path / "data"), store) as running:
        yield running


@pytest.fixture
def fleet_api(api: Api) -> Api:
    """The app with the test fleet ingested and one detection done."""
    api.ingest_fleet()
    run = api.detect()
    assert run["status"] == "done", run
    return api

