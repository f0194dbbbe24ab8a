"""The API explorer at ``/docs``: Swagger UI from the package's vendored copy,
under the page's CSP, loading nothing from another origin, and still usable
to try a route with a key.  Headless Chromium against a real server."""

from __future__ import annotations

import httpx
import pytest

from graphsiem.web import CONTENT_SECURITY_POLICY
from tests.web.conftest import screenshot, start_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("docs")) as running:
        yield running


def test_docs_render_every_route_from_the_origin_only(page, site):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(site.url + "/docs")
    page.wait_for_selector(".opblock")
    schema = httpx.get(site.url + "/openapi.json", timeout=30).json()
    operations = sum(len(methods) for methods in schema["paths"].values())
    assert page.locator(".opblock").count() == operations
    assert "/v1/events" in page.inner_text("#swagger-ui")
    screenshot(page, "api-docs")
    # Nothing from a CDN (nor the validator badge): every request stayed on the origin.
    assert requested and all(url.startswith(site.url + "/") for url in requested), requested
    assert any(url.endswith("/static/vendor/swagger-ui-bundle.js") for url in requested)
    assert page.watch.errors == [] and page.watch.csp_violations == []


def test_a_route_can_be_tried_with_a_key_that_is_not_stored(page, site):
    page.goto(site.url + "/docs")
    page.click("button.authorize")
    bearer = page.locator(".auth-container", has_text="HTTPBearer")
    bearer.locator("input").fill(site.keys["analyst"])
    bearer.locator("button.authorize").click()
    page.click("button.btn-done")
    route = httpx.get(site.url + "/openapi.json", timeout=30).json()["paths"]["/v1/clusters"]["get"]
    operation = page.locator(f"#operations-{route['tags'][0]}-{route['operationId']}")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("200")
    # persistAuthorization is off: the key is in the tab's memory, not in storage.
    stored = page.evaluate("() => JSON.stringify([{...localStorage}, {...sessionStorage}])")
    assert site.keys["analyst"] not in stored
    assert page.watch.errors == [] and page.watch.csp_violations == []


def test_docs_pages_carry_the_page_policy_and_redoc_leads_to_docs(site):
    for path in ("/docs", "/docs/oauth2-redirect"):
        response = httpx.get(site.url + path, timeout=30)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert "cdn." not in response.text and "<script>" not in response.text, path
    redoc = httpx.get(site.url + "/redoc", timeout=30)
    assert redoc.status_code == 307 and redoc.headers["location"] == "/docs"
    assert httpx.get(site.url + "/openapi.json", timeout=30).json()["paths"]["/v1/events"]
