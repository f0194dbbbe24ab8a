r"""A domain controller's 4776 names the account in the DC's domain; claimed FQDNs stay whole (task Q2).

Security 4776 names the account without its domain (``alice``); the DC's 4624 names the same account
``CORP\alice``.  Keyed apart they were two users, and an analyst pivoting from one saw half of its
activity.  The validating host is a domain controller when it logs a KDC's events (4768/4769/4771),
and its NetBIOS domain is the one it names its own machine account in (``CORP\DC01$`` under
``S-1-5-18``): then the 4776 account is ``corp\alice``.  A member server's 4776 validates its own
local accounts: it is not qualified with the domain.  A 4776 read before its DC's evidence keeps the
bare name (the journal-order rule of the Kerberos realms); the edge says which (``account_domain``).
Real ingests through the pipeline, each file its own call (the join state is saved and restored
between calls), on both stores (the Neo4j case against the server the test session starts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

DC = ("host", "dc01")
QUALIFIED, BARE = ("user", "corp\\alice"), ("user", "alice")


def record(second: int, computer: str, event_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """A Winlogbeat record of ``computer``'s Security event ``event_id``."""
    return {"@timestamp": f"2026-03-02T14:20:{second:02d}.000Z", "agent": {"type": "winlogbeat", "version": "8.11.0"},
            "host": {"name": "collector01"},
            "winlog": {"computer_name": computer, "event_id": str(event_id), "channel": "Security",
                       "record_id": 1000 + second, "event_data": data},
            "message": "a Security event"}


def machine_logon(second: int, computer: str, account: str) -> dict[str, Any]:
    """4624 of the host's own machine account (``CORP\\DC01$`` under SYSTEM's SID)."""
    return record(second, computer, 4624, {"TargetUserName": account, "TargetDomainName": "CORP",
                                           "TargetUserSid": "S-1-5-18", "LogonType": "3",
                                           "IpAddress": "10.0.0.10", "WorkstationName": "-"})


def user_logon(second: int, computer: str) -> dict[str, Any]:
    """4624 of alice in CORP from 10.0.0.5."""
    return record(second, computer, 4624, {"TargetUserName": "alice", "TargetDomainName": "CORP",
                                           "TargetUserSid": "S-1-5-21-1-2-3-1104", "LogonType": "3",
                                           "IpAddress": "10.0.0.5", "WorkstationName": "WS05"})


def service_ticket(second: int) -> dict[str, Any]:
    """4769 on dc01: only a KDC logs it."""
    return record(second, "DC01.corp.example", 4769, {"TargetUserName": "alice@CORP.EXAMPLE",
                                                      "TargetDomainName": "CORP.EXAMPLE", "ServiceName": "WS05$",
                                                      "IpAddress": "::ffff:10.0.0.5", "Status": "0x0",
                                                      "TicketEncryptionType": "0x12"})


def validation(second: int, computer: str, user: str = "alice", workstation: str = "WS05",
               status: str = "0x0") -> dict[str, Any]:
    """4776 of ``user`` on ``computer``."""
    return record(second, computer, 4776, {"PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
                                           "TargetUserName": user, "Workstation": workstation, "Status": status})


def ingest(store: GraphStore, tmp_path: Path, records: list[dict[str, Any]], *, per_call: bool = True) -> None:
    """Ingest ``records`` in journal order, each in its own call (or all in one)."""
    batches = [[r] for r in records] if per_call else [records]
    with Journal(tmp_path / "journal.sqlite") as journal:
        for number, batch in enumerate(batches):
            path = tmp_path / f"part{number:03d}.ndjson"
            path.write_text("".join(json.dumps(r) + "\n" for r in batch))
            report = ingest_paths([path], store=store, journal=journal, progress=False)
            assert report.total.rejected == 0 and report.total.accepted == len(batch)
    store.flush()


def validated(store: GraphStore) -> dict[tuple[Any, Any], Any]:
    return {(r.src, r.dst): r for r in store.iter_relations("VALIDATED_AT")}


def test_a_dcs_validation_names_the_account_its_logons_name(store: GraphStore, tmp_path: Path) -> None:
    ingest(store, tmp_path, [machine_logon(0, "DC01.corp.example", "DC01$"), service_ticket(1),
                             user_logon(2, "DC01.corp.example"), validation(3, "DC01.corp.example"),
                             validation(4, "DC01.corp.example", status="0xC000006A")], per_call=False)
    edges = validated(store)
    assert set(edges) == {(QUALIFIED, DC)}
    edge = edges[(QUALIFIED, DC)]
    assert edge.count == 2
    assert edge.tallies == {"account_domain": {"corp": 2}, "outcomes": {"success": 1, "failure 0xc000006a": 1},
                            "workstations": {"ws05": 2}}
    # one user: alice's page has her log-on and her validations; no bare 'alice' node
    assert "alice" not in {e.key for e in store.iter_entities("user")}
    assert {n.relation.type for n in store.neighbors(*QUALIFIED)} >= {"LOGGED_ON", "VALIDATED_AT"}


def test_a_validation_read_before_the_dcs_evidence_keeps_the_bare_name(store: GraphStore, tmp_path: Path) -> None:
    """The journal-order rule: what was known when the 4776 was read names it; the node is not renamed
    later, and the edge says its domain was unknown.  The DC's validations after its evidence join."""
    ingest(store, tmp_path, [validation(0, "DC01.corp.example"), user_logon(1, "DC01.corp.example"),
                             machine_logon(2, "DC01.corp.example", "DC01$"),
                             validation(3, "DC01.corp.example"),  # domain known, not yet a KDC: bare
                             service_ticket(4), validation(5, "DC01.corp.example")])
    edges = validated(store)
    assert set(edges) == {(BARE, DC), (QUALIFIED, DC)}
    assert (edges[(BARE, DC)].tallies or {})["account_domain"] == {"unknown": 2}
    assert (edges[(QUALIFIED, DC)].tallies or {})["account_domain"] == {"corp": 1}
    assert edges[(BARE, DC)].count == 2 and edges[(QUALIFIED, DC)].count == 1


def test_the_graph_does_not_depend_on_call_boundaries(store: GraphStore, tmp_path: Path) -> None:
    """Each record its own call (the DC's domain and KDC role are join state, saved and restored between
    calls): the validations are named as one call names them (the test above)."""
    records = [machine_logon(0, "DC01.corp.example", "DC01$"), service_ticket(1), validation(2, "DC01.corp.example"),
               validation(3, "DC01.corp.example", user="bob")]
    ingest(store, tmp_path, records, per_call=True)
    assert set(validated(store)) == {(QUALIFIED, DC), (("user", "corp\\bob"), DC)}


def test_a_member_servers_validation_is_no_domain_account(store: GraphStore, tmp_path: Path) -> None:
    """srv01 is in CORP (its own machine account says so) but logs no KDC event: its 4776 validates a
    local account, which is not CORP's; it keeps the name the event gives, and the edge says so."""
    ingest(store, tmp_path, [machine_logon(0, "SRV01.corp.example", "SRV01$"),
                             machine_logon(1, "DC01.corp.example", "DC01$"), service_ticket(2),
                             validation(3, "SRV01.corp.example", user="localadmin")])
    edges = validated(store)
    assert set(edges) == {(("user", "localadmin"), ("host", "srv01"))}
    assert (edges[(("user", "localadmin"), ("host", "srv01"))].tallies or {})["account_domain"] == {"unknown": 1}


def test_another_machines_account_teaches_nothing_of_the_dc(store: GraphStore, tmp_path: Path) -> None:
    """A network logon of ws05's machine account on dc01 names ws05's domain, not dc01's: no qualification."""
    ingest(store, tmp_path, [machine_logon(0, "DC01.corp.example", "WS05$"), service_ticket(1),
                             validation(2, "DC01.corp.example")])
    edges = validated(store)
    assert set(edges) == {(BARE, DC)}
    assert (edges[(BARE, DC)].tallies or {})["account_domain"] == {"unknown": 1}


def test_a_claimed_fqdn_keeps_its_domain(store: GraphStore, tmp_path: Path) -> None:
    """A claim is not a host name: ``WS05.Partner.Example`` is kept whole (lower case), not cut to ``ws05``."""
    ingest(store, tmp_path, [validation(0, "DC01.corp.example", workstation="WS05.Partner.Example"),
                             validation(1, "DC01.corp.example", workstation="WS05")])
    [edge] = validated(store).values()
    assert (edge.tallies or {})["workstations"] == {"ws05.partner.example": 1, "ws05": 1}
    assert sorted(e.key for e in store.iter_entities("host")) == ["dc01"]


def test_the_dcs_knowledge_is_saved_with_the_join_state() -> None:
    """``_dc_domains`` round-trips through the checkpoint's bytes; a malformed entry is not taken."""
    from graphsiem.model import Event
    from ingest.projection import Projector

    projector = Projector()
    projector.project([Event(id="e1", kind="winsec:logon", ts=1.0, host="dc01", source="test",
                             fields={"user.name": "corp\\dc01$", "user.id": "S-1-5-18"}),
                       Event(id="e2", kind="winsec:kerberos_service_ticket", ts=2.0, host="dc01", source="test",
                             fields={"user.name": "corp.example\\alice"})])
    restored = Projector()
    assert restored.restore_join_state(projector.join_state())
    assert restored._dc_domains == {"dc01": ("corp", True)}
    broken = projector.join_state().replace(b'["dc01",["corp",true]]', b'["dc01",["corp","yes"]]')
    assert not Projector().restore_join_state(broken)
