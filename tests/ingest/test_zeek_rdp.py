"""Zeek rdp.log as lateral movement, never as credentials (ingest/projection_rdp.py, task LAT2 #2).

The fixture is Zeek's own TSV shape (its ``#fields``/``#types`` header, standard RDP security with a
clear-text negotiation, an NLA session logged ``encrypted``, and a refusal), with a dhcp.log that gives
the IP map it-0002 and three servers.  An opened session relates the client's address ``LOGGED_ON`` the
server's host, as a 4624 type 10's source does, so the lateral-movement source is named through the
IP map; the cookie and client name are claims: no user, no host, said so in the event's summary.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.lateral_sources import lateral_sources
from graphsiem.event_summary import summarize
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

FIXTURES = Path(__file__).parent / "fixtures" / "zeek_rdp"


@pytest.fixture
def ingested(store, tmp_path):
    """The fixtures ingested into each store (embedded, and the Neo4j server the fixtures start)."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([FIXTURES / "dhcp.log", FIXTURES / "rdp.log"], store=store, journal=journal,
                              progress=False)
        yield store, journal, report


def _relations(store, relation: str) -> set[tuple[str, str, str, str]]:
    graph = store.subgraph([("ip", "10.32.1.40")], radius=1, limit=1000)
    return {(*src.split(":", 1), *dst.split(":", 1)) for src, dst, data in graph.edges(data=True)
            if data.get("type") == relation}


def test_an_opened_rdp_session_is_the_clients_address_logged_on_the_servers_host(ingested) -> None:
    store, _, report = ingested
    assert report.total.rejected == 0
    assert _relations(store, "LOGGED_ON") == {
        ("ip", "10.32.1.40", "host", "srv-0001"),  # Success: standard RDP security
        ("ip", "10.32.1.40", "host", "srv-0002"),  # encrypted: NLA, the session went on in TLS
    }  # srv-0003 refused it ("User rejected"): a connection, no session


def test_the_cookie_and_client_name_are_claims_no_user_or_host(ingested) -> None:
    store, journal, _ = ingested
    assert store.neighbors("user", "administr", direction="both", limit=10) == []
    rows = journal.connection.execute("SELECT id FROM events").fetchall()
    rdp = [e for e in journal.get([r[0] for r in rows]) if e.kind == "zeek:rdp"]
    assert len(rdp) == 3 and all(e.host is None and "user.name" not in e.fields for e in rdp)
    words = {summarize(e.fields, kind=e.kind).split(" · ")[0] for e in rdp}
    assert words == {
        "RDP session opened (Success, RDP); the client claims user 'administr' (RDP cookie, cut to 9 characters) "
        "and computer name 'IT-0002'",
        "RDP session opened (encrypted, HYBRID); the client claims user 'administr' (RDP cookie, cut to 9 characters)",
        "RDP session not opened (User rejected, RDP); the client claims user 'administr' (RDP cookie, cut to 9 "
        "characters)",
    }


def test_lateral_sources_name_the_rdp_client_through_the_ip_map(ingested) -> None:
    """Was: rdp.log made only connections, so a cluster on the servers had no log-on to name a source by."""
    store, journal, _ = ingested
    servers = ["srv-0001", "srv-0002", "srv-0003"]
    graph = store.subgraph([("ip", "10.32.1.40")], radius=1, limit=1000)
    (record,) = lateral_sources(store, graph, [("ip", "10.32.1.40")], servers,
                                window=(1793610000.0, 1793620000.0), journal=journal)
    assert (record.ip, record.host, record.targets) == ("10.32.1.40", "it-0002", ["srv-0001", "srv-0002"])
