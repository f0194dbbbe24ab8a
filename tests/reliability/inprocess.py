"""An in-process app (real ``create_app``, real store) with one key per role, plus a revoked one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from graphsiem.api import create_app
from graphsiem.api.state import Role
from graphsiem.settings import Settings

ROLES = tuple(role.value for role in Role)


@dataclass
class App:
    app: FastAPI
    client: TestClient
    keys: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def post(self, path: str, who: str = "admin", **kwargs: Any) -> Any:
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        return self.client.post(path, headers=headers, **kwargs)


@contextmanager
def app_over(store: Any, data_dir: Path, **overrides: Any) -> Iterator[App]:
    """Run ``create_app`` over ``store`` in ``data_dir`` (small limits unless overridden)."""
    values: dict[str, Any] = {"data_dir": data_dir, "max_body_bytes": 256 * 1024,
                              "max_upload_bytes": 1024 * 1024, "max_batch_records": 1000}
    values.update(overrides)
    app = create_app(Settings(**values), store)
    state = app.state.ctx.state
    keys = {role: state.create_key(role=role, name=f"rel-{role}")[1] for role in ROLES}
    revoked, keys["revoked"] = state.create_key(role="admin", name="rel-revoked")
    state.revoke_key(revoked.id)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield App(app=app, client=client, keys=keys)
