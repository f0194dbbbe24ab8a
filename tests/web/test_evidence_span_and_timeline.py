"""A busy edge's evidence reaches both ends of its run, says so, and leads to the host Timeline (task UWEB).

Review U1 drove the page on the real corpus: ``jerry\\guest VALIDATED_AT kramer`` counted 192 validations,
the page said "64 evidence events" and kept the first 64, so the spray's last six minutes could not be
opened (#1); each 4776 row read only ``event.code: 4776`` (#2); the host Timeline always started at the
host's newest event, its rows could not be opened or pivoted from, and the page offered none of the API's
``since``/``until``/``kind`` (#8); the evidence Kind column broke "zeek:ntlm" mid-word (#11).

In Chromium against the real service: a DC's 192 failed NTLM validations of ``guest`` (Winlogbeat 4776,
3 s apart) ingested through the real pipeline, then 30 newer service-state events of the same DC (an
unanchored Timeline shows those first) and a process run by ``alice`` on it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import ingesting, pick_from_search

pytestmark = pytest.mark.browser

START = datetime(2026, 3, 2, 14, 0, 0, tzinfo=UTC).timestamp()
SPRAY = 192
SERVICES = 30
LAST = START + 3 * (SPRAY - 1)
"""The spray's last validation: 14:09:33Z."""


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _records() -> list[dict]:
    records: list[dict] = [
        {"@timestamp": _iso(START + 3 * n), "agent": {"type": "winlogbeat", "version": "8.11.0"},
         "host": {"name": "collector01"},
         "winlog": {"computer_name": "DC01.corp.example", "event_id": "4776", "channel": "Security",
                    "record_id": 5000 + n,
                    "event_data": {"PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", "TargetUserName": "guest",
                                   "Workstation": "KALI", "Status": "0xc000006a"}}}
        for n in range(SPRAY)]
    records += [
        {"@timestamp": _iso(LAST + 3600 + 60 * n), "message": f"The Service {n:02d} service entered the stopped state.",
         "winlog": {"computer_name": "DC01.corp.example", "event_id": 7036, "channel": "System",
                    "provider_name": "Service Control Manager",
                    "event_data": {"param1": f"Service {n:02d}", "param2": "stopped"}}}
        for n in range(SERVICES)]
    records.append({"@timestamp": _iso(LAST + 7200), "host": {"name": "DC01"},
                    "event": {"category": "process", "action": "start"}, "user": {"name": "alice"},
                    "process": {"executable": r"C:\Windows\System32\whoami.exe", "command_line": "whoami /all"}})
    return records


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    records = _records()
    path = tmp_path_factory.mktemp("dc") / "dc01.ndjson"
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    with start_site(tmp_path_factory.mktemp("spray"), ingesting([path], accepted=len(records))) as running:
        yield running


def _open_spray_edge(page, site) -> None:
    pick_from_search(page, site, "guest", "button[title='guest']")
    page.click("#selection button.relation:has-text('VALIDATED_AT host dc01')")
    page.wait_for_selector("body[data-evidence=ready]")


def _evidence_times(page) -> list[str]:
    return page.eval_on_selector_all("#evidence-table tbody tr[data-event-id] td:first-child",
                                     "cells => cells.map(c => c.textContent)")


def test_a_busy_edge_keeps_and_shows_both_ends_of_its_run_and_says_how_many(page, site) -> None:
    _open_spray_edge(page, site)
    caption = page.locator("#evidence-caption").text_content()
    assert caption.startswith("guest VALIDATED_AT dc01: 64 of 192 events kept (first 32 and last 32)"), caption
    times = _evidence_times(page)
    assert len(times) == 64
    # the first 32 validations, then the last 32: the spray's end can be opened
    assert times[0] == "2026-03-02 14:00:00Z" and times[31] == "2026-03-02 14:01:33Z"
    assert times[32] == "2026-03-02 14:08:00Z" and times[-1] == "2026-03-02 14:09:33Z"


def test_an_evidence_row_says_what_the_account_did_and_its_kind_is_one_word(page, site) -> None:
    _open_spray_edge(page, site)
    row = page.locator("#evidence-table tbody tr[data-event-id]").first
    assert row.locator(".evidence-summary").text_content() == (
        "guest failed NTLM validation from claimed workstation kali: wrong password")
    kind = row.locator("td.evidence-kind")
    assert kind.text_content() == "winsec:credential_validation"
    # however narrow the panel, a line breaks only after ":" or "_": each word stays on one line
    page.set_viewport_size({"width": 700, "height": 900})
    words = kind.evaluate("""td => [...td.childNodes].filter(n => n.nodeType === Node.TEXT_NODE).map(n => {
        const r = document.createRange(); r.selectNodeContents(n);
        return [n.textContent, new Set([...r.getClientRects()].map(x => Math.round(x.top))).size]; })""")
    assert words == [["winsec:", 1], ["credential_", 1], ["validation", 1]]


def test_the_edge_leads_to_its_hosts_timeline_over_its_span(page, site) -> None:
    _open_spray_edge(page, site)
    page.click("#evidence-caption button.evidence-timeline")
    timeline = page.locator("#selection .host-timeline[data-host='dc01']")
    timeline.locator(".timeline li").first.wait_for()
    assert timeline.locator("input.timeline-since").input_value() == "2026-03-02T14:00:00Z"
    assert timeline.locator("input.timeline-until").input_value() == "2026-03-02T14:09:33Z"
    assert timeline.locator(".timeline-status").text_content() == (
        "25 of 192 events from 2026-03-02 14:00:00Z to 2026-03-02 14:09:33Z, newest first")
    # the spray's last validation first, not the host's newer service events
    assert timeline.locator(".timeline-time").first.text_content() == "2026-03-02 14:09:33Z"
    assert timeline.locator(".timeline-summary").first.text_content() == (
        "guest failed NTLM validation from claimed workstation kali: wrong password")
    screenshot(page, "edge-span-timeline")
    # "All times": the host's newest events again
    timeline.locator("button.timeline-clear").click()
    page.wait_for_function("() => document.querySelector('#selection .timeline-status').textContent"
                           ".startsWith('25 of 223 events, newest first')")
    assert timeline.locator(".timeline-summary").first.text_content() == "whoami /all · user alice"


def test_the_timeline_filters_by_kind_opens_a_rows_raw_event_and_links_its_user(page, site) -> None:
    pick_from_search(page, site, "dc01", "button:has(.type-host)")
    timeline = page.locator("#selection .host-timeline")
    timeline.locator(".timeline li").first.wait_for()
    timeline.locator("input.timeline-kinds").fill("winsec:credential_validation")
    timeline.locator(".timeline-filter button[type=submit]").click()
    page.wait_for_function("() => document.querySelector('#selection .timeline-status').textContent"
                           ".startsWith('25 of 192 events of winsec:credential_validation')")
    assert set(timeline.locator(".timeline-kind").all_text_contents()) == {"winsec:credential_validation"}
    # all kinds again; the newest row is alice's process: open its raw event, then alice
    timeline.locator("input.timeline-kinds").fill("")
    timeline.locator(".timeline-filter button[type=submit]").click()
    page.wait_for_function("() => document.querySelector('#selection .timeline-status').textContent"
                           ".startsWith('25 of 223 events, newest first')")
    first = timeline.locator(".timeline li").first
    first.locator("details.timeline-raw > summary").click()
    first.locator("details.timeline-raw[data-loaded=yes]").wait_for()
    assert '"command_line": "whoami /all"' in first.locator("pre.raw").text_content()
    first.locator("button.timeline-entity[data-type=user]").click()
    # opened in the exploration, as a search pick is: the address keeps dc01 and adds alice (PAGE3 #3)
    page.wait_for_function("() => window.location.hash === '#/explore/host/dc01/user/alice'")
    page.wait_for_function("() => window.graphsiem.clusterView.graph.cy.getElementById('user:alice').selected()")
    page.wait_for_function("() => document.querySelector('#selection')?.textContent.includes('alice')")
