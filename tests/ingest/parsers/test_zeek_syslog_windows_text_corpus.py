"""The Brim ``syslog.log``: Windows events carried as rendered text become Windows events (review T9, F2).

2,088 of its 2,378 lines are EvntSLog RFC 5424 messages without ``@cee``: 1,816 from the domain
controller Kramer.jerry.land, 272 from PC-newman.  1,220 of them are the text of a Security event
this parser knows by its title; 8 are Symantec's detections (``av:detection``); the rest (Group
Policy, Task Scheduler...) are ``syslog:message`` events of their EvntSLog sender (task Q1).  Read in
place from ``$GRAPHSIEM_SAMPLES``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphsiem.model import Event
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.ingest.parsers.test_zeek_corpus import BRIM, parse_json, parse_tsv

SYSLOG_TSV = BRIM / "zeek-default" / "syslog.log"
SYSLOG_JSON = BRIM / "zeek-json" / "syslog.json"

TEXT_KINDS = {  # (host, kind) -> events from the rendered-text lines
    ("kramer", "winsec:logon"): 220,
    ("kramer", "winsec:logon_failed"): 8,
    ("kramer", "winsec:special_privileges"): 320,
    ("kramer", "winsec:credential_validation"): 200,  # 4776: the DC's side of the NTLM spray
    ("kramer", "winsec:kerberos_service_ticket"): 72,
    ("kramer", "windows:other"): 388,  # 4634 log-offs
    ("pc-newman", "winsec:logon"): 4,
    ("pc-newman", "winsec:special_privileges"): 4,
    ("pc-newman", "windows:other"): 4,
    ("kramer", "av:detection"): 8,  # Symantec's quarantine of C:\\Windows\\yfHMhijb.exe
    ("kramer", "syslog:message"): 600,  # the sender's other text (Group Policy, Task Scheduler...)
    ("pc-newman", "syslog:message"): 260,
}
CEE_KINDS = {  # the @cee lines, decoded before this change
    ("pc-susan", "windows:other"): 192,
    ("pc-susan", "winsec:logon"): 6,
    ("pc-susan", "winsec:special_privileges"): 4,
    ("pc-helen", "windows:other"): 88,
}


DATAGRAMS = 594
"""The log's datagrams: its sensor logged each 4 times within 0.7 ms (591), 3 times (2) or 8 times
(1, within 0.2 ms), the capture copies of one datagram (:mod:`ingest.parsers.zeek_syslog_copies`)."""


def parsed(path: Path) -> tuple[int, list[Event], list[str]]:
    return (parse_tsv if path.suffix == ".log" else parse_json)(path)


@pytest.mark.parametrize("path", [SYSLOG_TSV, SYSLOG_JSON], ids=["tsv", "json"])
def test_text_lines_become_windows_events_on_their_hosts(path: Path) -> None:
    received, events, rejected = parsed(path)
    assert received == 2378 and rejected == []
    counts = Counter((event.host, event.kind) for event in events)
    # every record keeps its zeek:syslog event, sensor-side (no host): received = accepted
    assert counts.pop((None, "zeek:syslog")) == received
    assert counts == Counter(TEXT_KINDS) + Counter(CEE_KINDS)


def test_credential_validations_tie_the_sprayed_accounts_to_the_dc() -> None:
    _, events, _ = parsed(SYSLOG_TSV)
    validations = [event for event in events if event.kind == "winsec:credential_validation"]
    assert {event.host for event in validations} == {"kramer"}
    accounts = Counter(event.fields["user.name"] for event in validations)
    assert accounts == {"guest": 192, "david": 8}
    workstations = Counter(event.fields["source.workstation"] for event in validations)
    # the spray's client names itself WORKSTATION, then a random 16-character name per attempt
    assert workstations["workstation"] == 140
    assert sum(1 for name in workstations if len(name) == 16) == 15
    assert {event.fields["event.outcome"] for event in validations} == {"success"}


def test_the_spray_source_address_logs_on_to_the_dc() -> None:
    _, events, _ = parsed(SYSLOG_TSV)
    spray = Counter(
        (event.kind, event.fields.get("user.name"))
        for event in events
        if event.host == "kramer" and event.fields.get("source.ip") == "10.150.0.20"
    )
    assert spray[("winsec:logon_failed", "workstation\\administrator")] == 8
    assert spray[("winsec:logon", "jerry\\guest")] > 0 and spray[("winsec:logon", "jerry\\david")] > 0


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedStore, Journal]]:
    data = tmp_path_factory.mktemp("evntslog")
    journal = Journal(data / "journal.sqlite")
    store = EmbeddedStore(data / "graph")
    report = ingest_paths([SYSLOG_TSV], store=store, journal=journal, progress=False)
    assert report.total.received == report.total.accepted == 2378 and report.total.rejected == 0
    # every datagram is one record and carries one Windows event; its capture copies add nothing
    assert sum(TEXT_KINDS.values()) + sum(CEE_KINDS.values()) == 2378
    assert report.total.duplicates == 2378 - DATAGRAMS and report.total.events == 2 * DATAGRAMS
    yield store, journal
    store.close()


def test_dc_and_pc_newman_are_hosts_of_the_graph(store: tuple[EmbeddedStore, Journal]) -> None:
    graph, _ = store
    assert graph.get_entity("host", "kramer") is not None
    assert graph.get_entity("host", "pc-newman") is not None


def test_graph_relates_the_spray_to_the_dc(store: tuple[EmbeddedStore, Journal]) -> None:
    graph, _ = store
    logged_on = {(r.src, r.dst) for r in graph.iter_relations("LOGGED_ON")}
    assert (("user", "jerry\\guest"), ("host", "kramer")) in logged_on
    assert (("ip", "10.150.0.20"), ("host", "kramer")) in logged_on
    connected = {(r.src, r.dst) for r in graph.iter_relations("CONNECTED")}
    assert (("ip", "10.150.0.20"), ("host", "kramer")) in connected  # the failed administrator logons
    # the 4776 account, in the DC's domain (kramer is JERRY's DC), is sighted on the DC
    assert "kramer" in {sighting.host for sighting in graph.hosts_of("user", "jerry\\guest")}
    assert graph.get_entity("user", "guest") is None


def test_ingesting_again_adds_nothing(store: tuple[EmbeddedStore, Journal]) -> None:
    _, journal = store
    again = ingest_paths([SYSLOG_TSV], store=None, journal=journal, progress=False)
    assert again.total.received == again.total.accepted == again.total.duplicates == 2378
    assert again.total.events == 0
