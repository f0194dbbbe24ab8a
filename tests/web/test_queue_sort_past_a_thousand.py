"""A queue past the 1,000 clusters the page reads, sorted by a column in Chromium (task PAGE2 #1, #2).

The column sorts ordered the 1,000 riskiest clusters read: "First seen" over a queue of
1,050 showed the oldest of those, never the queue's oldest cluster ranked 1,050th.  Now a
sort past the rows read is asked of the server (``sort``) and shown in its order; the text
box folds case for every script, on the page and on the server (``ÄDMIN``, ``STRASSE``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.queue_helpers import save_detection, sign_in_to_queue, stored_cluster, wait_status

pytestmark = pytest.mark.browser

COUNT = 1_050
BASE = 1_763_629_200.0
OLDEST = "n1049"  # the least risky cluster: ranked 1,050th, the first to have been seen
NEWEST = "n1048"  # ranked 1,049th, the last to have been seen


def _seen(ts: float) -> dict:
    iso = datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"first_seen": iso, "first_seen_ts": ts, "last_seen": iso, "last_seen_ts": ts}


def _cluster(i: int) -> dict:
    name = f"n{i:04d}"
    at = BASE if name == OLDEST else BASE + 86_400 if name == NEWEST else BASE + 3_600 + i
    hosts = {"n0003": ["ädmin-pc"], "n1030": ["straße-pc"]}.get(name, [f"ws-{name}"])
    return stored_cluster(round(90 - i * 0.07, 2), name, hosts=hosts, **_seen(at))


@pytest.fixture
def site(tmp_path):
    with start_site(tmp_path) as running:
        save_detection(running.data_dir, "d1", [_cluster(i) for i in range(COUNT)])
        yield running


@pytest.fixture
def page(page):
    # The fixture's closing full-page screenshot of 1,000 rows outlasts 15 s on a busy machine.
    page.set_default_timeout(60_000)
    return page


def first_row(page) -> str:
    return page.eval_on_selector("#queue-body tr[data-cluster-id]", "row => row.dataset.clusterId")


def click_sort(page, key: str) -> None:
    page.click(f"#queue-table th[data-sort='{key}'] button")


def test_first_seen_sorts_the_whole_queue_on_the_server(page, site):
    sign_in_to_queue(page, site)
    wait_status(page, "1,000 of 1,050")
    assert page.locator(f"#queue-body tr[data-cluster-id='c-{OLDEST}']").count() == 0
    click_sort(page, "first_seen")  # ascending: the oldest first
    page.wait_for_selector(f"#queue-body tr[data-cluster-id='c-{OLDEST}']", timeout=30_000)
    wait_status(page, "sorted over the whole queue")
    assert first_row(page) == f"c-{OLDEST}"
    assert page.locator("#queue-body tr[data-cluster-id]").count() == 1_000
    # the queue's next oldest follow, in the server's order; the newest is left out
    ids = page.eval_on_selector_all("#queue-body tr[data-cluster-id]", "rows => rows.map(r => r.dataset.clusterId)")
    assert ids[1:4] == ["c-n0000", "c-n0001", "c-n0002"]
    assert f"c-{NEWEST}" not in ids
    screenshot(page, "queue-sorted-past-a-thousand")
    click_sort(page, "first_seen")  # again: descending, the newest first
    page.wait_for_function("(id) => document.querySelector('#queue-body tr[data-cluster-id]').dataset.clusterId === id",
                           arg=f"c-{NEWEST}", timeout=30_000)
    assert page.locator(f"#queue-body tr[data-cluster-id='c-{OLDEST}']").count() == 0
    assert page.get_attribute("#queue-table th[data-sort='first_seen']", "aria-sort") == "descending"


def test_a_sort_kept_over_a_reload_is_asked_of_the_server(page, site):
    sign_in_to_queue(page, site)
    wait_status(page, "1,000 of 1,050")
    click_sort(page, "first_seen")
    page.wait_for_selector(f"#queue-body tr[data-cluster-id='c-{OLDEST}']", timeout=30_000)
    page.reload()  # the key and the sort are kept for the tab
    page.wait_for_selector("body[data-state=queue]")
    wait_status(page, "sorted over the whole queue")
    assert first_row(page) == f"c-{OLDEST}"


def test_back_to_risk_lists_the_riskiest_thousand_again(page, site):
    sign_in_to_queue(page, site)
    wait_status(page, "1,000 of 1,050")
    click_sort(page, "first_seen")
    page.wait_for_selector(f"#queue-body tr[data-cluster-id='c-{OLDEST}']", timeout=30_000)
    click_sort(page, "score")  # descending: the queue's own order, read as it was
    page.wait_for_function("() => !document.getElementById('queue-status').innerText.includes('sorted over')",
                           timeout=30_000)
    assert first_row(page) == "c-n0000"
    assert page.locator(f"#queue-body tr[data-cluster-id='c-{OLDEST}']").count() == 0


@pytest.mark.parametrize(("typed", "cluster"), [("ÄDMIN-PC", "c-n0003"), ("STRASSE-PC", "c-n1030")])
def test_the_text_box_folds_case_for_every_script(page, site, typed: str, cluster: str):
    # ädmin-pc is among the rows read (the page's own filter), straße-pc past them (the server's q)
    sign_in_to_queue(page, site)
    wait_status(page, "1,000 of 1,050")
    page.fill("#filter-text", typed)
    wait_status(page, f'match "{typed}"')
    page.wait_for_selector(f"#queue-body tr[data-cluster-id='{cluster}']:not([hidden])", timeout=30_000)
    assert page.eval_on_selector_all("#queue-body tr[data-cluster-id]", "rows => rows.map(r => r.dataset.clusterId)") \
        == [cluster]
