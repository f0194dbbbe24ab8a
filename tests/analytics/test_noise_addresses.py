"""Loopback, link-local, multicast, broadcast and unspecified addresses name no remote machine:
they stay in the graph but pivot no cluster and join none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analytics.detect import detect
from analytics.inputs import names_no_remote_machine
from graphsiem.model import Entity, Sighting
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.normalize_ip import canonical_ip
from ingest.pipeline import ingest_records
from tests.analytics.fleet import CAMPAIGN, CAMPAIGN_HOSTS, END, populate

NOISE = ["::1", "127.0.0.1", "239.255.255.250", "ff02::fb", "169.254.12.7", "255.255.255.255",
         "fe80::1%eth0", "0.0.0.0", "::ffff:127.0.0.1", "224.0.0.251"]


@pytest.mark.parametrize("address", NOISE)
def test_noise_addresses_are_recognised(address):
    assert names_no_remote_machine(("ip", address))


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.255", "8.8.8.8", "2001:db8::1", "not-an-ip"])
def test_addresses_of_machines_are_kept(address):
    assert not names_no_remote_machine(("ip", address))


def test_only_ip_entities_are_judged():
    assert not names_no_remote_machine(("domain", "127.0.0.1"))


@pytest.fixture
def store(tmp_path):
    """The hand-built fleet, plus noise addresses first contacted in the window: half by 4 other
    hosts only (each would pivot a cluster of its own), half by the campaign's hosts only (each
    would be a member of the campaign's cluster)."""
    with EmbeddedStore(tmp_path / "graph") as store:
        populate(store)
        hosts = [f"ws-{i:03d}" for i in range(20, 24)]
        store.upsert_entities([Entity("ip", a, a) for a in NOISE])
        store.upsert_sightings(
            [Sighting(h, ("ip", a), END - 3600 + 60 * i, END - 60, 5) for i, h in enumerate(hosts) for a in NOISE[::2]]
        )
        store.upsert_sightings(
            [Sighting(h, ("ip", a), END - 3000, END - 60, 5) for h in CAMPAIGN_HOSTS for a in NOISE[1::2]]
        )
        store.flush()
        yield store


def test_noise_addresses_form_no_cluster_and_join_none(store):
    clusters = detect(store).clusters
    members = {e.ref for c in clusters for e in c.entities}
    assert not {("ip", a) for a in NOISE} & members
    top = clusters[0]
    assert {e.ref for e in top.entities} == set(CAMPAIGN) and top.hosts == CAMPAIGN_HOSTS


def test_noise_addresses_ingested_stay_in_the_graph_after_detect(tmp_path):
    """Left out of the clustering only: an analyst still sees a host's SSDP or loopback traffic.

    The addresses come through the real pipeline (ECS connections from the campaign's hosts), so
    an ingest or projection that dropped them, or a detect that pruned them, fails here."""
    when = datetime.fromtimestamp(END - 600, UTC).isoformat()
    records = [{"@timestamp": when, "host": {"name": host}, "event": {"category": ["network"]},
                "destination": {"ip": address, "port": 1900}}
               for host in CAMPAIGN_HOSTS for address in NOISE]
    with EmbeddedStore(tmp_path / "graph") as store, Journal(tmp_path / "journal.sqlite") as journal:
        populate(store)
        report = ingest_records(records, store=store, journal=journal, format="ecs")
        assert (report.total.accepted, report.total.rejected) == (len(records), 0)
        store.flush()
        clusters = detect(store).clusters
        keys = sorted({canonical_ip(address) or address for address in NOISE})  # as the projection keys them
        noise = {("ip", key) for key in keys}
        assert len(noise) == len(NOISE) - 1  # ::ffff:127.0.0.1 is 127.0.0.1 (and fe80::1%eth0 is fe80::1)
        assert not noise & {e.ref for c in clusters for e in c.entities}
        assert {e.ref for e in clusters[0].entities} == set(CAMPAIGN)
        for key in keys:
            assert store.get_entity("ip", key) is not None, key
            assert sorted(s.host for s in store.hosts_of("ip", key)) == CAMPAIGN_HOSTS, key
            assert {(n.relation.type, n.entity.key) for n in store.neighbors("ip", key)} == {
                ("CONNECTED", host) for host in CAMPAIGN_HOSTS}, key
        around = store.subgraph([("host", CAMPAIGN_HOSTS[0])])
        assert noise <= {(data["type"], data["key"]) for _, data in around.nodes(data=True)}
