"""Opening a search hit that is one of the cluster's own hosts, in Chromium (review U3, task PGX #2).

The hosts are folded into one aggregate node; adding the hit to the graph added nothing
(the graph held it, folded), so opening it did nothing: no selection, no Timeline.  It
now opens the aggregate and shows the host as a click does: its node selected when the
hosts are drawn (up to 200), its host-table row's details past that.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import screenshot, start_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=[120, 250], ids=["drawn", "table"])
def site(request, tmp_path_factory):
    from tests.web.support import synthesise_fanout

    hosts = request.param
    data_dir = tmp_path_factory.mktemp(f"fanout{hosts}")
    with start_site(data_dir, lambda store, d: synthesise_fanout(store, d, hosts=hosts)) as running:
        running.cluster = running.api("GET", "/v1/clusters")["items"][0]
        running.hosts = hosts
        yield running


def open_cluster(page, site) -> None:
    page.goto(site.url + "/")
    page.fill("#signin-key", site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("body[data-state=queue]")
    page.click(f"#queue-body tr[data-cluster-id='{site.cluster['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")


def open_host_hit(page, name: str) -> None:
    page.fill("#search-input", name)
    page.press("#search-input", "Enter")
    page.wait_for_selector("#search-results:not([hidden])")
    page.click("#search-results li button:has(.type-host)")


def selection_rows(page) -> dict[str, str]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#selection dt')]
      .map((dt) => [dt.textContent, dt.nextElementSibling?.textContent ?? '']))""")


def test_a_host_of_the_cluster_opened_from_search_is_shown_with_its_timeline(page, site):
    open_cluster(page, site)
    assert page.inner_text("#tool-hosts") == "Expand hosts"
    open_host_hit(page, "ws-0004")
    page.wait_for_selector("#selection .host-timeline h4", timeout=20_000)
    assert selection_rows(page)["value"] == "ws-0004"
    # The aggregate was opened: the host table lists the cluster's hosts.
    assert page.inner_text("#tool-hosts") == "Collapse hosts"
    assert not page.locator("#hosts-panel").is_hidden()
    assert page.locator("#hosts-table tbody tr").count() == site.hosts
    screenshot(page, f"search-hit-folded-host-{site.hosts}")
    assert page.watch.errors == [] and page.watch.dialogs == []


def test_a_second_host_opened_while_the_hosts_are_open_is_shown_too(page, site):
    open_cluster(page, site)
    open_host_hit(page, "ws-0004")
    page.wait_for_function("() => [...document.querySelectorAll('#selection dd')].some((d) => d.textContent === 'ws-0004')")
    open_host_hit(page, "ws-0017")
    page.wait_for_function("() => [...document.querySelectorAll('#selection dd')].some((d) => d.textContent === 'ws-0017')",
                           timeout=20_000)
    assert page.inner_text("#tool-hosts") == "Collapse hosts"  # not closed again by the second hit
