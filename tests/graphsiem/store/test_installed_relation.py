"""``host INSTALLED process`` (a service install, a scheduled task) on both stores, as the projection makes it."""

from __future__ import annotations

from graphsiem.model import Event
from ingest.parsers.windows_persistence import SERVICE_KIND, put_service
from ingest.projection import Projector, project_events


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


def _netsvcs(event_id: str, host: str, name: str) -> Event:
    fields: dict = {}
    kind = put_service(fields, name=name, image_path="%SystemRoot%\\System32\\svchost.exe -k netsvcs -p",
                       account="LocalSystem")
    return Event(event_id, kind, 10.0, host, "winlogbeat", fields)


def test_names_of_one_command_installed_across_calls_are_kept_together(store) -> None:
    """ws-1 installs EvilSvcDll, then (a later call, its projector restored from the saved join state)
    ws-2..4 install BITS with the same command: the node lists both, on either store."""
    first = Projector()
    calls = [[_netsvcs("e1", "ws-1", "EvilSvcDll")],
             [_netsvcs(f"e{n}", f"ws-{n}", "BITS") for n in (2, 3, 4)]]
    projector = first
    for events in calls:
        projection = projector.project(events)
        store.upsert_entities(projection.entities)
        store.upsert_relations(projection.relations)
        store.flush()
        projector = Projector()
        assert projector.restore_join_state(first.join_state())
        first = projector
    [installed] = {r.dst for r in store.iter_relations("INSTALLED")}
    props = store.get_entity(*installed).props
    assert props["services"] == ["BITS", "EvilSvcDll"] and props["service"] == "BITS"
