"""Forged syslog lines dated before the window cannot make a live campaign "old" (review R5, item 1).

The fleet's history is ingested as an operator ingests files (trusted, dated
as written), its campaign a couple of hours old; then, with no key, CEF lines
claiming three other endpoints saw the campaign's domain and command line the
day before the window are sent to the listener's UDP port over a real socket.
Before :mod:`ingest.receipt`, those sightings were dated as the lines said, the
campaign's entities became old and its cluster left the queue.  Now a line
received live dates its sightings no earlier than its receipt minus the
allowed lateness, while the event keeps the time it claimed.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.pipeline import ingest_records
from ingest.receipt import DEFAULT_LATENESS_S, RECEIVED_AT
from tests.api.conftest import Api, make_settings, running_api
from tests.api.fleet import CAMPAIGN_CMD, CAMPAIGN_DOMAIN, CAMPAIGN_HOSTS, DAY, START, fleet_events
from tests.api.syslog_listener_thread import wait_until

POWERSHELL = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
WSCRIPT = r"C:\Windows\System32\wscript.exe"
FORGED_HOSTS = ("ws-0030", "ws-0031", "ws-0032")  # fleet hosts outside the campaign


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cef_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace("=", "\\=")


def recent_fleet(campaign_at: float) -> list[dict[str, Any]]:
    """The test fleet moved in time so that its campaign ran at ``campaign_at``."""
    shift = campaign_at - (START + 1.8 * DAY)
    events = fleet_events()
    for event in events:
        written = datetime.strptime(event["@timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        event["@timestamp"] = datetime.fromtimestamp(written.timestamp() + shift, tz=UTC).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ")
    return events


def forged_lines(dated: float) -> list[bytes]:
    """CEF lines of an "EDR" on each forged host at ``dated``: the campaign's process (and its
    parent), and PowerShell (image only, as the campaign's DNS events name it) fetching from its domain."""
    lines = []
    for index, host in enumerate(FORGED_HOSTS):
        stamp = _iso(dated + 60 * index)
        head = f"<134>1 {stamp} {host} edr - - - CEF:0|Acme|EDR|1.0|100|proc|3|rt={stamp} dvchost={host} "
        lines.append((head + f"sproc={_cef_value(POWERSHELL)} cs1Label=CommandLine cs1={_cef_value(CAMPAIGN_CMD)} "
                      f"cs2Label=ParentProcessName cs2={_cef_value(WSCRIPT)}").encode())
        lines.append((head + f"sproc={_cef_value(POWERSHELL)} request=https://{CAMPAIGN_DOMAIN}/a.png").encode())
    return lines


def campaign_clusters(api: Api) -> list[dict[str, Any]]:
    run = api.detect()
    assert run["status"] == "done", run
    items = api.get("/v1/clusters", params={"limit": 50}).json()["items"]
    return [c for c in items if set(CAMPAIGN_HOSTS) <= set(c["hosts"]) and c["active"]]


def test_backdated_forged_syslog_does_not_hide_a_live_campaign(store: Any, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", syslog_udp_port=0, syslog_flush_s=0.05)
    campaign_at = time.time() - 2 * 3600
    with running_api(settings, store) as api:
        # the history, as `graphsiem ingest` journals files: no receipt, trusted
        report = ingest_records(recent_fleet(campaign_at), store=None, journal=api.ctx.ingest.journal())
        assert report.total.rejected == 0
        api.ctx.ingest.catch_up()
        assert campaign_clusters(api), "the campaign is detected before the forgery"

        forged_at = float(int(campaign_at - 1.3 * DAY))  # the day before the window (whole seconds)
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with sender:
            for line in forged_lines(forged_at):
                sender.sendto(line, ("127.0.0.1", api.app.state.syslog.udp_port))
        accepted = api.ctx.metrics.ingest_records.labels("syslog-udp", "accepted")
        wait_until(lambda: accepted._value.get() >= 2 * len(FORGED_HOSTS), "the forged lines journaled")
        api.ctx.ingest.catch_up()

        journal = api.ctx.ingest.journal()
        forged = [item.event for item in journal.iter_events() if item.event.kind == "cef:event"]
        assert len(forged) == 2 * len(FORGED_HOSTS)
        for event in forged:  # the event keeps the time it claims; its receipt is beside it
            assert forged_at <= event.ts < forged_at + 300
            assert event.fields[RECEIVED_AT] - event.ts > DAY
        assert campaign_clusters(api), "the forged lines hid the campaign"
        # the forged hosts' sightings are dated by their receipt, the allowed lateness before it
        late = {s.host: s.first_seen for s in store.hosts_of("domain", CAMPAIGN_DOMAIN) if s.host in FORGED_HOSTS}
        receipts = {e.host: e.fields[RECEIVED_AT] for e in forged if 'url.full' in e.fields}
        assert late == {host: receipts[host] - DEFAULT_LATENESS_S for host in FORGED_HOSTS}
