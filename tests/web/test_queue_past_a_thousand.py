"""A queue past the 1,000 clusters the page reads, in Chromium (review U3, task PGX #1).

The header read "1000 clusters" while the API held 2,393, and the text box filtered
only the rows read: a host of a lower-risk cluster typed there found nothing.  Now the
header says "1,000 of N" and the text is searched on the server.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.queue_helpers import save_detection, sign_in_to_queue, stored_cluster, wait_status

pytestmark = pytest.mark.browser

COUNT = 1_050


@pytest.fixture
def site(tmp_path):
    with start_site(tmp_path) as running:
        # Risk falls with the index: n1049 .. n1000 rank past the 1,000 the page reads.
        save_detection(running.data_dir, "d1", [
            stored_cluster(round(90 - i * 0.07, 2), f"n{i:04d}") for i in range(COUNT)])
        yield running


@pytest.fixture
def page(page):
    # The fixture's closing full-page screenshot of 1,000 rows outlasts 15 s on a busy machine.
    page.set_default_timeout(60_000)
    return page


def test_the_header_says_how_many_the_page_left_out(page, site):
    sign_in_to_queue(page, site)
    wait_status(page, "1,000 of 1,050 clusters (raise the minimum risk or search)")
    assert page.locator("#queue-body tr[data-cluster-id]").count() == 1_000
    assert page.locator("#queue-body tr[data-cluster-id='c-n1040']").count() == 0


def test_the_text_box_finds_a_host_past_the_first_thousand(page, site):
    sign_in_to_queue(page, site)
    wait_status(page, "1,000 of 1,050")
    page.fill("#filter-text", "WS-N1040")  # a host of a cluster ranked 1,041st; any case
    page.wait_for_selector("#queue-body tr[data-cluster-id='c-n1040']:not([hidden])", timeout=20_000)
    wait_status(page, 'match "WS-N1040"')
    assert page.locator("#queue-body tr[data-cluster-id]").count() == 1
    screenshot(page, "queue-search-past-a-thousand")
    page.click("#queue-body tr[data-cluster-id='c-n1040']")
    page.wait_for_function("() => location.hash.includes('c-n1040')", timeout=20_000)


def test_clearing_the_text_lists_the_first_thousand_again(page, site):
    sign_in_to_queue(page, site)
    wait_status(page, "1,000 of 1,050")
    page.fill("#filter-text", "ws-n104")
    wait_status(page, 'match "ws-n104"')
    assert sorted(page.eval_on_selector_all("#queue-body tr[data-cluster-id]", "rows => rows.map(r => r.dataset.clusterId)")) \
        == [f"c-n104{i}" for i in range(10)]
    page.fill("#filter-text", "")
    wait_status(page, "1,000 of 1,050 clusters (raise")
    assert page.locator("#queue-body tr[data-cluster-id]").count() == 1_000


def test_a_search_kept_over_a_reload_is_searched_on_the_server(page, site):
    sign_in_to_queue(page, site)
    wait_status(page, "1,000 of 1,050")
    page.fill("#filter-text", "ws-n1049")
    page.wait_for_selector("#queue-body tr[data-cluster-id='c-n1049']", timeout=20_000)
    page.reload()  # the key and the text are kept for the tab; the queue is read without the text first
    page.wait_for_selector("#queue-body tr[data-cluster-id='c-n1049']", timeout=20_000)
    assert page.locator("#queue-body tr[data-cluster-id]").count() == 1
