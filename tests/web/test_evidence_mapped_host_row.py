"""An evidence row of a sensor record says which host each address was, by the IP map (review T11 F10).

A Zeek connection names addresses, not hosts: the row showed its flow and an
empty (or relation-derived) Host column, never which host the ingest's IP map
held each address for.  In Chromium against the real service over a small Zeek
capture with DHCP leases (:mod:`tests.ingest.mapped_sensor_records`) ingested
through the real pipeline, the outside address's evidence rows read
``10.9.0.5 → ws-a (IP map)`` beside the flow, only where the map held the
address at the record's time, as text.
"""

from __future__ import annotations

import pytest

from graphsiem.model import EntityType
from ingest.journal import Journal
from tests.ingest.mapped_sensor_records import write_logs
from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import ingesting, pick_from_search
from tests.web.queue_helpers import save_detection, stored_cluster
from tests.web.test_cluster_view import click_edge, open_cluster

pytestmark = pytest.mark.browser

OUTSIDE = "203.0.113.9"
ROWS = "#evidence-table tbody tr[data-event-id]:not(.missing)"
ROWS_JS = """rows => rows.map(r => ({
    flow: [...r.cells[4].querySelectorAll(':scope > div.mono')].map(d => d.textContent).pop(),
    mapped: [...r.cells[4].querySelectorAll(':scope > div.mapped-host')].map(d => [d.dataset.side, d.textContent]),
    titles: [...r.cells[4].querySelectorAll(':scope > div.mapped-host')].map(d => d.title),
    textOnly: [...r.cells[4].querySelectorAll(':scope > div.mapped-host')].every(d => [...d.childNodes].every(n => n.nodeType === Node.TEXT_NODE)),
}))"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    logs = write_logs(tmp_path_factory.mktemp("zeek"))
    ingest = ingesting([logs], accepted=7)

    def prepare(store, data_dir):
        ingest(store, data_dir)
        # A cluster of ws-a and ws-b on the outside address whose evidence (in its detail) is the flows.
        with Journal(data_dir / "journal.sqlite") as journal:
            conns = [item.event.id for item in journal.iter_events() if item.event.kind == "zeek:conn"]
        pivot = {"type": EntityType.IP.value, "key": OUTSIDE, "value": OUTSIDE}
        save_detection(data_dir, "d-f10", [stored_cluster(
            80.0, "f10", hosts=["ws-a", "ws-b"], pivot={"type": "ip", "key": OUTSIDE}, members=[pivot],
            entities=[{"type": "ip", "value": OUTSIDE}],
            evidence=[{"source": "zeek", "event_id": event_id} for event_id in conns])])

    with start_site(tmp_path_factory.mktemp("mapped"), prepare) as running:
        yield running


def test_each_flow_reads_the_host_its_addresses_were_by_the_ip_map(page, site):
    pick_from_search(page, site, OUTSIDE, f"button[title='{OUTSIDE}']")
    page.wait_for_selector("body[data-evidence=ready]")
    rows = page.eval_on_selector_all(ROWS, ROWS_JS)
    by_flow = {row["flow"]: row for row in rows}
    assert {flow: row["mapped"] for flow, row in by_flow.items()} == {
        "10.9.0.5:51001 → 203.0.113.9:443 tcp": [["src", "10.9.0.5 → ws-a (IP map)"]],
        "203.0.113.9:40000 → 10.9.0.6:3389 tcp": [["dst", "10.9.0.6 → ws-b (IP map)"]],
        "10.9.0.77:51002 → 203.0.113.9:443 tcp": [],  # nobody leased the address
        "10.9.0.5:51003 → 203.0.113.9:443 tcp": [],  # after the lease ended
    }
    assert by_flow["10.9.0.5:51001 → 203.0.113.9:443 tcp"]["titles"] == [
        "The record names no host: by the IP map, its source 10.9.0.5 was ws-a from 2026-03-01T00:00:00.000Z "
        "to 2026-03-01T01:00:00.000Z (DHCP lease)"]
    assert all(row["textOnly"] for row in rows)
    screenshot(page, "evidence-mapped-host")
    assert page.watch.errors == [] and page.watch.csp_violations == []


def test_a_clusters_own_evidence_reads_the_host_too(page, site):
    # The events of the cluster's detail (the page does not fetch them again by id): ws-a's flow to ws-b.
    open_cluster(page, site, "c-f10")
    click_edge(page, "[type = 'CONNECTED'][source = 'host:ws-a'][target = 'host:ws-b']")
    page.wait_for_selector("body[data-evidence=ready]")
    page.wait_for_selector(ROWS)
    rows = page.eval_on_selector_all(ROWS, ROWS_JS)
    mapped = {row["flow"]: row["mapped"] for row in rows}
    assert mapped == {"10.9.0.5:51000 → 10.9.0.6:445 tcp": [["src", "10.9.0.5 → ws-a (IP map)"],
                                                            ["dst", "10.9.0.6 → ws-b (IP map)"]]}, mapped
    assert page.watch.errors == [] and page.watch.csp_violations == []
