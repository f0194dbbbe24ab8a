"""Endpoint rules (ingest.projection_endpoint): the generic rule's skips, registry keys, inbound connections."""

from __future__ import annotations

import pytest

from graphsiem.model import Event
from ingest import projection_endpoint
from ingest.projection import Projector, project_events
from tests.ingest.test_projection import PS, documented_fields, dumped, ev


@pytest.mark.parametrize("name", documented_fields())
def test_the_generic_rule_skips_a_parent_or_file_only_when_it_has_none_of_their_fields(name, monkeypatch):
    """Skipping the parent and file rules (none of their identity fields) changes no projection."""
    known = ev("sysmon:process_create", event_id="e0", process__executable="C:\\p.exe",
               process__command_line="p.exe -x", process__guid="x")
    values = {"dns.answers": ["203.0.113.7"], "process.pid": 42, "process.parent.guid": "x"}
    event = Event(id="e2", kind="sysmon:registry_event", ts=100.0, host="ws-1", source="test",
                  fields={"process.executable": PS, "process.guid": "abc",
                          name: values.get(name, "203.0.113.7" if name.endswith(".ip") else "x")})

    def project():
        return dumped(Projector().project([known, event]))

    fast = project()
    monkeypatch.setattr(projection_endpoint, "_PARENT_IDENTITY", frozenset(documented_fields()))
    monkeypatch.setattr(projection_endpoint, "_FILE_IDENTITY", frozenset(documented_fields()))
    assert project() == fast


def test_a_registry_key_already_projected_keeps_its_props_and_gains_the_ones_it_lacked():
    file = ev("sysmon:file_create", event_id="e0", process__executable=PS, file__path="HKLM\\Run\\X")
    first = ev("sysmon:registry_set", event_id="e1", process__executable=PS, registry__path="HKLM\\Run\\x")
    again = ev("sysmon:registry_set", event_id="e2", process__executable=PS, registry__path="HKLM\\RUN\\x")
    (key,) = [e for e in project_events([file, first, again]).entities if e.type == "file"]
    assert (key.key, key.value) == ("hklm\\run\\x", "HKLM\\Run\\X")
    assert key.props == {"path": "HKLM\\Run\\X", "name": "x", "registry": True}
    (alone,) = [e for e in project_events([first, again]).entities if e.type == "file"]
    assert (alone.value, alone.props) == ("HKLM\\Run\\x", {"path": "HKLM\\Run\\x", "registry": True})


@pytest.mark.parametrize(("local", "peer"), [
    ("172.18.39.5", "172.18.39.106"),  # the local side written as source (HFDC01, port 135)
    ("172.18.39.106", "172.18.39.5"),  # as destination
    (None, "172.18.39.5"),  # not told: an inbound event's source, as Sysmon documents it
])
def test_an_inbound_connection_is_to_the_side_that_is_not_the_local_one(local, peer):
    fields = {"process__executable": "C:\\Windows\\System32\\svchost.exe", "network__direction": "inbound",
              "source__ip": "172.18.39.5", "source__port": 135,
              "destination__ip": "172.18.39.106", "destination__port": 53118}
    if local is not None:
        fields["host__ip"] = local
    relations = Projector().project([ev("sysmon:network_connect", host="hfdc01", **fields)]).relations
    # the peer connected to this host and its process, not the other way round
    assert {(r.src, r.dst[0]) for r in relations if r.type == "CONNECTED"} == {
        (("ip", peer), "host"), (("ip", peer), "process")}
