"""A host's Timeline marks the network sensor's rows the IP -> host map ties to it "(by IP map)" (task TL #1).

mkt01, seen by Zeek alone, had "No event of this host in the journal" (review U2).
In Chromium against the real service: WS-MAP's DHCP lease, two Zeek HTTP
records from its address (one URL carrying markup) and one process event it
reported, ingested through the real pipeline.  The sensor rows are listed among
its own in time order and marked; its own row is not; the URL is text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import ingesting, pick_from_search
from tests.web.test_host_timeline import _iso

pytestmark = pytest.mark.browser

START = 1_790_000_000.0
ADDRESS = "10.9.0.5"
HOSTILE_URI = "/img/<img src=x onerror=alert(document.domain)>.png"


def _http(ts: float, uri: str) -> dict:
    return {"_path": "http", "ts": ts, "uid": f"C{int(ts)}", "id.orig_h": ADDRESS, "id.orig_p": 50123,
            "id.resp_h": "203.0.113.9", "id.resp_p": 80, "method": "GET", "host": "cdn-img-delivery.example",
            "uri": uri, "status_code": 200}


def _records() -> list[dict]:
    lease = {"_path": "dhcp", "ts": START, "uids": ["Cws-map"], "client_addr": ADDRESS, "server_addr": "10.9.255.1",
             "mac": "AA:BB:CC:00:00:01", "host_name": "WS-MAP", "assigned_addr": ADDRESS, "lease_time": 3600.0,
             "msg_types": ["REQUEST", "ACK"]}
    own = {"@timestamp": _iso(START + 120.0), "host": {"name": "WS-MAP"},
           "event": {"category": "process", "action": "start"},
           "process": {"executable": r"C:\Windows\System32\cmd.exe", "command_line": "cmd.exe /c whoami"}}
    return [lease, _http(START + 60.0, "/img/a.png"), own, _http(START + 180.0, HOSTILE_URI)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timeline-ip-map")
    path = folder / "ws-map.ndjson"
    path.write_text("".join(json.dumps(record) + "\n" for record in _records()), encoding="utf-8")
    with start_site(folder / "data", ingesting([path], accepted=4)) as running:
        yield running


def test_sensor_rows_tied_by_the_map_are_listed_and_marked(page, site: Path) -> None:
    pick_from_search(page, site, "ws-map", "button:has(.type-host)")
    timeline = page.locator("#selection .host-timeline")
    timeline.locator(".timeline li").first.wait_for()
    assert timeline.locator(".timeline-status").text_content() == "4 of 4 events, newest first"
    rows = timeline.locator(".timeline li")
    kinds = rows.locator(".timeline-kind").all_text_contents()
    assert kinds == ["zeek:http", "ecs:event", "zeek:http", "zeek:dhcp"]
    marks = [rows.nth(n).locator(".timeline-mapped").all_text_contents() for n in range(4)]
    assert marks == [["(by IP map)"], [], ["(by IP map)"], ["(by IP map)"]]
    title = rows.nth(0).locator(".timeline-mapped").get_attribute("title") or ""
    assert title.startswith(f"{ADDRESS} (source) was ws-map from ") and title.endswith("(DHCP lease)")
    # the URL an attacker wrote is text, not an element
    assert "<img src=x" in (rows.nth(0).locator(".timeline-summary").text_content() or "")
    assert page.locator("#selection img").count() == 0
    screenshot(page, "host-timeline-by-ip-map")
    assert page.watch.dialogs == [] and page.watch.errors == [] and page.watch.csp_violations == []
