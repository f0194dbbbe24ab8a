"""A sensor record's evidence names the host the IP -> host map held for its addresses (review T11 F10).

A Zeek connection names addresses, never a host: ``host`` is null in the
evidence, although the ingest tied the flow to the cluster's hosts through the
map when it projected it.  The evidence answers (``GET /v1/evidence``, a
cluster's detail and its case bundle) give, beside the record left as it was,
the host each address was at the record's time, from a real ingest (``POST
/v1/events``) of a small Zeek capture with DHCP leases
(:mod:`tests.ingest.mapped_sensor_records`).
"""

from __future__ import annotations

from typing import Any

from graphsiem.model import epoch_to_iso
from tests.api.conftest import Api
from tests.ingest.mapped_sensor_records import (
    AFTER_LEASE,
    BOTH,
    DST_ONLY,
    LEASE_S,
    SRC_ONLY,
    T0,
    UNMAPPED,
    records,
)
from tests.web.queue_helpers import stored_cluster

LEASED = {"start": epoch_to_iso(T0), "end": epoch_to_iso(T0 + LEASE_S), "source": "dhcp", "how": "DHCP lease"}


def _ingested(api: Api) -> dict[str, str]:
    """Ingest the capture; Zeek uid -> event id of each connection."""
    response = api.post("/v1/events", role="ingest", json=records())
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 7, response.text
    api.ctx.ingest.catch_up()
    journal = api.ctx.ingest.journal()
    conns = [item.event.id for item in journal.iter_events() if item.event.kind == "zeek:conn"]
    return {event.raw["uid"]: event.id for event in journal.get(conns)}


def _mapped(host: str, side: str, ip: str) -> dict[str, Any]:
    return {"host": host, "mapped_from": side, "ip": ip, **LEASED}


EXPECTED = {
    BOTH: [_mapped("ws-a", "src", "10.9.0.5"), _mapped("ws-b", "dst", "10.9.0.6")],
    SRC_ONLY: [_mapped("ws-a", "src", "10.9.0.5")],
    DST_ONLY: [_mapped("ws-b", "dst", "10.9.0.6")],
    UNMAPPED: [],  # an address nobody leased
    AFTER_LEASE: [],  # the leased address, after its lease ended
}


def test_evidence_by_id_names_the_host_each_address_was(api: Api) -> None:
    ids = _ingested(api)
    answer = api.get("/v1/evidence", role="analyst", params={"ids": [ids[uid] for uid in EXPECTED]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {uid: body["mapped_hosts"].get(ids[uid], []) for uid in EXPECTED} == EXPECTED
    # The records stay as recorded: no host of their own, their addresses where they were.
    items = {item["id"]: item for item in body["items"]}
    assert {items[ids[uid]]["host"] for uid in EXPECTED} == {None}
    assert items[ids[BOTH]]["fields"]["source.ip"] == "10.9.0.5"
    assert "mapped_hosts" not in items[ids[BOTH]] and "mapped_hosts" not in items[ids[BOTH]]["fields"]


def test_a_clusters_detail_and_bundle_name_the_hosts_of_its_sensor_rows(api: Api) -> None:
    ids = _ingested(api)
    api.ctx.state.save_clusters("d-f10", [stored_cluster(70.0, "f10", hosts=["ws-a", "ws-b"], evidence=[
        {"source": "zeek", "event_id": ids[uid]} for uid in EXPECTED])])
    detail = api.get("/v1/clusters/c-f10", role="analyst")
    assert detail.status_code == 200, detail.text
    bundle = api.get("/v1/clusters/c-f10/bundle", role="analyst")
    assert bundle.status_code == 200, bundle.text
    by_id = {ids[uid]: uid for uid in EXPECTED}
    for evidence in (detail.json()["evidence"], bundle.json()["cluster"]["evidence"]):
        assert {by_id[row["event_id"]]: row["mapped_hosts"] for row in evidence} == EXPECTED
        assert {row["event"]["host"] for row in evidence} == {None}
