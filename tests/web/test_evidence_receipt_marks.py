"""The evidence list says, as text, when an event arrived long after its time or was dated by its arrival (task E1).

A syslog line's writer chooses its time (review R5, item 1: lines back-dated by a
day made a campaign look old).  The API's evidence carries ``received_at`` and
``received_late_s`` for what a live channel received; the page shows "received
20 h after its time" past an hour, and "dated by receipt" for a syslog record
with no time of its own.  In Chromium against the real service: one process run
by three hosts, one through ``POST /v1/events`` dated 20 h ago, one a minute
ago, and one as a CEF line without a time over a real UDP socket to the
service's syslog listener.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.api.projection_lag import wait_until_projected
from tests.web.conftest import Site, screenshot
from tests.web.support import LiveServer, analyst_key, process_creation

pytestmark = pytest.mark.browser

COMMAND = "latecomer.exe /sync --all"
IMAGE = r"C:\\Windows\\System32\\latecomer.exe"  # CEF escapes the backslash
NO_TIME_LINE = (f"<134>1 - nil-01 edr - - - CEF:0|Acme|EDR|1.0|100|proc|3|dvchost=nil-01 sproc={IMAGE} "
                f"cs1Label=CommandLine cs1={COMMAND}")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from graphsiem.api import create_app
    from graphsiem.settings import Settings
    from graphsiem.store.embedded import EmbeddedStore

    data_dir: Path = tmp_path_factory.mktemp("receipt")
    store = EmbeddedStore(data_dir / "graph")
    try:
        keys = {role: analyst_key(data_dir, role=role) for role in ("analyst", "ingest")}
        app = create_app(Settings(data_dir=data_dir, syslog_udp_port=0, syslog_flush_s=0.05), store)
        with LiveServer(app) as server:
            running = Site(server.url, data_dir, store, keys)
            now = time.time()
            report = running.api("POST", "/v1/events", role="ingest", json=[
                process_creation("late-01", 1, _iso(now - 20 * 3600), COMMAND),
                process_creation("prompt-01", 2, _iso(now - 60), COMMAND),
            ])
            assert report["accepted"] == 2, report
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.sendto(NO_TIME_LINE.encode(), ("127.0.0.1", app.state.syslog.udp_port))
            deadline = time.monotonic() + 60
            while running.api("GET", "/healthz")["projection"]["journal_events"] < 3:
                assert time.monotonic() < deadline, "the syslog line was not journaled in 60 s"
                time.sleep(0.1)
            wait_until_projected(lambda: httpx.get(server.url + "/healthz", timeout=60).json(), timeout_s=120)
            yield running
    finally:
        store.close()


def test_the_evidence_marks_a_late_arrival_and_a_receipt_time_as_text(page, site: Site) -> None:
    page.goto(site.url + "/")
    page.fill("#signin-key", site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("body[data-state=queue]")
    page.fill("#search-input", "latecomer")
    page.click("#search-form button[type=submit]")
    page.click("#search-results button:has-text('latecomer.exe')")
    page.wait_for_selector("body[data-state=explore-ready]")
    page.evaluate("() => window.graphsiem.clusterView.graph.cy.nodes('[type = \"process\"]')[0].emit('tap')")
    page.wait_for_selector("body[data-evidence=ready]")

    rows = page.eval_on_selector_all("#evidence-table tbody tr[data-event-id]:not(.missing)", """rows => rows.map(r => ({
        host: r.cells[3].textContent,
        time: r.cells[0].textContent,
        notes: [...r.querySelectorAll('.receipt-note')].map(n => n.innerText),
        noteNodes: [...r.querySelectorAll('.receipt-note')].flatMap(n => [...n.childNodes].map(c => c.nodeType)),
    }))""")
    by_host = {row["host"]: row for row in rows}
    assert set(by_host) == {"late-01", "prompt-01", "nil-01"}, rows
    assert by_host["late-01"]["notes"] == ["received 20 h after its time"]
    assert by_host["nil-01"]["notes"] == ["dated by receipt"]
    assert by_host["prompt-01"]["notes"] == []  # a minute late: within the hour, nothing to say
    assert all(kind == 3 for row in rows for kind in row["noteNodes"])  # text nodes only
    assert "received 20 h after its time" in page.inner_text("#evidence-table")  # visible, not only in the DOM
    # The time cell stays the time the event claims.
    assert all(row["time"].endswith("Z") and "received" not in row["time"] for row in rows)
    screenshot(page, "evidence-receipt-marks")
    assert page.watch.errors == [] and page.watch.csp_violations == []
