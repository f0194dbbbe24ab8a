r"""The page's search row of a renamed binary says what it is: "PE original name: PowerShell.EXE" (task G1b), in Chromium.

``C:\Users\Public\svcupd.exe`` is a PowerShell copy; searching "powershell.exe" lists it
first, and its row must say why (its command line holds no "powershell").  The name
comes from the binary's version resource, which an attacker writes: it stays text.
"""

from __future__ import annotations

import pytest

from tests.graphsiem.store.original_name_records import ingest_original_name_records
from tests.web.conftest import start_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("renamed"), ingest_original_name_records) as running:
        yield running


def _search(page, site, text):
    page.goto(site.url + "/")
    page.fill("#signin-key", site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("body[data-state=queue]")
    page.fill("#search-input", text)
    page.press("#search-input", "Enter")
    page.wait_for_selector("#search-results:not([hidden])")
    return page.eval_on_selector_all("#search-results li button", "bs => bs.map(b => b.innerText)")


def test_the_renamed_copy_row_shows_its_pe_original_name(page, site):
    rows = _search(page, site, "powershell.exe")
    assert len(rows) == 2
    assert "svcupd.exe" in rows[0] and "PE original name: PowerShell.EXE" in rows[0]
    assert "PE original name" not in rows[1]  # the genuine PowerShell: found by its command line


def test_an_attackers_original_name_is_shown_as_text(page, site):
    [row] = _search(page, site, "onerror")
    assert "PE original name: x' OR 1=1 // }) MATCH (n) DETACH DELETE n <img src=x onerror=alert(1)>.exe" in row
    assert page.evaluate("() => document.querySelectorAll('#search-results img').length") == 0
    assert page.watch.dialogs == [] and page.watch.errors == []
