"""What the analyst review left on reach (review U5B #5 and #6), in Chromium at 1500 × 950.

The Triage form sat below "What to check" and "Why it scored high": the toolbar's "Triage" button
brings it into view and focuses its status, the checks staying where they are.  The queue's Text
filter showed "summary, host, entity," of its placeholder: the field is wide enough for all of it.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.queue_helpers import save_detection, sign_in_to_queue, stored_cluster

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert(1)>"
# Five long steps and ten features, as the demo's clusters have: the form is under them.
CHECKS = [{"feature": f"step_{i}", "check": f"{IMG} " + "check the long step's hosts and times; " * 12,
           "benign_if": "a scheduled deployment explains it; " * 4} for i in range(5)]
FEATURES = [{"name": f"feature_{i}", "value": i, "baseline": 0, "contribution": 0.3 - 0.01 * i} for i in range(10)]
IN_VIEW_JS = """(id) => {
  const box = document.getElementById(id).getBoundingClientRect();
  const side = document.querySelector('#cluster .side').getBoundingClientRect();
  return box.height > 0 && box.top >= Math.max(0, side.top) && box.bottom <= Math.min(innerHeight, side.bottom);
}"""
TOP_IN_VIEW_JS = """(id) => {
  const top = document.getElementById(id).getBoundingClientRect().top;
  return top >= document.querySelector('#cluster .side').getBoundingClientRect().top && top < innerHeight;
}"""


@pytest.fixture(scope="module")
def reach_site(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("reach")
    with start_site(data_dir) as site:
        save_detection(data_dir, "d1", [stored_cluster(91.0, "long", explanation={
            "summary": "a cluster with many steps", "checks": CHECKS, "features": FEATURES})])
        yield site


def test_the_triage_button_brings_the_form_into_view_under_the_checks(page, reach_site):
    sign_in_to_queue(page, reach_site)
    page.click("#queue-body tr[data-cluster-id='c-long']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.evaluate(IN_VIEW_JS, "triage-status") is False  # below the fold: what the review met
    assert page.evaluate(TOP_IN_VIEW_JS, "cluster-checks") is True  # the checks come first
    assert page.is_visible("#jump-triage")

    page.click("#jump-triage")

    page.wait_for_function(f"() => ({IN_VIEW_JS})('triage-status')")
    assert page.evaluate("() => document.activeElement.id") == "triage-status"
    # the checks are still first in the side column, scrolled past, not hidden or moved
    assert page.evaluate("() => document.querySelector('.side > :not([hidden])').id") == "cluster-checks"
    assert page.eval_on_selector_all("#cluster-checks li.check", "items => items.length") == len(CHECKS)
    assert page.evaluate("() => document.querySelectorAll('#cluster-checks img, img[src=x]').length") == 0
    assert page.watch.dialogs == []
    screenshot(page, "triage-jump")


def test_the_queue_text_filter_shows_its_whole_placeholder(page, reach_site):
    sign_in_to_queue(page, reach_site)
    fit = page.evaluate("""() => {
      const input = document.getElementById('filter-text');
      const style = getComputedStyle(input);
      const context = document.createElement('canvas').getContext('2d');
      context.font = style.font;
      return {text: context.measureText(input.placeholder).width, placeholder: input.placeholder,
              room: input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)};
    }""")
    assert fit["placeholder"] == "summary, host, entity, hash"
    assert fit["text"] <= fit["room"], fit
