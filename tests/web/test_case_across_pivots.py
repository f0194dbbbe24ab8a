"""A case that changed pivot, in Chromium against the real service (task I10).

A cluster's id derives from its pivot; when a later detection finds the same
case under another pivot, the API continues it under the new id
(``previous_ids``) and keeps the old id answering with ``superseded_by``
(docs/api.md, "Cases across pivots").  The clusters are written the way
detections write them (``StateStore.save_clusters``, one call per run), as
tests/api/test_queue_keeps_cases.py does, and read through the real API.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.queue_helpers import save_detection, sign_in_to_queue, stored_cluster

pytestmark = pytest.mark.browser

HOSTS = [f"ws-{i:04d}" for i in range(12)]
MEMBERS = ["deploy.msi", "notes.exe"]


def case(name: str, members: list[str], pivot: str) -> dict:
    """The case as a detection stores it: same hosts and members, pivot ``pivot``."""
    return stored_cluster(
        88.0, name, hosts=HOSTS,
        entities=[{"type": "file", "value": m} for m in members],
        members=[{"type": "file", "key": m, "value": m} for m in members],
        pivot={"type": "file", "key": pivot, "value": pivot},
        explanation={"summary": f"{len(HOSTS)} hosts ran {pivot}", "features": []},
    )


@pytest.fixture
def site(tmp_path):
    """c-old triaged (investigating, malicious, bob), then continued as c-new."""
    with start_site(tmp_path) as running:
        save_detection(running.data_dir, "run-1", [case("old", MEMBERS, "deploy.msi")])
        running.api("PATCH", "/v1/clusters/c-old", json={
            "status": "investigating", "verdict": "malicious", "assignee": "bob", "note": "IR 4711"})
        save_detection(running.data_dir, "run-2", [case("new", MEMBERS[::-1], "notes.exe")])
        # The API's side of it, so a failure below is the page's.
        assert running.api("GET", "/v1/clusters/c-old")["superseded_by"] == "c-new"
        assert running.api("GET", "/v1/clusters/c-new")["previous_ids"] == ["c-old"]
        yield running


def open_deep_link(page, site, fragment: str) -> None:
    """A bookmarked or pasted link in a fresh tab: sign in, land on ``fragment``."""
    page.goto(f"{site.url}/{fragment}")
    page.fill("#signin-key", site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("body[data-state=cluster-ready]")


def fragment(page) -> str:
    return page.evaluate("() => window.location.hash")


def test_a_link_to_the_old_id_leads_to_the_live_case(page, site):
    open_deep_link(page, site, "#/clusters/c-old")

    assert fragment(page) == "#/clusters/c-new"
    assert "cluster c-new" in page.inner_text("#cluster-meta")
    banner = page.locator("#cluster-lineage")
    assert banner.is_visible()
    followed = banner.locator("[data-lineage=followed]")
    assert "c-old" in followed.inner_text() and "continues as this cluster" in followed.inner_text()
    continues = banner.locator("[data-lineage=previous]")
    assert continues.inner_text().startswith("Continues cluster c-old")
    assert continues.locator("a").get_attribute("href") == "#/clusters/c-old/as-was"
    assert banner.locator("[data-lineage=superseded]").count() == 0
    # The live case's triage (carried from c-old) is what the form shows, and saving works.
    assert page.input_value("#triage-status") == "investigating"
    assert page.input_value("#triage-verdict") == "malicious"
    assert not page.locator("#triage-form button[type=submit]").is_disabled()
    screenshot(page, "case-across-pivots-followed")
    assert page.watch.errors == [] and page.watch.csp_violations == []


def test_the_old_id_as_it_was_names_and_links_the_case_that_continues_it(page, site):
    open_deep_link(page, site, "#/clusters/c-new")
    page.click("#cluster-lineage [data-lineage=previous] a")
    page.wait_for_function("() => window.location.hash === '#/clusters/c-old/as-was'")
    page.wait_for_selector("body[data-state=cluster-ready]")
    page.wait_for_function("() => document.getElementById('cluster-meta').textContent.includes('cluster c-old')")

    superseded = page.locator("#cluster-lineage [data-lineage=superseded]")
    assert superseded.is_visible()
    assert superseded.inner_text().startswith("Continued as cluster c-new")
    # Triage belongs to the live case: a PATCH here would change c-new unseen.
    assert page.locator("#triage-form button[type=submit]").is_disabled()
    assert "continues as cluster c-new" in page.inner_text("#triage-result")
    screenshot(page, "case-across-pivots-as-was")

    superseded.locator("a").click()
    page.wait_for_function("() => window.location.hash === '#/clusters/c-new'")
    page.wait_for_function("() => document.getElementById('cluster-meta').textContent.includes('cluster c-new')")
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.locator("#cluster-lineage [data-lineage=superseded]").count() == 0
    assert not page.locator("#triage-form button[type=submit]").is_disabled()
    assert page.watch.errors == [] and page.watch.csp_violations == []


def test_a_live_case_with_no_history_shows_no_banner(page, site):
    save_detection(site.data_dir, "run-3", [case("new", MEMBERS[::-1], "notes.exe"),
                                            stored_cluster(40.0, "alone")])
    open_deep_link(page, site, "#/clusters/c-alone")
    assert fragment(page) == "#/clusters/c-alone"
    assert page.locator("#cluster-lineage").is_hidden()


def test_the_queue_shows_a_case_that_changed_pivot_once_and_not_as_new(page, tmp_path):
    with start_site(tmp_path) as running:
        save_detection(running.data_dir, "run-1", [case("old", MEMBERS, "deploy.msi")])
        sign_in_to_queue(page, running, "?poll=500")
        page.wait_for_selector("#queue-body tr[data-cluster-id=c-old]")
        # The pivot changes while the page is open; another, unrelated case arrives.
        save_detection(running.data_dir, "run-2", [case("new", MEMBERS[::-1], "notes.exe"),
                                                    stored_cluster(50.0, "fresh")])
        page.wait_for_selector("#queue-body tr[data-cluster-id=c-new]")
        page.wait_for_selector("#queue-body tr[data-cluster-id=c-fresh]")
        rows = page.eval_on_selector_all(
            "#queue-body tr", "rs => rs.map(r => [r.dataset.clusterId, r.classList.contains('is-new')])")
        # The same case is not new under its new id; the unrelated one is.
        assert rows == [["c-new", False], ["c-fresh", True]]
        badge = page.locator("#queue-body tr[data-cluster-id=c-new] .badge.continued")
        assert badge.inner_text() == "continued" and "c-old" in badge.get_attribute("title")
        assert page.locator("#queue-body tr[data-cluster-id=c-fresh] .badge.continued").count() == 0
