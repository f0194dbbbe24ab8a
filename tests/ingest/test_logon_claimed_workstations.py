"""A logon's claimed workstation is a host only when a computer can have that name (review U1 #5, R20 #1).

On the Brim corpus Metasploit's random 16-character 4624 WorkstationName ``AIdqOuDhHrkCN8Hy`` became
a host, ``host aidqoudhhrkcn8hy LOGGED_ON kramer`` on the DC's page beside real hosts, with an empty
timeline and prevalence 0 (a NetBIOS name has at most 15 characters).  A name no computer can have,
or a tool's default (``WORKSTATION``), is tallied (``workstations``) on the logon's edges, the
account's and the address's, as a 4776's claimed names are; any other name is the host:
``host LOGGED_ON host`` (lateral movement) and ``CLAIMED_AT`` the address.  The name alone decides,
so the graph does not depend on the order the server's and the workstation's logs are read in (a
rule on "hosts read before" lost the edge when the server's file came first, review R20 #1).  Real
ingests through the pipeline, on both stores, in one call and one record per call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_records
from tests.ingest.test_projection_variants import logon, winlog

TARGET = ("host", "srv-01")
USER = ("user", "corp\\jdoe")


def _ingest(store: GraphStore, tmp_path: Path, records: list[dict[str, Any]], per_call: bool = False) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        for batch in ([r] for r in records) if per_call else [records]:
            ingest_records(batch, store=store, journal=journal, origin="api")
    store.flush()


def _tallies(store: GraphStore, type_: str) -> dict[tuple, dict[str, int]]:
    return {(r.src, r.dst): dict((r.tallies or {}).get("workstations") or {}) for r in store.iter_relations(type_)}


def test_a_name_no_computer_can_have_is_a_tally_of_the_logon_never_a_host(store: GraphStore,
                                                                          tmp_path: Path) -> None:
    _ingest(store, tmp_path, [logon(4624, 1, "172.20.0.25", "AIdqOuDhHrkCN8Hy"),
                              logon(4624, 2, "172.20.0.25", "AIdqOuDhHrkCN8Hy"),
                              logon(4625, 3, "203.0.113.9", "WORKSTATION"),
                              logon(4625, 4, "203.0.113.10", "a*b")])
    assert sorted(e.key for e in store.iter_entities("host")) == ["srv-01"]
    assert _tallies(store, "LOGGED_ON") == {(USER, TARGET): {"aidqoudhhrkcn8hy": 2},
                                            (("ip", "172.20.0.25"), TARGET): {"aidqoudhhrkcn8hy": 2}}
    assert _tallies(store, "CONNECTED") == {(("ip", "203.0.113.9"), TARGET): {"workstation": 1},
                                            (("ip", "203.0.113.10"), TARGET): {"a*b": 1}}
    assert list(store.iter_relations("CLAIMED_AT")) == []


def test_a_name_a_computer_can_have_is_that_host_with_no_event_of_its_own(store: GraphStore,
                                                                          tmp_path: Path) -> None:
    _ingest(store, tmp_path, [logon(4625, 1, "203.0.113.9", "KALI")])
    assert {(r.src, r.dst) for r in store.iter_relations("CONNECTED")} == {
        (("ip", "203.0.113.9"), TARGET), (("host", "kali"), TARGET)}
    assert {(r.src, r.dst) for r in store.iter_relations("CLAIMED_AT")} == {(("host", "kali"), ("ip", "203.0.113.9"))}


@pytest.mark.parametrize("per_call", [False, True], ids=["one call", "one record per call"])
@pytest.mark.parametrize("server_first", [False, True], ids=["workstation's log first", "server's log first"])
def test_the_lateral_movement_edge_does_not_depend_on_which_log_is_read_first(
        store: GraphStore, tmp_path: Path, per_call: bool, server_first: bool) -> None:
    own = winlog("System", 7036, 9, "2024-03-05T10:39:00Z", {}, computer="WS-0042")
    move = logon(4624, 1, "10.1.2.42", "WS-0042")
    _ingest(store, tmp_path, [move, own] if server_first else [own, move], per_call=per_call)
    logged_on = {(r.src, r.dst) for r in store.iter_relations("LOGGED_ON")}
    assert (("host", "ws-0042"), TARGET) in logged_on
    assert {(r.src, r.dst) for r in store.iter_relations("CLAIMED_AT")} == {(("host", "ws-0042"), ("ip", "10.1.2.42"))}
    assert _tallies(store, "LOGGED_ON")[(USER, TARGET)] == {}
