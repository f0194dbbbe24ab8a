"""The queue's "new" flag and its clusters no longer detected, in Chromium
against the real service (review R1, items 9 and 1).

Clusters are written into the state database the way a detection writes them
(``StateStore.save_clusters``: the saved set becomes the active one, the rest
inactive); the page reads them through the real ``/v1/clusters``.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.queue_helpers import save_detection, sign_in_to_queue, stored_cluster

pytestmark = pytest.mark.browser

SCORES = (10, 20, 30, 40, 50, 60, 70, 80, 90)


def cluster(score: float, name: str) -> dict:
    return stored_cluster(score, name)


def save(site, detection_id: str, clusters: list[dict]) -> None:
    save_detection(site.data_dir, detection_id, clusters)


@pytest.fixture
def site(tmp_path):
    with start_site(tmp_path) as running:
        yield running


def sign_in(page, site) -> None:
    sign_in_to_queue(page, site, "?poll=500")


def set_min_risk(page, value: int) -> None:
    page.fill("#filter-min-score", str(value))
    page.dispatch_event("#filter-min-score", "change")


def wait_rows(page, count: int) -> None:
    page.wait_for_function(f"() => document.querySelectorAll('#queue-body tr').length === {count}")


def wait_next_poll(page) -> None:
    """Until the queue has refreshed once more (its status names the update time)."""
    before = page.inner_text("#queue-status")
    page.wait_for_function("(before) => document.getElementById('queue-status').innerText !== before",
                           arg=before, timeout=5_000)


def new_ids(page) -> list[str]:
    return page.eval_on_selector_all("#queue-body tr.is-new", "rows => rows.map(r => r.dataset.clusterId)")


def test_a_filter_set_and_cleared_flags_nothing_new(page, site):
    save(site, "d1", [cluster(s, f"old{s}") for s in SCORES])
    sign_in(page, site)
    wait_rows(page, len(SCORES))
    set_min_risk(page, 50)
    wait_rows(page, 5)
    set_min_risk(page, 0)
    wait_rows(page, len(SCORES))
    wait_next_poll(page)
    # Review R1: the four clusters the filter had hidden came back flagged new.
    assert new_ids(page) == []
    assert page.locator("#queue-body .badge:has-text('new')").count() == 0


def test_a_cluster_that_arrives_while_filtered_out_is_new_when_shown(page, site):
    old = [cluster(s, f"old{s}") for s in SCORES]
    save(site, "d1", old)
    sign_in(page, site)
    wait_rows(page, len(SCORES))
    set_min_risk(page, 50)
    wait_rows(page, 5)
    save(site, "d2", [*old, cluster(45, "late"), cluster(95, "top")])
    wait_rows(page, 6)  # the 95 shows at once, flagged
    assert new_ids(page) == ["c-top"]
    set_min_risk(page, 0)
    wait_rows(page, len(SCORES) + 2)
    assert sorted(new_ids(page)) == ["c-late", "c-top"]
    screenshot(page, "queue-new-after-filter")


def test_an_empty_queue_says_why_and_how_to_run_a_detection(page, site):
    sign_in(page, site)
    page.wait_for_selector("#queue-empty:not([hidden])")
    hint = page.inner_text("#queue-empty")
    assert "No active clusters" in hint and "No detection has run yet" in hint
    assert "POST /v1/detections" in hint and "GRAPHSIEM_DETECT_INTERVAL_S" in hint

    run = site.detect()
    assert run["cluster_count"] == 0
    page.wait_for_selector("#queue-empty:has-text('The last detection finished at')")
    assert "with 0 clusters" in page.inner_text("#queue-empty")

    set_min_risk(page, 50)
    page.wait_for_selector("#queue-empty:has-text('No cluster matches these filters')")
    screenshot(page, "queue-empty-hint")


def test_a_cluster_no_longer_detected_is_marked_and_listed_on_request(page, site):
    gone, kept = cluster(80, "gone"), cluster(60, "kept")
    save(site, "d1", [gone, kept])
    save(site, "d2", [kept])  # the next detection no longer produces `gone`

    # The cluster view says so (the API gives `is_active` on every cluster).
    sign_in(page, site)
    page.goto(site.url + "/?poll=500#/clusters/c-gone")
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert "no longer detected" in page.inner_text("#cluster-meta")
    page.goto(site.url + "/?poll=500#/clusters/c-kept")
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert "no longer detected" not in page.inner_text("#cluster-meta")

    # The queue asks for them with "show inactive".
    page.goto(site.url + "/?poll=500#/")
    page.wait_for_selector("#queue-body tr[data-cluster-id='c-kept']")
    with page.expect_request(lambda r: "/v1/clusters" in r.url and "include_inactive=true" in r.url):
        page.check("#filter-inactive")
    page.wait_for_selector("#queue-body tr[data-cluster-id='c-gone']")
    row = page.locator("#queue-body tr[data-cluster-id='c-gone']")
    assert "no longer detected" in row.inner_text()
    assert "is-new" not in (row.get_attribute("class") or "")
    assert "no longer detected" not in page.inner_text("#queue-body tr[data-cluster-id='c-kept']")
    screenshot(page, "queue-show-inactive")

    # Nothing active at all: the empty queue counts what is no longer detected.
    page.uncheck("#filter-inactive")
    save(site, "d3", [])
    page.wait_for_selector("#queue-empty:has-text('No active clusters — 2 no longer detected')")

    # A case being worked on stays in the default queue (the API's rule), marked.
    site.api("PATCH", "/v1/clusters/c-gone", json={"status": "investigating"})
    page.wait_for_selector("#queue-body tr[data-cluster-id='c-gone']")
    row = page.locator("#queue-body tr[data-cluster-id='c-gone']")
    assert "no longer detected" in row.inner_text() and "investigating" in row.inner_text()
    assert new_ids(page) == []
    assert page.is_hidden("#queue-empty")
