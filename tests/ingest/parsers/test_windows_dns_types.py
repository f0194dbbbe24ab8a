"""Sysmon 22 DNS record types: an MX, NS or SRV answer is no CNAME chain in the graph.

Sysmon writes each name answer of ``QueryResults`` with its record type's
number (``type:  15 mx1.example.net``) and addresses bare; the Windows parser
keeps the types as ``dns.answer_types`` (parallel to ``dns.answers``), so the
projection links a name to the question only where it is a CNAME, and the
addresses after an MX/NS name (its target's) to neither.  Winlogbeat 8 moves
the answers to ECS ``dns.answers[]`` with the type named; the read-back keeps
it.  Records are ingested with :func:`ingest.pipeline.ingest_records` into a
journal and the embedded store and read back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphsiem.store import open_store
from ingest.journal import Journal
from ingest.pipeline import ingest_records

SYSMON = "Microsoft-Windows-Sysmon/Operational"
GUID = "{8b5e4f1a-7c2d-65e6-1a02-000000001100}"


def ingest(data_dir: Path, record: dict[str, Any]) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    """The journaled event's fields and the ``RESOLVES_TO`` pairs (keys only) once ``record`` is
    ingested into a journal and an embedded store in ``data_dir``."""
    store = open_store("embedded", data_dir=data_dir)
    try:
        with Journal(data_dir / "journal.sqlite") as journal:
            report = ingest_records([record], store=store, journal=journal, origin="api")
            [item] = list(journal.iter_events())
        assert report.total.accepted == 1 and report.projected["errors"] == 0
        return item.event.fields, {(r.src[1], r.dst[1]) for r in store.iter_relations("RESOLVES_TO")}
    finally:
        store.close()


def sysmon_22(name: str, results: str) -> dict[str, Any]:
    """A Winlogbeat 7 record that kept Sysmon 22's event data."""
    return {"@timestamp": "2024-03-05T10:15:31Z", "winlog": {
        "channel": SYSMON, "computer_name": "WS-0042", "event_id": "22", "record_id": "1", "event_data": {
            "UtcTime": "2024-03-05 10:15:31.000", "ProcessGuid": GUID, "ProcessId": "7788", "QueryName": name,
            "QueryStatus": "0", "QueryResults": results, "Image": "C:\\Windows\\System32\\svchost.exe"}}}


def winlogbeat_8_22(name: str, answers: list[dict[str, Any]]) -> dict[str, Any]:
    """A Winlogbeat 8 record whose pipeline moved Sysmon 22's event data to ECS fields."""
    return {"@timestamp": "2024-03-05T10:15:31.000Z", "event": {"code": "22", "module": "sysmon"},
            "winlog": {"channel": SYSMON, "computer_name": "WS-0042", "event_id": "22", "record_id": "1",
                       "event_data": {"RuleName": "-"}},
            "process": {"entity_id": GUID, "pid": 7788, "executable": "C:\\Windows\\System32\\svchost.exe"},
            "dns": {"question": {"name": name}, "answers": answers}}


# -- the parsed types ------------------------------------------------------------------------


@pytest.mark.parametrize(("results", "answers", "types"), [
    ("type:  15 mx1.example.net;::ffff:192.0.2.25;", ["mx1.example.net", "192.0.2.25"], ["MX", "A"]),
    ("type:  5 edge.cdn.example;2001:db8::80;", ["edge.cdn.example", "2001:db8::80"], ["CNAME", "AAAA"]),
    ("type:  2 ns1.example.org;type:  6 hostmaster.example.net;", ["ns1.example.org", "hostmaster.example.net"],
     ["NS", "SOA"]),
    ("type:  33 dc1.corp.example;type:  16 v=spf1;type:  99 odd.example;", ["dc1.corp.example", "v=spf1", "odd.example"],
     ["SRV", "TXT", "TYPE99"]),
], ids=["mx-a", "cname-aaaa", "ns-soa", "srv-txt-unknown"])
def test_sysmon_22_keeps_each_answers_record_type(results, answers, types, tmp_path) -> None:
    fields, _ = ingest(tmp_path, sysmon_22("example.net", results))
    assert fields["dns.answers"] == answers
    assert fields["dns.answer_types"] == types


# -- the graph -------------------------------------------------------------------------------


@pytest.mark.parametrize("results", [
    "type:  15 mx1.example.net;::ffff:192.0.2.25;",
    "type:  15 mx1.example.net;type:  15 mx2.example.net;::ffff:192.0.2.25;::ffff:192.0.2.26;",
    "type:  2 ns1.example.org;192.0.2.53;",
], ids=["mx-with-address", "two-mx-with-addresses", "ns-with-address"])
def test_an_mx_or_ns_answer_links_neither_its_name_nor_its_address(results, tmp_path) -> None:
    # before, the names were taken for a CNAME chain: example.net RESOLVES_TO the mail server's address
    assert ingest(tmp_path, sysmon_22("example.net", results))[1] == set()


def test_an_srv_answer_links_neither_its_target_nor_its_address(tmp_path) -> None:
    results = "type:  33 dc1.corp.example;::ffff:10.1.0.5;"
    assert ingest(tmp_path, sysmon_22("_ldap._tcp.dc._msdcs.corp.example", results))[1] == set()


def test_a_cname_chain_to_its_address_stays(tmp_path) -> None:
    results = "type:  5 edge.cdn.example;::ffff:192.0.2.80;"
    assert ingest(tmp_path, sysmon_22("www.example.com", results))[1] == {
        ("www.example.com", "edge.cdn.example"), ("www.example.com", "192.0.2.80"),
        ("edge.cdn.example", "192.0.2.80")}


def test_a_cname_without_addresses_is_still_a_chain(tmp_path) -> None:
    # the type says CNAME: the untyped rule refused a chain that goes on to no address
    resolves = ingest(tmp_path, sysmon_22("www.example.com", "type:  5 edge.cdn.example;"))[1]
    assert resolves == {("www.example.com", "edge.cdn.example")}


def test_plain_addresses_resolve_the_question(tmp_path) -> None:
    resolves = ingest(tmp_path, sysmon_22("www.example.com", "::ffff:192.0.2.80;2001:db8::80;"))[1]
    assert resolves == {("www.example.com", "192.0.2.80"), ("www.example.com", "2001:db8::80")}


# -- Winlogbeat 8: the ECS answers read back -------------------------------------------------


def test_a_winlogbeat_8_mx_answer_keeps_its_type(tmp_path) -> None:
    # the read-back wrote every name as "type:  5": the MX target became a CNAME of the question
    fields, resolves = ingest(tmp_path, winlogbeat_8_22("example.net", [
        {"type": "MX", "data": "mx1.example.net"}, {"type": "A", "data": "192.0.2.25"}]))
    assert fields["dns.answer_types"] == ["MX", "A"]
    assert resolves == set()


def test_a_winlogbeat_8_answer_gives_the_fields_of_the_raw_event(tmp_path) -> None:
    ecs, _ = ingest(tmp_path / "ecs", winlogbeat_8_22("www.example.com", [
        {"type": "CNAME", "data": "edge.cdn.example"}, {"type": "NS", "data": "ns1.example.org"},
        {"type": "TYPE99", "data": "odd.example"}, {"type": "AAAA", "data": "2001:db8::80"}]))
    raw, _ = ingest(tmp_path / "raw", sysmon_22(
        "www.example.com", "type:  5 edge.cdn.example;type:  2 ns1.example.org;type:  99 odd.example;2001:db8::80;"))
    assert ecs["dns.answers"] == raw["dns.answers"] == ["edge.cdn.example", "ns1.example.org", "odd.example",
                                                        "2001:db8::80"]
    assert ecs["dns.answer_types"] == raw["dns.answer_types"] == ["CNAME", "NS", "TYPE99", "AAAA"]
