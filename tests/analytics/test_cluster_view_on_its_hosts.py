"""A cluster's "last seen" and drawn graph are its hosts' activity (review R4, finding 2).

LSASS is a member of the campaign's cluster and is also read on two IT hosts
outside it, hours later, by an admin tool (``procexp64.exe``, as on it-0003 in
the simulator).  The cluster's last seen was taken over every host that saw a
member, so it was the admin tool's time; and the graph drawn for the cluster
held the admin tool's edge to LSASS with the IT hosts' events.
"""

from __future__ import annotations

import pytest

from analytics.detect import detect
from analytics.evidence_subgraph import cluster_view
from graphsiem.model import Entity, Event, Relation, Sighting, entity_uid
from ingest.journal import Journal
from tests.analytics.fleet import CAMPAIGN_HOSTS, DAY, START, populate

LSASS = ("process", "lsass")
ADMIN = ("process", "procexp64")
OUTSIDE = ["it-001", "it-002"]
CAMPAIGN_TIME = START + 1.5 * DAY
ADMIN_TIME = CAMPAIGN_TIME + 4 * 3600


def _event(event_id: str, host: str, ts: float) -> Event:
    return Event(id=event_id, kind="sysmon:process_access", ts=ts, host=host, source="winlogbeat",
                 fields={"process.executable": "procexp64.exe"}, origin="test")


ADMIN_EVENTS = [_event("ev-admin-1", OUTSIDE[0], ADMIN_TIME), _event("ev-admin-2", OUTSIDE[1], ADMIN_TIME + 60)]


def _populate(store) -> None:
    populate(store)
    store.upsert_entities([Entity("host", h, h) for h in OUTSIDE] + [Entity(*ADMIN, "procexp64.exe", {})])
    store.upsert_sightings([Sighting(h, LSASS, CAMPAIGN_TIME, CAMPAIGN_TIME + 600, 1) for h in CAMPAIGN_HOSTS])
    store.upsert_sightings([Sighting(h, LSASS, ADMIN_TIME, ADMIN_TIME + 60, 1) for h in OUTSIDE])
    store.upsert_relations([
        Relation(("host", h), "RAN", ADMIN, ADMIN_TIME, ADMIN_TIME + 60, 1, [f"ev-ran-{h}"]) for h in OUTSIDE
    ] + [Relation(ADMIN, "ACCESSED", LSASS, ADMIN_TIME, ADMIN_TIME + 60, 2, [e.id for e in ADMIN_EVENTS])])
    store.flush()


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path / "journal.sqlite") as journal:
        journal.append(ADMIN_EVENTS)
        yield journal


def _campaign(store):
    result = detect(store)
    return next(c for c in result.clusters if c.pivot.ref == ("domain", "bad.example"))


def test_last_seen_is_the_clusters_hosts(store):
    _populate(store)
    campaign = _campaign(store)
    assert LSASS in {e.ref for e in campaign.entities}
    assert not set(OUTSIDE) & set(campaign.hosts)
    assert campaign.last_seen < ADMIN_TIME
    assert campaign.first_seen <= campaign.last_seen


def test_the_drawn_graph_leaves_out_the_admin_tool_on_other_hosts(store, journal):
    _populate(store)
    campaign = _campaign(store)
    members = [e.ref for e in campaign.entities]
    graph = store.subgraph(members, radius=1, limit=5000)
    assert graph.has_edge(entity_uid(*ADMIN), entity_uid(*LSASS))  # the store's view has it

    view = cluster_view(graph, members, campaign.hosts, journal=journal)

    assert entity_uid(*ADMIN) not in view
    assert not {entity_uid("host", h) for h in OUTSIDE} & set(view.nodes)
    assert entity_uid(*LSASS) in view
    # the campaign's own LSASS read stays, with its event
    cradle = view.get_edge_data(entity_uid("process", "cradle"), entity_uid(*LSASS))
    assert cradle and cradle["ACCESSED"]["evidence"] == ["ev-lsass"]
    assert {entity_uid("host", h) for h in CAMPAIGN_HOSTS} <= set(view.nodes)
