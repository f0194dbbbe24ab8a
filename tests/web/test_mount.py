"""``graphsiem.web.mount``: the page, its assets and their security headers."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from graphsiem.web import CONTENT_SECURITY_POLICY, STATIC_DIR, mount


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    mount(app)
    return TestClient(app)


def test_page_is_served_with_a_strict_csp(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in csp


def test_page_has_no_inline_script_or_style(client):
    html = client.get("/").text
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "<style" not in html
    assert " style=" not in html
    assert re.search(r"\son[a-z]+=", html) is None


@pytest.mark.parametrize("path", ["/static/js/main.js", "/static/app.css"])
def test_assets_carry_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"


def test_modules_are_served_as_javascript(client):
    # Browsers refuse ES modules served with a non-JavaScript MIME type.
    response = client.get("/static/js/main.js")
    assert "javascript" in response.headers["content-type"]


def test_static_does_not_serve_outside_its_folder(client):
    for path in ["/static/../__init__.py", "/static/%2e%2e/__init__.py", "/static/..%2f__init__.py"]:
        response = client.get(path)
        assert response.status_code == 404, path


def test_scripts_never_parse_markup_or_evaluate_code():
    # The safety rule of the page, checked on the source: data reaches the DOM
    # only through textContent / text nodes / Cytoscape labels.
    forbidden = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|"
        r"setTimeout\(\s*['\"`]|setInterval\(\s*['\"`]"
    )
    offenders = []
    for path in sorted((STATIC_DIR / "js").glob("*.js")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if forbidden.search(line) and not line.lstrip().startswith("//"):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


def test_an_unbuilt_page_says_how_to_build_it(monkeypatch, client):
    import graphsiem.web as web

    monkeypatch.setattr(web, "has_vendor_assets", lambda: False)
    response = client.get("/")
    assert response.status_code == 503
    assert "scripts/build_web.sh" in response.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("missing", ["cytoscape.esm.min.js", "swagger-ui-bundle.js", "swagger-ui.css"])
def test_vendor_assets_need_cytoscape_and_swagger_ui(monkeypatch, tmp_path, missing):
    # A real static directory holding every vendored file but one: the check must see
    # the gap (it looked at Cytoscape only, so a build without Swagger UI passed).
    import graphsiem.web as web

    (tmp_path / "vendor").mkdir()
    for name in ("cytoscape.esm.min.js", "swagger-ui-bundle.js", "swagger-ui.css",
                 "swagger-ui-oauth2-redirect.js"):
        (tmp_path / "vendor" / name).write_bytes(b"// vendored\n")
    monkeypatch.setattr(web, "STATIC_DIR", tmp_path)
    assert web.has_vendor_assets()
    (tmp_path / "vendor" / missing).unlink()
    assert not web.has_vendor_assets()
