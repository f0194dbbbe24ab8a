"""The queue header says when the active detection carried a benign verdict to a new build (task PAGE2 #3).

A benign verdict on a vendor job's shape carries to the product's new build when every host of the
build ran the judged one, and the new build's cluster is left out of the queue: a trojanised update
pushed to the same hosts would vanish without a word.  The run's record lists the carry
(``verdicts_carried``); the queue header now says "1 benign verdict carried to a new build on 30
hosts: confirm", both digests in its expander.  Two real detections through the real service over
the embedded store, in Chromium.
"""

from __future__ import annotations

import time

import pytest

from tests.analytics.vendor_fleet import PRODUCT_HOSTS, Fleet
from tests.web.conftest import start_site
from tests.web.queue_helpers import sign_in_to_queue

pytestmark = pytest.mark.browser

OLD_BUILD, NEW_BUILD = "ab" * 32, "cd" * 32


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("queue-carried")) as running:
        yield running


def _judge_and_update(site) -> dict:
    """Judge the vendor job benign, then detect on a week whose new build ran on the same hosts."""
    clusters = site.api("GET", "/v1/clusters", params={"limit": 100})["items"]
    (job,) = [c for c in clusters if c["pivot"]["key"].startswith("behaviour (")]
    site.api("PATCH", f"/v1/clusters/{job['id']}", json={"verdict": "benign"})
    week2 = Fleet(days=9)
    week2.weekly_job(1, digest=OLD_BUILD)
    week2.weekly_job(8, digest=NEW_BUILD)
    week2.write(site.store)
    assert len(site.detect()["verdicts_carried"]) == 1
    return job


def _carry_a_verdict(site) -> None:
    week1 = Fleet(days=2)
    week1.weekly_job(1, digest=OLD_BUILD)
    week1.write(site.store)
    site.detect()
    _judge_and_update(site)


def test_the_queue_header_says_a_verdict_carried_to_a_new_build_and_names_both(page, site) -> None:
    sign_in_to_queue(page, site, "?poll=500")
    week1 = Fleet(days=2)
    week1.weekly_job(1, digest=OLD_BUILD)
    week1.write(site.store)
    assert site.detect()["verdicts_carried"] == []
    page.wait_for_selector("#queue-body tr")
    assert page.is_hidden("#queue-carried")  # a run that carried nothing says nothing

    job = _judge_and_update(site)

    page.wait_for_selector("#queue-carried:not([hidden])")
    summary = page.locator("#queue-carried summary")
    assert summary.text_content() == (
        f"1 benign verdict carried to a new build on {len(PRODUCT_HOSTS)} hosts: confirm")
    summary.click()
    detail = page.locator("#queue-carried li").text_content()
    assert f"sha256 {OLD_BUILD}" in detail and f"sha256 {NEW_BUILD}" in detail
    assert job["pivot"]["key"] in detail


def test_the_queue_poll_reads_the_carried_verdicts_with_the_clusters_and_nothing_more(page, site) -> None:
    # task PAGE3 #2: each 5 s poll also read GET /v1/detections (and the server the run's record)
    if not site.api("GET", "/v1/clusters", params={"limit": 1})["verdicts_carried"]:
        _carry_a_verdict(site)  # run alone: the test above made the carry
    sign_in_to_queue(page, site, "?poll=500")
    page.wait_for_selector("#queue-carried:not([hidden])")
    # the judged job's cluster, no longer detected, keeps the queue from being empty (an empty
    # queue reads the runs to say why: queue_hint.js, not this line)
    page.check("#filter-inactive")
    page.wait_for_selector("#queue-body tr.is-inactive")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url.split("?")[0].split("/v1/", 1)[-1]))
    # About six polls in 3 s; on a loaded machine (CI's two cores) the page may poll slower, so
    # wait for three polls rather than for a fixed time.
    deadline = time.monotonic() + 30.0
    while asked.count("clusters") < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert asked.count("clusters") >= 3, asked
    assert [path for path in asked if path != "clusters"] == []
    assert page.locator("#queue-carried summary").text_content().startswith("1 benign verdict carried")
