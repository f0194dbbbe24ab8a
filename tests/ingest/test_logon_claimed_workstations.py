"""A logon's claimed workstation is a host only when that host reports by its own telemetry (review U1 #5).

On the Brim corpus Metasploit's random 16-character 4624 WorkstationName ``AIdqOuDhHrkCN8Hy`` became
a host, ``host aidqoudhhrkcn8hy LOGGED_ON kramer`` on the DC's page beside real hosts, with an empty
timeline and prevalence 0 (a NetBIOS name has at most 15 characters).  The name is the client's
word: unless a host logs its own events under it, it is tallied (``workstations``) on the logon's
edges, the account's and the address's, as a 4776's claimed names are; a host that reports keeps
``host LOGGED_ON host`` (lateral movement) and ``CLAIMED_AT`` the address.  Real ingests through the
pipeline, on both stores, in one call and one record per call (the join state carries what hosts
reported).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def test_a_random_claimed_name_is_a_tally_of_the_logon_never_a_host(store: GraphStore, tmp_path: Path) -> None:
    _ingest(store, tmp_path, [logon(4624, 1, "172.20.0.25", "AIdqOuDhHrkCN8Hy"),
                              logon(4624, 2, "172.20.0.25", "AIdqOuDhHrkCN8Hy"),
                              logon(4625, 3, "203.0.113.9", "KALI")])
    assert store.get_entity("host", "aidqoudhhrkcn8hy") is None
    assert store.get_entity("host", "kali") is None
    assert sorted(e.key for e in store.iter_entities("host")) == ["srv-01"]
    assert _tallies(store, "LOGGED_ON") == {(USER, TARGET): {"aidqoudhhrkcn8hy": 2},
                                            (("ip", "172.20.0.25"), TARGET): {"aidqoudhhrkcn8hy": 2}}
    assert _tallies(store, "CONNECTED") == {(("ip", "203.0.113.9"), TARGET): {"kali": 1}}
    assert list(store.iter_relations("CLAIMED_AT")) == []


def test_a_name_a_host_reports_under_is_that_host_across_calls(store: GraphStore, tmp_path: Path) -> None:
    own = winlog("System", 7036, 9, "2024-03-05T10:39:00Z", {}, computer="WS-0042")
    _ingest(store, tmp_path, [own, logon(4624, 1, "10.1.2.42", "WS-0042")], per_call=True)
    logged_on = {(r.src, r.dst) for r in store.iter_relations("LOGGED_ON")}
    assert (("host", "ws-0042"), TARGET) in logged_on
    assert {(r.src, r.dst) for r in store.iter_relations("CLAIMED_AT")} == {(("host", "ws-0042"), ("ip", "10.1.2.42"))}
    assert _tallies(store, "LOGGED_ON")[(USER, TARGET)] == {}
