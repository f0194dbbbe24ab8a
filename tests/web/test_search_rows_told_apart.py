r"""The page's search rows say why a digest matched and tell twin hits apart (F25), in Chromium.

Two processes that both read ``C:\windows\Explorer.EXE`` were two identical
rows (review T5, item 6d); a file found by its MD5 showed only its path and
SHA-256, not that the MD5 matched.
"""

from __future__ import annotations

import pytest

from graphsiem.model import Entity, Sighting
from tests.web.conftest import start_site

pytestmark = pytest.mark.browser

EXPLORER = "C:\\windows\\Explorer.EXE"
SHA256 = "7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730"
MD5 = "e4d909c290d0fb1ca068ffaddf22cbd0"


def _prepare(store, data_dir):
    store.upsert_entities([
        Entity("process", "cf004fd6", EXPLORER, {"command_line": EXPLORER}),
        Entity("process", "6ae020d3", EXPLORER, {"image": EXPLORER}),
        Entity("file", SHA256, "C:\\Users\\bob\\evil.dll", {"sha256": SHA256, "md5": MD5}),
    ])
    store.upsert_sightings([
        Sighting("workstation5", ("process", "cf004fd6"), 1599250194.97, 1599250195.0, 3),
        Sighting("workstation5", ("process", "6ae020d3"), 1603435002.39, 1603801738.07, 6),
    ])
    store.flush()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("rows"), _prepare) as running:
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


def test_twin_rows_show_their_host_and_first_sighting(page, site):
    rows = _search(page, site, "explorer.exe")
    assert len(rows) == 2 and len(set(rows)) == 2
    assert any("on workstation5 · first seen 2020-09-04T20:09:54.970Z" in row for row in rows)
    assert any("on workstation5 · first seen 2020-10-23T06:36:42.390Z" in row for row in rows)


def test_a_digest_row_says_which_digest_matched(page, site):
    [row] = _search(page, site, MD5.upper())
    assert "evil.dll" in row and "matched its md5" in row
