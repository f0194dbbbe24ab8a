"""Who said a name is at an address: a resolver, the server, or only the client.

A DNS answer (the resolver's) and a certificate's names (the server's own
statement) make ``domain RESOLVES_TO ip``.  A TLS SNI or an HTTP host name
with no DNS answer is what the client chose to send: malware can name
``login.microsoftonline.com`` to its own server.  That is ``domain CLAIMED_AT
ip``, so whatever follows ``RESOLVES_TO`` from a well-known domain never lands
on an attacker's address because a client said so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphsiem.model import Event
from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.suricata import SuricataEveParser
from ingest.parsers.zeek import ZeekParser
from ingest.pipeline import ingest_records
from ingest.projection import Projector

_FIXTURES = Path(__file__).parent / "parsers" / "fixtures"
_ZEEK = json.loads((_FIXTURES / "zeek" / "records.json").read_text())
_EVE = json.loads((_FIXTURES / "suricata" / "records.json").read_text())

MICROSOFT = "login.microsoftonline.com"
MICROSOFT_IP = "20.190.151.7"
ATTACKER_IP = "203.0.113.66"
CLIENT = "192.0.2.10"

LEASE = {**_ZEEK["dhcp_lease"], "ts": 1767607000.0, "host_name": "ws-10", "assigned_addr": CLIENT,
         "client_addr": CLIENT}
ANSWER = {**_ZEEK["dns_answers"], "id.orig_h": CLIENT, "query": MICROSOFT, "answers": [MICROSOFT_IP]}
"""The resolver's answer for the name: Microsoft's address."""
LIE = {**_ZEEK["ssl_sni"], "id.orig_h": CLIENT, "id.resp_h": ATTACKER_IP, "server_name": MICROSOFT}
"""A ClientHello to the attacker's address naming Microsoft's login domain."""


def out_of(store: Any, name: str, relation: str) -> set[str]:
    return {n.entity.key for n in store.neighbors("domain", name, direction="out", relation_types=[relation])}


def test_a_lying_sni_does_not_make_the_domain_resolve_to_the_attacker(store: Any, tmp_path: Path) -> None:
    """Through the pipeline into each store: only the resolver's answer is RESOLVES_TO."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records([LEASE, ANSWER, LIE], store=store, journal=journal, origin="api")
    assert report.total.accepted == 3
    assert out_of(store, MICROSOFT, "RESOLVES_TO") == {MICROSOFT_IP}
    assert out_of(store, MICROSOFT, "CLAIMED_AT") == {ATTACKER_IP}
    (claim,) = store.iter_relations("CLAIMED_AT")
    assert (claim.src, claim.dst, claim.count) == (("domain", MICROSOFT), ("ip", ATTACKER_IP), 1)
    assert store.counts()["relations"]["CLAIMED_AT"] == 1
    # the client still asked for the name, and saw it: prevalence and fan-out count it as before
    assert ("RESOLVED", "domain", MICROSOFT) in {
        (n.relation.type, n.entity.type, n.entity.key) for n in store.neighbors("host", "ws-10", direction="out")}
    assert "ws-10" in {h.host for h in store.hosts_of("domain", MICROSOFT)}


def test_a_certificate_name_is_the_servers_statement_and_the_sni_the_clients_claim() -> None:
    """One EVE tls record: SNI Microsoft's name, the certificate the attacker's own."""
    record = {**_EVE["tls_sni"], "dest_ip": ATTACKER_IP,
              "tls": {**_EVE["tls_sni"]["tls"], "sni": MICROSOFT, "subject": "CN=evil-login.example"}}
    (event,) = _parsed_eve(record)
    relations = {(r.src, r.type, r.dst) for r in Projector().project([event]).relations}
    attacker = ("ip", ATTACKER_IP)
    assert (("domain", "evil-login.example"), "RESOLVES_TO", attacker) in relations
    assert (("domain", MICROSOFT), "CLAIMED_AT", attacker) in relations
    assert (("domain", MICROSOFT), "RESOLVES_TO", attacker) not in relations


def test_a_host_name_a_device_gives_without_a_url_is_a_claim() -> None:
    """A firewall's or proxy's record naming the server (the Host header, the SNI it saw), no URL."""
    event = Event(id="c1", kind="cef:traffic", ts=1767607300.0, host=None, source="test", fields={
        "source.ip": CLIENT, "destination.ip": ATTACKER_IP, "destination.domain": MICROSOFT})
    relations = {(r.src, r.type, r.dst) for r in Projector().project([event]).relations}
    assert (("domain", MICROSOFT), "CLAIMED_AT", ("ip", ATTACKER_IP)) in relations
    assert not [r for r in relations if r[1] == "RESOLVES_TO"]


def test_a_dns_answer_and_a_joined_certificate_still_resolve() -> None:
    """The resolver's and the server's statements keep RESOLVES_TO (Zeek x509 joined to its ssl record)."""
    ssl = {**LIE, "server_name": "portal.example.org", "cert_chain_fps": ["ab12"]}
    x509 = {**_ZEEK["x509_cert"], "fingerprint": "ab12", "san.dns": ["portal.example.org"]}
    events = [_parsed_zeek(ANSWER, "d"), _parsed_zeek(ssl, "s"), _parsed_zeek(x509, "x")]
    relations = {(r.src, r.type, r.dst) for r in Projector().project(events).relations}
    assert (("domain", MICROSOFT), "RESOLVES_TO", ("ip", MICROSOFT_IP)) in relations
    portal = ("domain", "portal.example.org")
    assert {(portal, "RESOLVES_TO", ("ip", ATTACKER_IP)), (portal, "CLAIMED_AT", ("ip", ATTACKER_IP))} <= relations


def _parsed_eve(record: dict[str, Any]) -> list[Event]:
    return list(SuricataEveParser().parse(record, ParseContext(origin="fixture:1")))


def _parsed_zeek(record: dict[str, Any], event_id: str) -> Event:
    (event,) = ZeekParser().parse(record, ParseContext(origin="fixture:1"))
    event.id = event_id
    return event
