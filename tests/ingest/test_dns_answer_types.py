"""DNS answers in the graph: only a CNAME extends a chain (audit item 4), reverse names' registered domain (L9).

A name answers MX, NS, SRV and PTR questions too: it is ``RESOLVES_TO`` of the
question only where the source says it is a CNAME (an EVE record type, a Zeek
A/AAAA/CNAME question, Sysmon's `type:  N`), or, where nothing says a type (untyped ECS, MDE items without a type),
where the answer goes on to the addresses a chain ends in.  Records are
ingested with :func:`ingest.pipeline.ingest_records` into a journal and the
embedded store and read back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphsiem.store import open_store
from ingest.journal import Journal
from ingest.normalize import registered_domain
from ingest.pipeline import ingest_records

WHEN = "2024-03-05T10:15:31.000000+0000"


@pytest.fixture
def store(tmp_path: Path):
    graph = open_store("embedded", data_dir=tmp_path)
    yield graph
    graph.close()


def resolves(store: Any, tmp_path: Path, records: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """The ``RESOLVES_TO`` pairs (keys only) once ``records`` are ingested in one call."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records(records, store=store, journal=journal, origin="api")
    assert report.total.accepted == len(records) and report.projected["errors"] == 0
    return {(r.src[1], r.dst[1]) for r in store.iter_relations("RESOLVES_TO")}


def eve_dns(dns: dict[str, Any], flow_id: int = 1) -> dict[str, Any]:
    return {"timestamp": WHEN, "flow_id": flow_id, "event_type": "dns", "src_ip": "198.51.100.53", "src_port": 53,
            "dest_ip": "192.0.2.11", "dest_port": 53000, "proto": "UDP", "dns": dns}


def v2(rrname: str, rrtype: str, answers: list[tuple[str, str, str]]) -> dict[str, Any]:
    """An EVE v2 answer record (detailed): ``answers`` as (owner, type, data)."""
    return eve_dns({"version": 2, "type": "answer", "id": 7, "rrname": rrname, "rrtype": rrtype, "rcode": "NOERROR",
                    "answers": [{"rrname": owner, "rrtype": kind, "ttl": 60, "rdata": data}
                                for owner, kind, data in answers]})


def sysmon_22(name: str, results: str) -> dict[str, Any]:
    return {"@timestamp": "2024-03-05T10:15:31Z", "winlog": {
        "channel": "Microsoft-Windows-Sysmon/Operational", "computer_name": "WS-0042", "event_id": "22",
        "record_id": "1", "event_data": {
            "UtcTime": "2024-03-05 10:15:31.000", "ProcessGuid": "{8b5e4f1a-7c2d-65e6-1a02-000000001100}",
            "ProcessId": "7788", "QueryName": name, "QueryStatus": "0", "QueryResults": results,
            "Image": "C:\\Windows\\System32\\svchost.exe"}}}


# -- names that are no CNAME -----------------------------------------------------------------


@pytest.mark.parametrize("record", [
    v2("example.net", "MX", [("example.net", "MX", "mx1.example.net"), ("example.net", "MX", "mx2.example.net")]),
    v2("example.net", "NS", [("example.net", "NS", "ns1.example.org")]),
    eve_dns({"version": 2, "type": "answer", "id": 7, "rrname": "example.net", "rrtype": "MX", "rcode": "NOERROR",
             "grouped": {"MX": ["mx1.example.net"]}}),
    eve_dns({"type": "answer", "id": 7, "rrname": "example.net", "rrtype": "MX", "ttl": 60,
             "rdata": "mx1.example.net"}),  # v1: one answer a record, its own type
], ids=["eve-v2-mx", "eve-v2-ns", "eve-v2-grouped-mx", "eve-v1-mx"])
def test_an_eve_mx_or_ns_answer_is_no_cname(record, store, tmp_path) -> None:
    assert resolves(store, tmp_path, [record]) == set()


def test_an_eve_mx_answer_with_its_addresses_links_no_name(store, tmp_path) -> None:
    # the additional A record names the exchange's address, not the question's
    record = v2("example.net", "MX", [("example.net", "MX", "mx1.example.net"), ("mx1.example.net", "A", "192.0.2.25")])
    assert ("example.net", "mx1.example.net") not in resolves(store, tmp_path, [record])


@pytest.mark.parametrize("record", [
    v2("example.net", "MX", [("example.net", "MX", "mx1.example.net"), ("mx1.example.net", "A", "192.0.2.25")]),
    {"_path": "dns", "ts": 1709633731.0, "uid": "C1", "id.orig_h": "192.0.2.11", "id.orig_p": 53000,
     "id.resp_h": "198.51.100.53", "id.resp_p": 53, "proto": "udp", "query": "example.net", "qtype_name": "MX",
     "answers": ["mx1.example.net", "192.0.2.25"]},
], ids=["eve-v2-mx", "zeek-mx"])
def test_the_addresses_of_an_mx_answer_are_not_the_question_s(record, store, tmp_path) -> None:
    # the mail server's address: example.net RESOLVES_TO 192.0.2.25 would put the domain on it
    assert ("example.net", "192.0.2.25") not in resolves(store, tmp_path, [record])


def test_an_a_answer_after_a_cname_still_resolves_the_question(store, tmp_path) -> None:
    record = v2("www.example.net", "A", [("www.example.net", "CNAME", "edge.cdn.example"),
                                         ("edge.cdn.example", "A", "192.0.2.80")])
    assert {("www.example.net", "192.0.2.80"), ("edge.cdn.example", "192.0.2.80")} <= resolves(store, tmp_path,
                                                                                              [record])


@pytest.mark.parametrize(("name", "results"), [
    ("example.net", "type:  15 mx1.example.net;type:  15 mx2.example.net;"),
    ("example.net", "type:  2 ns1.example.org;"),
    ("_ldap._tcp.dc._msdcs.corp.example", "type:  33 dc01.corp.example;::ffff:10.1.0.5;"),
], ids=["mx", "ns", "srv-with-address"])
def test_a_sysmon_name_answer_without_addresses_or_to_a_service_name_is_no_cname(name, results, store,
                                                                                  tmp_path) -> None:
    # Sysmon's "type:  N" number is the answer's record type (dns.answer_types): no CNAME here
    resolves(store, tmp_path, [sysmon_22(name, results)])
    assert {r.dst for r in store.iter_relations("RESOLVES_TO") if r.dst[0] == "domain"} == set()


# -- real CNAME chains stay -----------------------------------------------------------------


CHAIN = {("www.rare-app.example", "rare-app.cdn.example"), ("rare-app.cdn.example", "e7.cdn.example"),
         ("e7.cdn.example", "203.0.113.70"), ("www.rare-app.example", "203.0.113.70")}


@pytest.mark.parametrize("record", [
    v2("www.rare-app.example", "A", [("www.rare-app.example", "CNAME", "rare-app.cdn.example"),
                                     ("rare-app.cdn.example", "CNAME", "e7.cdn.example"),
                                     ("e7.cdn.example", "A", "203.0.113.70")]),
    eve_dns({"version": 2, "type": "answer", "id": 7, "rrname": "www.rare-app.example", "rrtype": "A",
             "rcode": "NOERROR", "grouped": {"CNAME": ["rare-app.cdn.example", "e7.cdn.example"],
                                             "A": ["203.0.113.70"]}}),
    sysmon_22("www.rare-app.example", "type:  5 rare-app.cdn.example;type:  5 e7.cdn.example;::ffff:203.0.113.70;"),
], ids=["eve-v2", "eve-v2-grouped", "sysmon"])
def test_a_cname_chain_is_kept(record, store, tmp_path) -> None:
    assert resolves(store, tmp_path, [record]) == CHAIN


def test_eve_v1_answers_link_each_owner_to_its_data(store, tmp_path) -> None:
    # v1 logs each record alone, with its owner name: a CNAME record is one link of the chain
    cname = eve_dns({"type": "answer", "id": 7, "rrname": "www.rare-app.example", "rrtype": "CNAME", "ttl": 60,
                     "rdata": "rare-app.cdn.example"})
    address = eve_dns({"type": "answer", "id": 7, "rrname": "rare-app.cdn.example", "rrtype": "A", "ttl": 60,
                       "rdata": "203.0.113.70"}, flow_id=2)
    assert resolves(store, tmp_path, [cname, address]) == {
        ("www.rare-app.example", "rare-app.cdn.example"), ("rare-app.cdn.example", "203.0.113.70")}


# -- reverse-lookup names (L9) --------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("9.113.0.203.in-addr.arpa", "in-addr.arpa"),
    ("10.in-addr.arpa", "in-addr.arpa"),
    ("in-addr.arpa", "in-addr.arpa"),
    ("b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "ip6.arpa"),
    ("www.example.co.uk", "example.co.uk"),  # the list as before
    ("printer.home.arpa", "printer.home.arpa"),  # home.arpa (RFC 8375) is a suffix: the list decides
])
def test_a_reverse_lookup_names_the_reverse_tree_as_its_registered_domain(name: str, expected: str) -> None:
    assert registered_domain(name) == expected


def test_a_ptr_question_is_a_domain_of_the_reverse_tree(store, tmp_path) -> None:
    ptr = {"_path": "dns", "ts": 1709633731.0, "uid": "CJ3", "id.orig_h": "192.0.2.11", "id.orig_p": 53000,
           "id.resp_h": "198.51.100.53", "id.resp_p": 53, "proto": "udp", "query": "9.113.0.203.in-addr.arpa",
           "qtype_name": "PTR", "rcode_name": "NOERROR", "answers": ["mail.example.net"]}
    assert resolves(store, tmp_path, [ptr]) == set()
    entity = store.get_entity("domain", "9.113.0.203.in-addr.arpa")
    assert entity is not None and entity.props["registered_domain"] == "in-addr.arpa"


def test_a_question_type_that_is_not_text_is_no_type_and_projects_without_error(store, tmp_path):
    # found by tests/ingest/test_pipeline_fuzz.py: a JSON list as Zeek's qtype_name raised
    # TypeError (unhashable) in the projection, so the event was journaled but left out of the graph
    record = {"_path": "dns", "ts": 1709633731.0, "uid": "CJ3", "id.orig_h": "192.0.2.10", "id.orig_p": 53000,
              "id.resp_h": "198.51.100.53", "id.resp_p": 53, "query": "rare-cdn.example.com",
              "qtype_name": [{"x": 1}], "rcode_name": "NOERROR", "answers": ["edge.example.net", "203.0.113.9"],
              "TTLs": [300.0, 60.0]}
    # read as a question of no known type: a name that goes on to an address is a chain link
    assert ("rare-cdn.example.com", "edge.example.net") in resolves(store, tmp_path, [record])
