"""The Host column of a sensor record reads the host the IP map held its address for (review U5 #4).

On the demo, a domain's evidence (its hosts folded into the "54 hosts" aggregate) listed every Zeek
row with an empty Host column, while the row's detail said "10.32.1.190 → ws-0147 (IP map)": no shown
relation tied the record to a host.  In Chromium against the real service over a Zeek capture with
DHCP leases for three hosts (ingested through the real pipeline) and a cluster on the outside address
they all reached, the address's rows read "ws-a (by IP map)"; an address nobody leased stays empty.
"""

from __future__ import annotations

import json

import pytest

from graphsiem.model import EntityType
from ingest.journal import Journal
from tests.ingest.mapped_sensor_records import T0, lease
from tests.web.conftest import start_site
from tests.web.corpus_site import ingesting
from tests.web.queue_helpers import save_detection, stored_cluster
from tests.web.test_cluster_view import open_cluster

pytestmark = pytest.mark.browser

OUTSIDE = "203.0.113.9"
LEASES = {"ws-a": "10.9.0.5", "ws-b": "10.9.0.6", "ws-c": "10.9.0.7"}
ROWS = "#evidence-table tbody tr[data-event-id]:not(.missing)"


def _conn(uid: str, ts: float, src: str, sport: int) -> dict:
    return {"_path": "conn", "ts": ts, "uid": uid, "id.orig_h": src, "id.orig_p": sport, "id.resp_h": OUTSIDE,
            "id.resp_p": 443, "proto": "tcp", "duration": 1.5, "orig_bytes": 300, "resp_bytes": 900,
            "conn_state": "SF"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    logs = tmp_path_factory.mktemp("zeek3")
    conns = [_conn(f"C{i}", T0 + 600 + i, ip, 51000 + i) for i, ip in enumerate([*LEASES.values(), "10.9.0.77"])]
    (logs / "dhcp.log").write_text("".join(json.dumps(lease(h, ip, T0)) + "\n" for h, ip in LEASES.items()))
    (logs / "conn.log").write_text("".join(json.dumps(c) + "\n" for c in conns))
    ingest = ingesting([logs], accepted=len(LEASES) + len(conns))

    def prepare(store, data_dir):
        ingest(store, data_dir)
        with Journal(data_dir / "journal.sqlite") as journal:
            ids = [item.event.id for item in journal.iter_events() if item.event.kind == "zeek:conn"]
        pivot = {"type": EntityType.IP.value, "key": OUTSIDE, "value": OUTSIDE}
        save_detection(data_dir, "d-u5", [stored_cluster(
            80.0, "u5", hosts=sorted(LEASES), pivot={"type": "ip", "key": OUTSIDE}, members=[pivot],
            entities=[{"type": "ip", "value": OUTSIDE}],
            evidence=[{"source": "zeek", "event_id": event_id} for event_id in ids])])

    with start_site(tmp_path_factory.mktemp("host-by-map"), prepare) as running:
        yield running


def test_a_sensor_row_under_the_host_aggregate_names_its_host(page, site):
    open_cluster(page, site, "c-u5")
    assert page.is_visible("#tool-hosts")  # three hosts: drawn as one aggregate, no host node to relate to
    page.locator("#members-list > li", has_text=OUTSIDE).locator("button", has_text="show").click()
    page.wait_for_selector("body[data-evidence=ready]")
    page.wait_for_selector(ROWS)
    cells = dict(page.eval_on_selector_all(ROWS, """rows => rows.map(r => [
        [...r.cells[4].querySelectorAll(':scope > div.mono')].map(d => d.textContent).pop(), r.cells[3].textContent])"""))
    assert cells == {
        "10.9.0.5:51000 → 203.0.113.9:443 tcp": "ws-a (by IP map)",
        "10.9.0.6:51001 → 203.0.113.9:443 tcp": "ws-b (by IP map)",
        "10.9.0.7:51002 → 203.0.113.9:443 tcp": "ws-c (by IP map)",
        "10.9.0.77:51003 → 203.0.113.9:443 tcp": "",  # nobody leased it
    }, cells
    assert page.watch.errors == [] and page.watch.csp_violations == []
