"""A record whose host is written as an address reaches the host the IP map knows then (audit L10).

The projection maps an event host that is an IP through the time-aware map
(``Projector.project_into``), whichever parser wrote it and whichever order the
evidence comes in within a call; the journal keeps the address as written.
These are guards: the rule held before this audit's fixes (073d9f0 guarded the
lease-in-an-earlier-call case); they pin its other cases.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.replay import replay

LEASE = ('{"_path":"dhcp","ts":"2024-03-05T09:00:00Z","mac":"aa:aa:aa:aa:aa:01","host_name":"WS-0300",'
         '"assigned_addr":"10.1.2.42","lease_time":86400.0,"msg_types":["REQUEST","ACK"]}\n')
SSHD = "Accepted password for jdoe from 192.0.2.66 port 52311 ssh2"


def ingest(tmp_path: Path, journal: Journal, graph, line: str) -> None:
    """``line`` in a syslog file read before the DHCP log that leases its address, in one call."""
    (tmp_path / "a-device.log").write_text(line + "\n")
    (tmp_path / "z-dhcp.json").write_text(LEASE)
    report = ingest_paths([tmp_path / "a-device.log", tmp_path / "z-dhcp.json"], store=graph, journal=journal,
                          progress=False, reference_year=2024)
    assert report.total.accepted == 2


def sightings(graph) -> set:
    return {(s.host, s.entity) for s in graph.iter_sightings()}


@pytest.mark.parametrize("line", [
    f"<38>Mar  5 10:00:12 10.1.2.42 sshd[4250]: {SSHD}",  # RFC 3164
    f"<38>1 2024-03-05T10:00:12Z 10.1.2.42 sshd 4250 - - {SSHD}",  # RFC 5424
    f"<38>1 2024-03-05T10:00:12Z ::ffff:10.1.2.42 sshd 4250 - - {SSHD}",  # IPv4-mapped IPv6
    f"<38>1 2024-03-05T10:00:12Z 010.001.002.042 sshd 4250 - - {SSHD}",  # zero-padded quad
])
def test_a_host_written_as_an_address_is_the_mapped_host(line: str, tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, line)
    assert ("ws-0300", ("user", "jdoe")) in sightings(graph)
    assert graph.get_entity("host", "10.1.2.42") is None
    assert [item.event.host for item in journal.iter_events()][0] == "10.1.2.42"  # as written, canonical
    live = sightings(graph)
    replay(journal, graph)
    assert sightings(graph) == live


def test_a_host_address_outside_any_lease_names_no_host(tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, f"<38>Mar  5 08:00:12 10.1.2.42 sshd[4250]: {SSHD}")  # before the lease
    assert {entity.key for entity in graph.iter_entities("host")} == {"ws-0300"}
    assert ("ws-0300", ("user", "jdoe")) not in sightings(graph)
