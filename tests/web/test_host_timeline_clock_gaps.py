"""A host's Timeline says its sensor clock gap (task PAGE2 #4).

The timeline API answers ``clock_gaps`` (kept in the journal: a host's own clock against a
sensor's on the same records), but the page's host view showed only the events: an analyst
lining up kramer's logons with Zeek's connections paired the wrong ones, its times being 76
minutes behind.  In Chromium against the real service: the first 200 records of Brim's WRCCDC
``syslog.log`` (kramer's Windows events, dated by their headers) ingested through the real
pipeline, and one ECS process start of a host no sensor measured.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphsiem.settings import Settings
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import pick_from_search

pytestmark = pytest.mark.browser

SYSLOG = "brimdata-zed-sample-data/zeek-default/syslog.log"


def _syslog_head(samples_dir: Path, folder: Path) -> Path:
    lines = (samples_dir / SYSLOG).read_text(encoding="utf-8").splitlines(keepends=True)
    header = [line for line in lines[:10] if line.startswith("#")]
    path = folder / "syslog.log"
    path.write_text("".join(header + [line for line in lines if not line.startswith("#")][:200]), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory, samples_dir: Path):
    folder = tmp_path_factory.mktemp("clock-gaps")
    quiet = folder / "pc-quiet.ndjson"
    quiet.write_text(json.dumps({
        "@timestamp": "2018-03-24T16:00:00.000Z", "host": {"name": "PC-QUIET"},
        "event": {"category": "process", "action": "start"},
        "process": {"executable": r"C:\Windows\System32\cmd.exe", "command_line": "cmd.exe /c ver"}}) + "\n",
        encoding="utf-8")
    paths = [_syslog_head(samples_dir, folder), quiet]

    def prepare(store, data_dir: Path) -> None:
        with Journal(Settings(data_dir=data_dir).journal_path) as journal:
            report = ingest_paths(paths, store=store, journal=journal, progress=False)
        assert report.total.rejected == 0, report.total

    with start_site(folder / "data", prepare) as running:
        yield running


def _open_timeline(page, site, host: str):
    pick_from_search(page, site, host, "button:has(.type-host)")
    timeline = page.locator("#selection .host-timeline")
    timeline.locator(".timeline li").first.wait_for()
    return timeline


def test_a_host_with_a_clock_gap_says_it_above_its_events(page, site) -> None:
    expected = site.api("GET", "/v1/entities/host/kramer/events", params={"limit": 1})["clock_gaps"]
    assert [gap["host"] for gap in expected] == ["kramer"]
    timeline = _open_timeline(page, site, "kramer")
    gaps = timeline.locator(".timeline-clock-gaps")
    assert gaps.is_visible()
    assert gaps.locator(".timeline-clock-gaps-title").text_content() == "Clock gap"
    notes = gaps.locator(".timeline-clock-gap-note").all_text_contents()
    assert notes == [expected[0]["note"]]
    assert "kramer's own times (its messages from 10.47.22.25) are 76 min behind zeek's capture time" in notes[0]
    assert "(measured " in gaps.locator(".timeline-clock-gap").text_content()
    screenshot(page, "host-timeline-clock-gap")
    assert page.watch.dialogs == [] and page.watch.errors == [] and page.watch.csp_violations == []


def test_a_host_without_a_clock_gap_shows_no_warning(page, site) -> None:
    assert site.api("GET", "/v1/entities/host/pc-quiet/events", params={"limit": 1})["clock_gaps"] == []
    timeline = _open_timeline(page, site, "pc-quiet")
    gaps = timeline.locator(".timeline-clock-gaps")
    assert gaps.count() == 1 and gaps.is_hidden()
    assert gaps.locator(".timeline-clock-gap").count() == 0
    assert page.watch.errors == [] and page.watch.csp_violations == []
