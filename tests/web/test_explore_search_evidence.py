"""Explorations survive a reload, search shows the exact match first and says when it
was cut, evidence loads past its first 200 events in time order, and a host the
graph does not draw is still reachable from the host table (review R4, items 6, 8, 9
and 10), in Chromium against the real service.

250 process creations of one command on 250 hosts go through ``POST /v1/events``
(journaled, projected by the service), so the host-to-process edges carry 250
real journaled events; their cluster is written as a detection writes it.  The
addresses ``10.32.0.100`` … ``10.32.0.130`` are stored before ``10.32.0.1``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graphsiem.model import Entity
from tests.web.conftest import start_site
from tests.web.queue_helpers import save_detection
from tests.web.support import process_creation

pytestmark = pytest.mark.browser

HOSTS = 250
COMMAND = "rundll32.exe C:\\Users\\Public\\update.dll,Start"
BASE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CY = "window.graphsiem.clusterView.graph.cy"


def _ts(i: int) -> str:
    # The later the host, the earlier its event: journal order is not time order.
    return (BASE + timedelta(seconds=HOSTS - i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _prepare(store, data_dir):
    store.upsert_entities([Entity("ip", f"10.32.0.{i}", f"10.32.0.{i}") for i in range(100, 131)])
    store.flush()
    store.upsert_entities([Entity("ip", "10.32.0.1", "10.32.0.1")])
    store.flush()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("explore")
    with start_site(data_dir, _prepare) as running:
        events = [process_creation(f"ws-{i:04d}", i, _ts(i), COMMAND) for i in range(HOSTS)]
        assert running.api("POST", "/v1/events", role="ingest", json=events)["accepted"] == HOSTS
        running.wait_until_projected()
        process = next(e for e in running.api("GET", "/v1/entities", params={"q": COMMAND})["items"]
                       if e["type"] == "process")
        save_detection(data_dir, "d1", [{
            "id": "c-rundll", "score": 88.0, "hosts": [f"ws-{i:04d}" for i in range(HOSTS)],
            "entities": [{"type": "process", "value": process["value"]}],
            "first_seen": _ts(HOSTS - 1), "last_seen": _ts(0),
            "first_seen_ts": 0.0, "last_seen_ts": 1.0,
            "explanation": {"summary": f"{HOSTS} hosts ran {COMMAND}", "features": []},
            "pivot": {"type": "process", "key": process["key"]},
            "members": [{"type": "process", "key": process["key"], "value": process["value"]}],
        }])
        running.process = process
        yield running


def _sign_in(page, site):
    page.goto(site.url + "/")
    page.fill("#signin-key", site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("body[data-state=queue]")


def _search(page, text):
    # Hidden first: the wait below is then for this search's answer, not the last one's.
    page.evaluate("() => { document.getElementById('search-results').hidden = true; }")
    page.fill("#search-input", text)
    page.press("#search-input", "Enter")
    page.wait_for_selector("#search-results:not([hidden])")


def test_an_exploration_comes_back_after_a_reload(page, site):
    _sign_in(page, site)
    _search(page, "10.32.0.1")
    page.click("#search-results li button")
    page.wait_for_selector("body[data-state=explore-ready]")
    assert page.evaluate("() => window.location.hash") == "#/explore/ip/10.32.0.1"
    # What matched is about the search, not a property of the entity.
    terms = page.eval_on_selector_all("#selection dt", "dts => dts.map(d => d.textContent)")
    assert "matched" not in terms and "snippet" not in terms
    _search(page, COMMAND)
    page.click("#search-results li button:has(.type-process)")
    page.wait_for_function(f"() => {CY}.nodes().length > 2")
    before = sorted(page.evaluate(f"() => {CY}.nodes().map(n => n.id())"))
    page.reload()
    page.wait_for_selector("body[data-state=explore-ready]")
    page.wait_for_function(f"(n) => {CY}.nodes().length >= n", arg=len(before))
    after = sorted(page.evaluate(f"() => {CY}.nodes().map(n => n.id())"))
    assert set(before) <= set(after)
    assert {"ip:10.32.0.1", f"process:{site.process['key']}"} <= set(after)


def test_search_lists_the_exact_match_first_and_says_when_it_was_cut(page, site):
    _sign_in(page, site)
    _search(page, "10.32.0.1")
    values = page.eval_on_selector_all("#search-results li button", "bs => bs.map(b => b.title)")
    assert values[0] == "10.32.0.1"
    assert len(values) == 20
    assert "refine the search" in page.inner_text("#search-results .search-truncated")
    _search(page, "10.32.0.13")  # one match: nothing was cut
    assert page.locator("#search-results .search-truncated").count() == 0


def _open_cluster(page, site):
    _sign_in(page, site)
    page.click("#queue-body tr[data-cluster-id='c-rundll']")
    page.wait_for_selector("body[data-state=cluster-ready]")


def test_evidence_past_200_events_loads_on_demand_in_time_order(page, site):
    _open_cluster(page, site)
    page.click("#members-list li[data-type=process] button.member-show")
    page.wait_for_selector("body[data-evidence=ready]")
    caption = page.inner_text("#evidence-caption")
    assert f"{HOSTS} evidence events" in caption and "50 not loaded yet" in caption
    assert page.locator("#evidence-table tbody tr[data-event-id]:not(.missing)").count() == 200
    page.click("#evidence-more")
    page.wait_for_function("() => document.querySelectorAll('#evidence-table tbody tr[data-event-id]:not(.missing)').length === 250")
    assert page.locator("#evidence-more").count() == 0
    times = page.eval_on_selector_all("#evidence-table tbody tr[data-event-id]", "rows => rows.map(r => r.cells[0].textContent)")
    assert times == sorted(times) and times[0] == "2026-11-20 09:00:01Z" and times[-1] == "2026-11-20 09:04:10Z"
    # The edge from the hosts: the same events, all loaded now, oldest first.
    page.click("#selection button.relation:has-text('RAN')")
    page.wait_for_selector("#evidence-caption:has-text('RAN')")
    times = page.eval_on_selector_all("#evidence-table tbody tr[data-event-id]", "rows => rows.map(r => r.cells[0].textContent)")
    assert len(times) == HOSTS and times == sorted(times)


def test_a_host_the_graph_does_not_draw_is_shown_from_the_host_table(page, site):
    _open_cluster(page, site)
    page.click("#tool-hosts")
    page.wait_for_selector("#hosts-panel:not([hidden])")
    assert f"Hosts ({HOSTS}; drawn one by one up to 200)" in page.inner_text("#hosts-title")
    page.click("#hosts-table tbody tr[data-host='ws-0123'] button.host-show")
    page.wait_for_selector("#evidence-caption:has-text('host ws-0123')")
    assert "ws-0123" in page.inner_text("#selection")
    page.wait_for_selector("body[data-evidence=ready]")
    hosts = page.eval_on_selector_all("#evidence-table tbody tr[data-event-id]:not(.missing)", "rows => rows.map(r => r.cells[3].textContent)")
    assert hosts and set(hosts) == {"ws-0123"}
