"""A search row shows where it matched when its label does not (review U5 #6), in Chromium.

On the demo, searching "Pk.Loader" listed the seed campaign's script by its first 90 characters, which
do not hold it (it sits 140 characters in): nothing on the row said why it was a hit.  Against the real
service: a long command line sent through ``POST /v1/events`` and a real detection; a search for a
fragment past the label's end shows "value: …" around it, as text; one the label shows adds nothing.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import rare_command_site
from tests.web.test_hostile_strings import search, sign_in

pytestmark = pytest.mark.browser

TAIL = "<i>Zq9Marker</i>"
RARE = "powershell.exe -nop -c " + "Write-Output 1; " * 8 + TAIL


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with rare_command_site(tmp_path_factory.mktemp("hidden-match") / "data", RARE) as running:
        running.wait_until_searchable("Zq9Marker")
        yield running


def _row_matches(page) -> list[str]:
    return page.locator("#search-results li", has_text="powershell.exe -nop").first.locator(".match").all_inner_texts()


def test_a_fragment_past_the_label_is_shown_around_the_match(page, site) -> None:
    sign_in(page, site)
    search(page, "zq9marker")
    (line,) = _row_matches(page)
    assert line == "value: …t 1; Write-Output 1; Write-Output 1; <i>Zq9Marker</i>"  # 40 characters before
    assert page.locator("#search-results i").count() == 0  # markup in the command line stays text
    assert page.watch.errors == []


def test_a_fragment_the_label_shows_adds_nothing(page, site) -> None:
    sign_in(page, site)
    search(page, "-nop -c")
    assert _row_matches(page) == []
    assert page.watch.errors == []
