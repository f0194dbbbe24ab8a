"""The queue's poll keeps focus and selection; filters and sort survive a reload;
the sort headers work from the keyboard (review R4, items 4, 8 and 11), in Chromium.

The page polls every 500 ms here (``?poll=500``): a wait of two seconds spans
several refreshes.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import start_site
from tests.web.queue_helpers import save_detection, sign_in_to_queue, stored_cluster

pytestmark = pytest.mark.browser

CLUSTERS = [stored_cluster(91.0, "alpha", hosts=["ws-1", "ws-2", "ws-3"]),
            stored_cluster(60.0, "beta"), stored_cluster(20.0, "gamma", hosts=["ws-4", "ws-5"])]
FOCUSED_ID_JS = "() => document.activeElement.closest('#queue-body tr')?.dataset.clusterId ?? document.activeElement.tagName"


@pytest.fixture
def queue_site(tmp_path):
    with start_site(tmp_path) as site:
        save_detection(tmp_path, "d1", CLUSTERS)
        yield site


def _rows(page) -> list[str]:
    return page.eval_on_selector_all("#queue-body tr", "rows => rows.map(r => r.dataset.clusterId)")


def test_a_focused_row_keeps_the_focus_across_polls_and_changes(page, queue_site):
    sign_in_to_queue(page, queue_site, "?poll=500")
    page.focus("#queue-body tr[data-cluster-id='c-beta']")
    page.wait_for_timeout(2000)
    assert page.evaluate(FOCUSED_ID_JS) == "c-beta"
    # A new detection changes the rows: the same cluster keeps the focus.
    save_detection(queue_site.data_dir, "d2", [*CLUSTERS, stored_cluster(75.0, "delta")])
    page.wait_for_selector("#queue-body tr[data-cluster-id='c-delta']")
    assert page.evaluate(FOCUSED_ID_JS) == "c-beta"
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.text_content("#cluster-summary") == "cluster beta at risk 60.0"


def test_text_selected_in_the_table_is_not_cleared_by_the_poll(page, queue_site):
    sign_in_to_queue(page, queue_site, "?poll=500")
    # The queue state is set before the first rows arrive; evaluate() does not wait.
    page.wait_for_selector("#queue-body tr[data-cluster-id='c-alpha'] td.summary")
    page.evaluate("""() => {
      const cell = document.querySelector("#queue-body tr[data-cluster-id='c-alpha'] td.summary");
      const range = document.createRange();
      range.selectNodeContents(cell);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
    }""")
    selected = page.evaluate("() => window.getSelection().toString()")
    assert "cluster alpha" in selected
    save_detection(queue_site.data_dir, "d2", [*CLUSTERS, stored_cluster(75.0, "delta")])
    page.wait_for_selector("#queue-status:has-text('4 clusters')")
    page.wait_for_timeout(1500)
    assert page.evaluate("() => window.getSelection().toString()") == selected
    assert "not redrawn while text is selected" in page.text_content("#queue-status")
    # Once the selection is gone, the next poll draws the new cluster.
    page.evaluate("() => window.getSelection().removeAllRanges()")
    page.wait_for_selector("#queue-body tr[data-cluster-id='c-delta']")


def test_filters_and_sort_survive_a_reload(page, queue_site):
    sign_in_to_queue(page, queue_site)
    page.fill("#filter-min-score", "50")
    page.dispatch_event("#filter-min-score", "change")
    page.click("th[data-sort=host_count]")  # hosts, most first
    page.wait_for_function("() => document.querySelectorAll('#queue-body tr').length === 2")
    assert _rows(page) == ["c-alpha", "c-beta"]
    page.reload()
    page.wait_for_selector("body[data-state=queue]")
    page.wait_for_function("() => document.querySelectorAll('#queue-body tr').length > 0")
    assert page.input_value("#filter-min-score") == "50"
    assert page.get_attribute("th[data-sort=host_count]", "aria-sort") == "descending"
    assert page.get_attribute("th[data-sort=score]", "aria-sort") is None
    assert _rows(page) == ["c-alpha", "c-beta"]


def test_the_sort_headers_are_reached_with_tab_and_pressed_with_enter(page, queue_site):
    sign_in_to_queue(page, queue_site)
    page.focus("#filter-fold-low")
    page.keyboard.press("Tab")  # the select-all box heads the table (bulk triage)
    assert page.evaluate("() => document.activeElement.id") == "queue-select-all"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('th')?.dataset.sort") == "score"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('th')?.dataset.sort") == "host_count"
    page.keyboard.press("Enter")
    assert page.get_attribute("th[data-sort=host_count]", "aria-sort") == "descending"
    assert _rows(page) == ["c-alpha", "c-gamma", "c-beta"]
    page.keyboard.press("Enter")
    assert page.get_attribute("th[data-sort=host_count]", "aria-sort") == "ascending"
    assert _rows(page)[0] == "c-beta"
