"""``host INSTALLED process`` (a service install, a scheduled task) on both stores, as the projection makes it."""

from __future__ import annotations

from graphsiem.model import Event
from ingest.parsers.windows_persistence import SERVICE_KIND, put_service
from ingest.projection import project_events


def _install(event_id: str, host: str, ts: float) -> Event:
    fields: dict = {}
    kind = put_service(fields, name="PSEXESVC", image_path="%SystemRoot%\\PSEXESVC.exe", account="LocalSystem")
    assert kind == SERVICE_KIND
    return Event(event_id, kind, ts, host, "winlogbeat", fields)


def test_installed_relations_sightings_and_counts_round_trip(store) -> None:
    projection = project_events([_install("e1", "ws-a", 10.0), _install("e2", "ws-b", 11.0),
                                 _install("e3", "ws-a", 12.0)])
    store.upsert_entities(projection.entities)
    store.upsert_relations(projection.relations)
    store.upsert_sightings(projection.sightings)
    store.flush()
    installed = sorted(store.iter_relations("INSTALLED"), key=lambda r: r.src)
    assert [(r.src, r.count, sorted(r.evidence), r.first_seen, r.last_seen) for r in installed] == [
        (("host", "ws-a"), 2, ["e1", "e3"], 10.0, 12.0), (("host", "ws-b"), 1, ["e2"], 11.0, 11.0)]
    process = installed[0].dst
    assert store.get_entity(*process).props["service"] == "PSEXESVC"
    assert sorted(s.host for s in store.hosts_of(*process)) == ["ws-a", "ws-b"]
    assert store.counts()["relations"]["INSTALLED"] == 2
    assert {r.dst for r in store.iter_relations("RUN_AS")} == {("user", "nt authority\\system")}
