"""A templated WMI consumer's runs are related to the command it installed (red team T12, finding 3).

``svcw.exe /silent %TargetInstance.ProcessId%`` is installed as written (Sysmon 20) and runs as
``svcw.exe /silent 4242`` (Sysmon 1 under ``WmiPrvSE.exe``): two process keys, so "installed" never met
"ran".  A run that fills the template, of its image, started by the WMI provider host, is now also
``host RAN`` the installed command (the run keeps its own node); anything else is left alone.  Through
the real pipeline and embedded store, on both stores, and across a saved join state.
"""

from __future__ import annotations

import orjson
import pytest

from graphsiem.model import Event
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.parsers.windows_sysmon import MAPPERS
from ingest.pipeline import ingest_paths
from ingest.projection import Projector, project_events
from ingest.wmi_templates import fills, template_pieces
from tests.ingest.parsers.test_windows_variants import _process, _sysmon, ingest_into
from tests.ingest.parsers.test_windows_wmi import _mof

HOST = ("host", "ws-0042")
IMAGE = "C:\\Users\\Public\\Libraries\\svcw.exe"
TEMPLATE = f"{IMAGE} /silent %TargetInstance.ProcessId%"
INSTALLED = _process(IMAGE, TEMPLATE)
WMIPRVSE = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"
CONSUMER = {"EventType": "WmiConsumerEvent", "Operation": "Created", "User": "CORP\\adm-x",
            "Name": _mof("SCM Event Log Consumer2"), "Type": "Command Line", "Destination": _mof(TEMPLATE)}


def _run(record_id: int, command_line: str, *, parent: str = WMIPRVSE, image: str = IMAGE) -> dict:
    return _sysmon(1, record_id, ProcessGuid=f"{{5770385f-0000-0000-0000-0000000{record_id:05d}}}",
                   ProcessId=str(7000 + record_id), Image=image, CommandLine=command_line,
                   User="NT AUTHORITY\\SYSTEM", ParentImage=parent, ParentCommandLine=f"{parent} -Embedding")


@pytest.fixture
def ingest(tmp_path):
    yield from ingest_into(tmp_path)


def test_a_run_that_fills_the_template_under_wmiprvse_ran_the_installed_command(ingest) -> None:
    got = ingest(_sysmon(20, 1, **CONSUMER), _run(2, f"{IMAGE} /silent 4242"))
    run = _process(IMAGE, f"{IMAGE} /silent 4242")
    assert got.edges("INSTALLED") == {(HOST, INSTALLED)}
    ran = got.edges("RAN")
    assert {(HOST, INSTALLED), (HOST, run)} <= ran  # the run keeps its own node, and meets the install
    [relation] = [r for r in got.store.iter_relations("RAN") if r.dst == INSTALLED]
    assert relation.count == 1 and len(relation.evidence) == 1  # the run's event, not the consumer's
    assert [(s.host, s.count) for s in got.store.hosts_of(*INSTALLED)] == [("ws-0042", 2)]


def test_a_run_ingested_in_a_later_call_than_its_consumer_meets_it_in_the_store(tmp_path) -> None:
    store = EmbeddedStore(tmp_path / "graph")
    with Journal(tmp_path / "journal.sqlite") as journal:
        for n, record in enumerate([_sysmon(20, 1, **CONSUMER), _run(2, f"{IMAGE} /silent 4242")]):
            path = tmp_path / f"call{n}.ndjson"
            path.write_bytes(orjson.dumps(record) + b"\n")
            assert ingest_paths([path], store=store, journal=journal, progress=False).total.accepted == 1
    try:
        assert [(r.src, r.count) for r in store.iter_relations("RAN") if r.dst == INSTALLED] == [(HOST, 1)]
    finally:
        store.close()


def test_a_run_not_from_wmi_or_not_filling_the_template_is_left_alone(ingest) -> None:
    got = ingest(_sysmon(20, 1, **CONSUMER),
                 _run(2, f"{IMAGE} /silent 4242", parent="C:\\Windows\\explorer.exe"),  # a user started it
                 _run(3, f"{IMAGE} /install 4242"),  # another command of that image
                 _run(4, f"{IMAGE} /silent"),  # the token filled by nothing
                 _run(5, "C:\\ProgramData\\svcw.exe /silent 4242", image="C:\\ProgramData\\svcw.exe"))
    assert (HOST, INSTALLED) not in got.edges("RAN")
    # the keys of those processes are the keys they always had
    assert (HOST, _process(IMAGE, f"{IMAGE} /silent 4242")) in got.edges("RAN")
    assert (HOST, _process(IMAGE, f"{IMAGE} /install 4242")) in got.edges("RAN")


def _event(event_id: str, host: str, ts: float, number: int, data: dict) -> Event:
    fields: dict = {}
    return Event(event_id, MAPPERS[number](data, fields), ts, host, "winlogbeat", fields)


def _run_data(pid: int) -> dict:
    return {"ProcessGuid": f"{{aa-{pid}}}", "ProcessId": str(pid), "Image": IMAGE,
            "CommandLine": f"{IMAGE} /silent {pid + 100}", "User": "NT AUTHORITY\\SYSTEM",
            "ParentImage": WMIPRVSE, "ParentCommandLine": "wmiprvse.exe -Embedding"}


def test_the_install_and_its_runs_on_two_hosts_on_both_stores(store) -> None:
    events = [_event("c1", "ws-a", 10.0, 20, CONSUMER), _event("c2", "ws-b", 11.0, 20, CONSUMER),
              _event("r1", "ws-a", 70.0, 1, _run_data(4001)), _event("r2", "ws-b", 71.0, 1, _run_data(4002))]
    projection = project_events(events)
    store.upsert_entities(projection.entities)
    store.upsert_relations(projection.relations)
    store.upsert_sightings(projection.sightings)
    store.flush()
    ran = sorted((r.src[1], r.evidence) for r in store.iter_relations("RAN") if r.dst == INSTALLED)
    installed = sorted((r.src[1], r.evidence) for r in store.iter_relations("INSTALLED"))
    assert (ran, installed) == ([("ws-a", ["r1"]), ("ws-b", ["r2"])], [("ws-a", ["c1"]), ("ws-b", ["c2"])])
    assert store.get_entity(*INSTALLED).props["command_line"] == TEMPLATE  # the install's, not a run's


def test_a_run_in_a_later_ingest_call_meets_the_install_through_the_saved_join_state() -> None:
    first = Projector()
    first.project([_event("c1", "ws-a", 10.0, 20, CONSUMER)])
    later = Projector()
    assert later.restore_join_state(first.join_state())
    relations = later.project([_event("r1", "ws-a", 70.0, 1, _run_data(4001))]).relations
    assert [(r.src, r.evidence) for r in relations if r.type == "RAN" and r.dst == INSTALLED] == [
        (("host", "ws-a"), ["r1"])]
    # a state saved before the templates were a join is not read: the journal teaches them again
    state = orjson.loads(first.join_state())
    del state["_wmi_templates"]
    assert not Projector().restore_join_state(orjson.dumps(state))


def test_template_text_is_matched_as_text_not_as_a_pattern() -> None:
    pieces = template_pieces("x.exe (a+)+$ [%TargetEvent.SourceName%] .*")
    assert pieces == ("x.exe (a+)+$ [", "] .*")
    assert fills(pieces, "x.exe (a+)+$ [Security Center] .*")
    assert not fills(pieces, "x.exe aaaa [b] zzz") and not fills(pieces, "x.exe (a+)+$ [] .*")
    # two tokens, each filled by something, the pieces between found left to right
    two = template_pieces("t.exe -p %TargetInstance.ProcessId% -n %TargetInstance.Name% -q")
    assert fills(two, "t.exe -p 12 -n my svc -q") and not fills(two, "t.exe -p 12 -n -q")
