"""Reopened benign cases and backtests on the page, in Chromium against the real service (task W2).

Review R5: a benign verdict covers the members the analyst saw, so a payload
that rides a benign rollout later continues the case with the verdict not
carried (an audit entry ``not_carried``); and a backtest
(``POST /v1/detections?now=``) keeps its clusters under its run id instead of
replacing the queue.  The fleet is ingested, detected, triaged and detected
again through the real API (tests/api/fleet.py's fleet, as
tests/api/test_benign_verdict_covers_what_was_seen.py does); the page must
make the reopening impossible to miss and list a backtest apart from the queue.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.api.fleet import DAY, SECOND_HOSTS, START, fleet_events
from tests.api.test_benign_verdict_covers_what_was_seen import PAYLOAD_DOMAIN
from tests.api.test_benign_verdict_covers_what_was_seen import _payload_events as payload_events
from tests.web.conftest import screenshot, start_site
from tests.web.queue_helpers import sign_in_to_queue

pytestmark = pytest.mark.browser

# Attacker text in the payload's command line: it must stay text on the page.
PAYLOAD_CMD = "powershell.exe -nop -enc SQBFAFgA <img src=x onerror=alert(1)>"


def _payload_events() -> list[dict]:
    """The API test's payload riding the benign rollout, its command line made hostile."""
    events = payload_events()
    for event in events:
        if "command_line" in event["process"]:
            event["process"]["command_line"] = PAYLOAD_CMD
    return events


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The fleet detected, its second cluster marked benign, a payload riding it detected."""
    with start_site(tmp_path_factory.mktemp("reopened")) as running:
        running.api("POST", "/v1/events", role="ingest", json=fleet_events())
        running.wait_until_projected()
        running.detect()
        items = running.api("GET", "/v1/clusters")["items"]
        benign = next(c for c in items if sorted(c["hosts"]) == sorted(SECOND_HOSTS))
        running.api("PATCH", f"/v1/clusters/{benign['id']}", json={"verdict": "benign", "note": "vendor sync"})
        running.api("POST", "/v1/events", role="ingest", json=_payload_events())
        running.wait_until_projected()
        running.detect()
        # The API's side of it, so a failure below is the page's.
        items = running.api("GET", "/v1/clusters")["items"]
        reopened = [c for c in items if c["previous_ids"] and sorted(c["hosts"]) == sorted(SECOND_HOSTS)]
        assert len(reopened) == 1, [(c["id"], c["previous_ids"]) for c in items]
        audit = running.api("GET", f"/v1/clusters/{reopened[0]['id']}/audit")
        not_carried = [e for e in audit if e["field"] == "not_carried"]
        assert not_carried and "verdict benign" in not_carried[-1]["old"], audit
        running.reopened = reopened[0]
        running.earlier_id = benign["id"]
        running.new_count = int(not_carried[-1]["new"].split(":")[0].split()[-1])
        yield running


def test_the_queue_and_the_cluster_say_the_benign_verdict_was_not_carried(page, site):
    sign_in_to_queue(page, site)
    row = page.locator(f"#queue-body tr[data-cluster-id='{site.reopened['id']}']")
    badge = row.locator(".reopened-badge")
    badge.wait_for()
    text = badge.inner_text()
    assert f"Reopened: benign verdict not carried onto {site.new_count} new entities" in text
    assert PAYLOAD_DOMAIN in text
    # The attacker's command line is named as text, never parsed as markup.
    assert "<img src=x onerror=alert(1)>" in text
    assert row.locator("img").count() == 0
    assert badge.locator("a.cluster-link").get_attribute("data-cluster-id") == site.earlier_id
    # Only the reopened case carries the badge.
    assert page.locator("#queue-body .reopened-badge").count() == 1

    row.click()
    page.wait_for_selector("body[data-state=cluster-ready]")
    banner = page.locator("#cluster-reopened")
    assert banner.is_visible()
    words = banner.inner_text()
    assert f"Reopened: benign verdict not carried onto {site.new_count} new entities" in words
    assert PAYLOAD_DOMAIN in words and "<img src=x onerror=alert(1)>" in words
    assert banner.locator("img").count() == 0
    names = banner.locator(".reopened-entity").all_inner_texts()
    assert any(PAYLOAD_DOMAIN in n for n in names), names
    link = banner.locator("a.cluster-link")
    assert link.get_attribute("href") == f"#/clusters/{site.earlier_id}/as-was"
    screenshot(page, "reopened-banner")
    assert not page.watch.dialogs and not page.watch.errors and not page.watch.csp_violations


def test_a_case_not_reopened_shows_no_banner(page, site):
    sign_in_to_queue(page, site)
    other = next(c for c in site.api("GET", "/v1/clusters")["items"] if c["id"] != site.reopened["id"])
    page.goto(f"{site.url}/#/clusters/{other['id']}")
    page.wait_for_selector("body[data-state=cluster-ready]")
    # The page has the banner's place, and leaves it empty for a case nobody reopened.
    assert page.locator("#cluster-reopened").count() == 1
    assert page.locator("#cluster-reopened").is_hidden()
    assert page.locator("#cluster .reopened-banner").count() == 0


def test_a_backtest_is_listed_apart_and_the_queue_is_unchanged(page, site):
    before = sorted(c["id"] for c in site.api("GET", "/v1/clusters")["items"])
    now = datetime.fromtimestamp(START + 1.5 * DAY, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    sign_in_to_queue(page, site)
    page.wait_for_selector("#queue-body tr")
    rows_before = page.locator("#queue-body tr").count()

    page.click("#backtest-panel summary")
    page.fill("#backtest-now", now)
    page.click("#backtest-form button[type=submit]")
    page.wait_for_selector("body[data-state=backtest-ready]", timeout=120_000)
    assert page.locator("#backtest").is_visible() and page.locator("#queue").is_hidden()
    assert page.locator("#backtest-title").inner_text() == f"Backtest at {now.replace('T', ' ')}"
    run_id = page.evaluate("() => decodeURIComponent(window.location.hash.split('/')[2])")
    kept = site.api("GET", f"/v1/detections/{run_id}/clusters")
    assert kept["clusters"], "the backtest at day 1.5 detects the campaign"
    listed = page.locator("#backtest-body tr").evaluate_all("rows => rows.map(r => r.dataset.clusterId)")
    assert listed == [str(c["id"]) for c in kept["clusters"]]
    # Read-only: no triage control in the list.
    assert page.locator("#backtest select, #backtest textarea, #backtest form").count() == 0
    screenshot(page, "backtest-list")

    # A backtest cluster opens as the backtest saw it, without triage.
    page.locator("#backtest-body tr a").first.click()
    page.wait_for_selector("body[data-state=backtest-cluster-ready]")
    assert page.locator("#cluster-title").inner_text().startswith(f"Backtest at {now.replace('T', ' ')}")
    assert page.locator("#triage-form").is_hidden()
    assert page.locator("#members-list li").count() == len(kept["clusters"][0]["members"])

    # The queue is what it was, for the API and on the page.
    assert sorted(c["id"] for c in site.api("GET", "/v1/clusters")["items"]) == before
    page.click("#cluster a.back")
    page.wait_for_selector("body[data-state=queue]")
    page.wait_for_selector("#queue-body tr")
    assert page.locator("#queue-body tr").count() == rows_before
    assert not page.watch.dialogs and not page.watch.errors and not page.watch.csp_violations


def test_a_backtest_time_without_a_zone_is_refused_on_the_page(page, site):
    sign_in_to_queue(page, site)
    page.click("#backtest-panel summary")
    page.fill("#backtest-now", "2026-11-02T00:00:00")
    page.click("#backtest-form button[type=submit]")
    assert "with its zone" in page.locator("#backtest-result").inner_text()
    assert page.evaluate("() => window.location.hash") in ("", "#/")
