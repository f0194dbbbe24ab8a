"""Static assets a packager links into ``static/`` from elsewhere are served (not a blank page).

Starlette's ``StaticFiles`` resolved links before its "inside the folder" check, so a
``vendor/`` file linked to a system package's copy answered 404 while ``/`` (which
checks the files with ``is_file()``, following links) served the page: it hung on
"loading".  Requests still cannot climb out of the folder by their path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import graphsiem.web as web


@pytest.fixture
def linked_static(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A static folder whose vendored assets are links to files outside it."""
    outside = tmp_path / "usr-share-javascript"
    outside.mkdir()
    static = tmp_path / "static"
    (static / "vendor").mkdir(parents=True)
    (static / "index.html").write_text("<!doctype html><title>page</title>")
    for name in web.VENDOR_ASSETS:
        (outside / name).write_text(f"/* {name} */")
        (static / "vendor" / name).symlink_to(outside / name)
    (outside / "secret.txt").write_text("not for the page")
    monkeypatch.setattr(web, "STATIC_DIR", static)
    return static


def _client() -> TestClient:
    app = FastAPI()
    web.mount(app)
    return TestClient(app)


def test_a_linked_vendor_asset_is_served_with_the_security_headers(linked_static):
    client = _client()
    assert client.get("/").status_code == 200
    response = client.get("/static/vendor/cytoscape.esm.min.js")
    assert response.status_code == 200
    assert response.text == "/* cytoscape.esm.min.js */"
    assert response.headers["content-security-policy"] == web.CONTENT_SECURITY_POLICY


def test_a_path_still_cannot_climb_to_the_link_target(linked_static):
    client = _client()
    for path in ["/static/../usr-share-javascript/secret.txt",
                 "/static/%2e%2e/usr-share-javascript/secret.txt",
                 "/static/..%2fusr-share-javascript%2fsecret.txt",
                 "/static/vendor/..%2f..%2fusr-share-javascript%2fsecret.txt"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "not for the page" not in response.text
