"""Evidence rows say what fired and which flow it was, and a network record names the host its address was (task G2, review T9 F3 and F5).

An IDS alert's row showed ``destination.ip: 192.168.1.129`` instead of its
signature; a Zeek connection of the LSASS campaign's victim showed an empty
Host column and only ``destination.ip``, hiding ``source.ip 192.168.1.41``,
the one field that ties it to mkt01 (kerberos.log maps that address to mkt01).

In Chromium against the real service over real captures from
``$GRAPHSIEM_SAMPLES`` ingested through the real pipeline into the embedded
store and the journal: the LSASS campaign's Zeek logs (OTRF) and Suricata's
WRCCDC 2018 alerts, one per signature.
"""

from __future__ import annotations

import pytest

from tests.samples import samples_path
from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import ingesting, pick_from_search

pytestmark = pytest.mark.browser

LSASS_ZEEK = samples_path() / "otrf-security-datasets" / "LSASS_campaign_01_zeek"
WRCCDC_ALERTS = samples_path() / "suricata-sample-data" / "wrccdc-2018" / "alerts-only.json"
SCANNER = "10.128.0.210"
ROWS = "#evidence-table tbody tr[data-event-id]:not(.missing)"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("flows"), ingesting([LSASS_ZEEK, WRCCDC_ALERTS], accepted=468)) as running:
        yield running


def _explore(page, site, query: str) -> None:
    pick_from_search(page, site, query, f"button[title='{query}']")
    page.wait_for_selector("body[data-evidence=ready]")


def _rows(page) -> list[dict]:
    return page.eval_on_selector_all(ROWS, """rows => rows.map(r => ({
        id: r.dataset.eventId,
        kind: r.cells[2].textContent,
        host: r.cells[3].textContent,
        attributed: r.cells[3].classList.contains('host-attributed'),
        lines: [...r.cells[4].querySelectorAll(':scope > div.mono')].map(d => d.textContent),
        textOnly: [...r.cells[4].querySelectorAll(':scope > div.mono')].every(d => [...d.childNodes].every(n => n.nodeType === Node.TEXT_NODE)),
    }))""")


def test_an_alert_row_reads_its_signature_first_then_its_flow(page, site):
    _explore(page, site, SCANNER)
    alerts = [row for row in _rows(page) if row["kind"] == "suricata:alert"]
    assert alerts, _rows(page)
    by_signature = {row["lines"][0]: row for row in alerts}
    signature = "ET SCAN Behavioral Unusual Port 445 traffic Potential Scan or Infection · SID 2001569 · severity 3"
    assert signature in by_signature, list(by_signature)
    assert by_signature[signature]["lines"][1:] == [f"{SCANNER}:43407 → 10.47.3.218:445 tcp"]
    assert all(row["textOnly"] for row in alerts)
    # What the row showed before: the destination alone.
    assert not any(line.startswith("destination.ip:") for row in alerts for line in row["lines"])
    # The evidence API holds the signature under these names (the row reads them).
    fields = site.api("GET", "/v1/evidence", params={"ids": by_signature[signature]["id"]})["items"][0]["fields"]
    assert (fields["rule.name"], fields["rule.id"], fields["alert.severity"]) == (
        "ET SCAN Behavioral Unusual Port 445 traffic Potential Scan or Infection", "2001569", 3)
    screenshot(page, "evidence-alert-signature")
    assert page.watch.errors == [] and page.watch.csp_violations == []


def test_a_network_row_shows_its_flow_and_the_host_its_address_was(page, site):
    _explore(page, site, "mkt01")
    rows = _rows(page)
    assert len(rows) > 50, rows
    conn = [row for row in rows if row["kind"] == "zeek:conn"]
    # The first DNS query of the victim, source first: the address that is mkt01's.
    assert ["192.168.1.41:52605 → 192.168.1.4:53 udp/dns"] in [row["lines"] for row in conn]
    assert all("192.168.1.41:" in row["lines"][-1] for row in conn)
    # The events name no host of their own: the Host column is the one the relations tie them to, marked so.
    evidence = site.api("GET", "/v1/evidence", params={"ids": [row["id"] for row in conn[:5]]})["items"]
    assert {item["host"] for item in evidence} == {None}
    assert {(row["host"], row["attributed"]) for row in rows} == {("mkt01 (by relation)", True)}
    assert not any(line.startswith("destination.ip:") for row in rows for line in row["lines"])
    # An edge's rows too: mkt01 CONNECTED the attacker's address.
    page.click("#selection button.relation:has-text('CONNECTED ip 10.0.5.13')")
    page.wait_for_selector("#evidence-caption:has-text('10.0.5.13')")
    page.wait_for_selector("body[data-evidence=ready]")
    edge_rows = _rows(page)
    assert edge_rows and {row["host"] for row in edge_rows} == {"mkt01 (by relation)"}
    assert all("192.168.1.41" in row["lines"][-1] and "10.0.5.13" in row["lines"][-1] for row in edge_rows)
    # A file's transfer reads from its sender: the attacker's server sent the stager to the victim.
    assert "10.0.5.13 → 192.168.1.41 http" in [row["lines"][-1] for row in edge_rows if row["kind"] == "zeek:files"]
    screenshot(page, "evidence-network-flow")
    assert page.watch.errors == [] and page.watch.csp_violations == []
