"""An evidence row of a process that opened another one says which (review U5 #2), in Chromium.

Against the real service: a rare command on six hosts sent through ``POST /v1/events`` (one fan-out
cluster, real detection), and on one of them a Sysmon event 10 in which that process opened LSASS.
The row of that event in the process's evidence said only "process.executable: …rundll32.exe", the
process that acted: nothing named LSASS or the access it was granted.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import RARE_HOSTS, rare_command_events, start_site
from tests.web.test_hostile_strings import sign_in

pytestmark = pytest.mark.browser

RARE = "rundll32.exe C:\\Users\\Public\\dump.dll,Run"


def _lsass_read(host: str, ts: str) -> dict:
    """A Sysmon event 10 as Winlogbeat ships it: the first rare run (ProcessGuid index 0) opens LSASS."""
    return {
        "@timestamp": ts,
        "winlog": {
            "channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 10,
            "computer_name": f"{host}.corp.example", "record_id": 9000,
            "event_data": {
                "UtcTime": ts.replace("T", " ").rstrip("Z"),
                "SourceProcessGUID": "{00000000-0000-0000-0000-000000000000}", "SourceProcessId": "4000",
                "SourceImage": "C:\\Windows\\System32\\rundll32.exe",
                "TargetProcessGUID": "{00000000-0000-0000-0000-000000000700}", "TargetProcessId": "700",
                "TargetImage": "C:\\Windows\\System32\\lsass.exe", "GrantedAccess": "0x1010",
                "SourceUser": "CORP\\alice",
            },
        },
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    events = [*rare_command_events(RARE), _lsass_read(RARE_HOSTS[0], "2026-11-20T09:00:30.000Z")]
    with start_site(tmp_path_factory.mktemp("target-process") / "data") as running:
        assert running.post_events(events)["accepted"] == len(events)
        running.detect()
        yield running


def test_an_lsass_read_names_the_process_it_opened(page, site) -> None:
    (cluster,) = [c for c in site.api("GET", "/v1/clusters")["items"] if set(c["hosts"]) == set(RARE_HOSTS)]
    sign_in(page, site)
    page.goto(f"{site.url}/#/clusters/{cluster['id']}")
    page.wait_for_selector("body[data-state=cluster-ready]")
    member = page.locator("#members-list > li", has_text="dump.dll").first
    member.locator("button", has_text="show").click()
    row = page.locator("#evidence-table tbody tr", has_text="sysmon:process_access")
    row.wait_for()
    lines = row.locator("td.evidence-detail div.mono").all_inner_texts()
    assert lines == ["process.executable: C:\\Windows\\System32\\rundll32.exe",
                     "target process: C:\\Windows\\System32\\lsass.exe · granted access 0x1010"]
    assert page.watch.errors == []
