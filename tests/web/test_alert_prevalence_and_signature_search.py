"""An address's IDS alerts on its page, and a search by signature, in Chromium (task SRCH #1).

Review U2: the entity page of the Slips capture's target 192.168.1.129 said "fleet hosts 0" and
nothing of the alerts it drew, and no search found a signature.  Over a graph in the embedded
store: three scanners alerted the target (one signature is attacker-chosen text: shown as text).
"""

from __future__ import annotations

import pytest

from graphsiem.model import Entity, Relation
from tests.web.conftest import start_site
from tests.web.corpus_site import pick_from_search

pytestmark = pytest.mark.browser

T0 = 1_622_985_000.0
TARGET = "192.168.1.129"
SCANNERS = ["45.146.164.110", "78.36.196.213", "89.248.165.74"]
NMAP = "ET SCAN Suspicious inbound to MSSQL port 1433 (sid 2010935, severity 2)"
HOSTILE = "ET SCAN <img src=x onerror=alert(1)> (sid 1, severity 1)"


def write_graph(store, data_dir) -> None:
    store.upsert_entities([Entity("ip", ip, ip) for ip in (TARGET, *SCANNERS)])
    store.upsert_relations([
        Relation(("ip", scanner), "ALERTED", ("ip", TARGET), T0 + i, T0 + 60 + i, 2 + i, [f"a{i}"],
                 signatures={NMAP if i else HOSTILE: 2 + i})
        for i, scanner in enumerate(SCANNERS)])
    store.flush()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("alert-prevalence"), write_graph) as running:
        yield running


PREVALENCE_ROWS = "#selection h4:text-is('Prevalence') + dl"


def test_the_target_page_counts_the_alerts_it_drew(page, site) -> None:
    pick_from_search(page, site, TARGET, f"button[title='{TARGET}']")
    page.wait_for_selector(PREVALENCE_ROWS)
    terms = page.locator(f"{PREVALENCE_ROWS} > dt").all_text_contents()
    rows = dict(zip(terms, page.locator(f"{PREVALENCE_ROWS} > dd").all_text_contents(), strict=True))
    assert rows["fleet hosts"] == "0"
    assert rows["IDS alerts"] == f"9 alerts with 3 peers: {', '.join(SCANNERS)}"
    assert rows["first seen"] not in ("", "—")


def test_a_signature_search_lists_the_addresses_with_the_signature_as_text(page, site) -> None:
    page.goto(site.url + "/")
    page.fill("#signin-key", site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("body[data-state=queue]")
    page.fill("#search-input", "et scan")
    page.press("#search-input", "Enter")
    page.wait_for_selector("#search-results:not([hidden])")
    rows = page.eval_on_selector_all("#search-results li button", "bs => bs.map(b => b.innerText)")
    assert len(rows) == 4 and TARGET in rows[0]  # the target drew every alert: first
    assert any("signature: ET SCAN <img src=x onerror=alert(1)>" in row for row in rows)
    assert page.evaluate("() => document.querySelectorAll('#search-results img').length") == 0
    assert page.watch.dialogs == [] and page.watch.errors == []
