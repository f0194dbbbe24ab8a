"""A WMI script consumer's script is read back from Sysmon's MOF quoting (red team T12, finding 3).

Sysmon 20 writes an ``ActiveScriptEventConsumer``'s ``ScriptText`` as a MOF string: in quotes, each
backslash and quote escaped.  Kept so, the script entity held ``C:\\\\Users\\\\Public``: a search for
the path the script runs (``C:\\Users\\Public\\...``) missed it.  The parser now gives the text the
script host runs as ``wmi.consumer.destination_decoded`` and keeps the destination as the event gave
it; the projection's script is that text, on both stores.
"""

from __future__ import annotations

import pytest

from graphsiem.model import Event
from ingest.parsers.windows_sysmon import MAPPERS
from ingest.projection import project_events
from tests.ingest.parsers.test_windows_variants import _sysmon, ingest_into
from tests.ingest.parsers.test_windows_wmi import CONSUMER, _mof

PAYLOAD = "C:\\Users\\Public\\Libraries\\svcw.exe"
SCRIPT = f'Set s = CreateObject("WScript.Shell")\r\ns.Run "{PAYLOAD} /silent", 0'


@pytest.fixture
def ingest(tmp_path):
    yield from ingest_into(tmp_path)


def test_the_script_text_is_unquoted_and_the_destination_kept_as_given(ingest) -> None:
    got = ingest(_sysmon(20, **{**CONSUMER, "Type": "Script", "Destination": _mof(SCRIPT)}))
    [event] = got.events
    assert event.fields["wmi.consumer.destination_decoded"] == SCRIPT
    assert event.fields["wmi.consumer.destination"] == _mof(SCRIPT)
    assert not any(name.startswith("process.") for name in event.fields)  # a script is no command line


def test_a_script_consumer_without_the_mof_quotes_is_taken_as_it_is(ingest) -> None:
    got = ingest(_sysmon(20, **{**CONSUMER, "Type": "Script", "Destination": SCRIPT}))
    assert got.events[0].fields["wmi.consumer.destination_decoded"] == SCRIPT


def _script_consumer(event_id: str, host: str, ts: float) -> Event:
    fields: dict = {}
    data = {**CONSUMER, "Type": "Script", "Destination": _mof(SCRIPT)}
    return Event(event_id, MAPPERS[20](data, fields), ts, host, "winlogbeat", fields)


def test_the_installed_script_is_found_by_the_path_it_runs_on_both_stores(store) -> None:
    projection = project_events([_script_consumer("e1", "ws-a", 10.0), _script_consumer("e2", "ws-b", 11.0)])
    store.upsert_entities(projection.entities)
    store.upsert_relations(projection.relations)
    store.upsert_sightings(projection.sightings)
    store.flush()
    [hit] = store.search_entities(PAYLOAD, entity_type="script")
    script = store.get_entity("script", hit.entity.key)
    assert script.value.startswith('Set s = CreateObject("WScript.Shell")')
    assert (script.props["text"], script.props["wmi_command"]) == (SCRIPT, _mof(SCRIPT))
    assert script.props["mechanisms"] == ["wmi_subscription"]
    installed = sorted((r.src[1], r.dst) for r in store.iter_relations("INSTALLED"))
    assert installed == [("ws-a", ("script", hit.entity.key)), ("ws-b", ("script", hit.entity.key))]
