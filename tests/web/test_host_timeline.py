"""A host's Selection panel lists its Timeline: the journal's events, newest first, with "More" (task K1).

A host whose events name no process, user or address (service-state events,
as PC-HELEN's in the Brim syslog log) had a panel with no relation and nothing
to read.  In Chromium against the real service: PC-QUIET's 30 service-state
events and one command line carrying markup (``<img src=x onerror=...>``),
ingested through the real pipeline into the embedded store and the journal.
The page shows the newest 25, then the rest behind "More"; the command line is
text, never markup (no image, no dialog).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import ingesting, pick_from_search

pytestmark = pytest.mark.browser

START = 1_790_000_000.0
SERVICES = 30
HOSTILE_CMD = "cmd.exe /c echo <img src=x onerror=alert(document.domain)> & <b>bold</b>"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _records() -> list[dict]:
    records: list[dict] = [
        {"@timestamp": _iso(START + 60 * n), "message": f"The Service {n:02d} service entered the stopped state.",
         "winlog": {"computer_name": "PC-QUIET.jerry.land", "event_id": 7036, "channel": "System",
                    "provider_name": "Service Control Manager",
                    "event_data": {"param1": f"Service {n:02d}", "param2": "stopped"}}}
        for n in range(SERVICES)]
    # the newest event: a command line an attacker wrote
    records.append({"@timestamp": _iso(START + 60 * SERVICES), "host": {"name": "PC-QUIET"},
                    "event": {"category": "process", "action": "start"},
                    "process": {"executable": r"C:\Windows\System32\cmd.exe", "command_line": HOSTILE_CMD}})
    return records


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timeline")
    path = folder / "pc-quiet.ndjson"
    path.write_text("".join(json.dumps(record) + "\n" for record in _records()), encoding="utf-8")
    with start_site(folder / "data", ingesting([path], accepted=SERVICES + 1)) as running:
        yield running


def _summaries(page) -> list[str]:
    return page.eval_on_selector_all("#selection .host-timeline .timeline-summary",
                                     "spans => spans.map(s => s.textContent)")


def test_a_hosts_panel_lists_its_events_newest_first_and_pages_on(page, site: Path) -> None:
    pick_from_search(page, site, "pc-quiet", "button:has(.type-host)")
    timeline = page.locator("#selection .host-timeline")
    timeline.locator(".timeline li").first.wait_for()
    assert timeline.locator("h4").text_content() == "Timeline"
    assert timeline.locator(".timeline li").count() == 25
    assert timeline.locator(".timeline-status").text_content() == "25 of 31 events, newest first"
    summaries = _summaries(page)
    # the attacker's command line, as text: the markup is characters, not an element
    assert summaries[0] == HOSTILE_CMD
    assert page.locator("#selection img, #selection b").count() == 0
    assert summaries[1:3] == ["The Service 29 service entered the stopped state.",
                              "The Service 28 service entered the stopped state."]
    assert timeline.locator(".timeline-time").first.text_content() == "2026-09-21 14:43:20Z"
    screenshot(page, "host-timeline")
    more = timeline.locator("button.timeline-more")
    more.click()
    page.wait_for_function("() => document.querySelectorAll('#selection .host-timeline .timeline li').length === 31")
    assert timeline.locator(".timeline-status").text_content() == "31 of 31 events, newest first"
    assert more.is_hidden()
    summaries = _summaries(page)
    assert summaries[-1] == "The Service 00 service entered the stopped state."
    assert len(set(summaries)) == 31
    assert page.watch.dialogs == [] and page.watch.errors == [] and page.watch.csp_violations == []
