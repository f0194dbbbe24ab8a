"""ECS DNS record types: ``dns.question.type`` and each ``dns.answers[].type`` decide the CNAME chain.

ECS names each answer's record type (Packetbeat, Elastic Defend, Filebeat's
DNS modules); the generic ECS parser keeps them as ``dns.question.type`` and
``dns.answer_types`` (parallel to ``dns.answers``), as the Suricata parser
does, so that an MX or NS answer is never an alias of the question and a
CNAME chain is kept where the rule for answers without types would not take
it.  Records are ingested with :func:`ingest.pipeline.ingest_records` into a
journal and the embedded store and read back (``resolves``, shared with the
EVE and Sysmon cases of ``tests/ingest/test_dns_answer_types.py``).
"""

from __future__ import annotations

from typing import Any

import pytest

from ingest.parsers.base import ParseContext
from ingest.parsers.ecs import EcsParser
from tests.ingest.test_dns_answer_types import resolves


def endpoint_dns(question: str, qtype: str | None, answers: list[Any]) -> dict[str, Any]:
    """An endpoint agent's DNS event (Elastic Defend's shape): the host resolved ``question``."""
    dns: dict[str, Any] = {"question": {"name": question}, "answers": answers}
    if qtype is not None:
        dns["question"]["type"] = qtype
    return {"@timestamp": "2024-03-05T10:15:31Z", "event": {"category": ["network"], "type": ["protocol"]},
            "host": {"name": "ws-0042"}, "process": {"pid": 7788, "executable": "C:\\Windows\\System32\\svchost.exe"},
            "dns": dns}


def packetbeat_dns(question: str, qtype: str, answers: list[dict[str, Any]]) -> dict[str, Any]:
    """Packetbeat's DNS transaction seen by a sensor: a device view, no host."""
    return {"@timestamp": "2024-03-05T10:15:31Z", "agent": {"type": "packetbeat"}, "host": {"name": "sensor01"},
            "event": {"category": ["network"], "dataset": "dns"}, "type": "dns",
            "source": {"ip": "192.0.2.11", "port": 53000}, "destination": {"ip": "198.51.100.53", "port": 53},
            "dns": {"type": "answer", "response_code": "NOERROR",
                    "question": {"name": question, "type": qtype, "class": "IN"}, "answers": answers}}


def answer(name: str, kind: str, data: str) -> dict[str, Any]:
    return {"name": name, "type": kind, "class": "IN", "ttl": 60, "data": data}


# -- the fields --------------------------------------------------------------------------------


def parse(record: dict[str, Any]) -> dict[str, Any]:
    (event,) = EcsParser().parse(record, ParseContext())
    return event.fields


def test_the_types_are_kept_parallel_to_the_answers() -> None:
    fields = parse(endpoint_dns("example.net", "mx", [
        answer("example.net", "mx", "mx1.example.net"),
        {"type": "A", "ttl": 60},  # no data: no answer, and its type goes with it
        answer("mx1.example.net", "A", "::ffff:192.0.2.25"),
    ]))
    assert fields["dns.question.type"] == "MX"
    assert fields["dns.answers"] == ["mx1.example.net", "192.0.2.25"]
    assert fields["dns.answer_types"] == ["MX", "A"]
    assert not any(name.startswith("ecs.dns") for name in fields)


def test_dotted_type_lists_parallel_to_the_data_are_read() -> None:
    record = {"@timestamp": "2024-03-05T10:15:31Z", "host.name": "ws-0042", "dns.question.name": "a.example",
              "dns.answers.data": ["b.example", "192.0.2.1"], "dns.answers.type": ["CNAME", "A"]}
    assert parse(record)["dns.answer_types"] == ["CNAME", "A"]


def test_dotted_types_not_parallel_to_the_data_say_nothing() -> None:
    # three data, two types: which type is whose is unknown
    record = {"@timestamp": "2024-03-05T10:15:31Z", "host.name": "ws-0042", "dns.question.name": "a.example",
              "dns.answers.data": ["b.example", "c.example", "192.0.2.1"], "dns.answers.type": ["CNAME", "A"]}
    fields = parse(record)
    assert fields["dns.answers"] == ["b.example", "c.example", "192.0.2.1"]
    assert "dns.answer_types" not in fields


def test_answers_without_types_have_no_type_list() -> None:
    fields = parse(endpoint_dns("a.example", None, [{"data": "b.example"}, {"data": "192.0.2.1"}]))
    assert "dns.answer_types" not in fields and "dns.question.type" not in fields


# -- names that are no CNAME -------------------------------------------------------------------


@pytest.mark.parametrize("record", [
    # the MX target's own address follows: the rule for answers without types took it as a chain
    endpoint_dns("example.net", None, [answer("example.net", "MX", "mx1.example.net"),
                                       answer("mx1.example.net", "A", "192.0.2.25")]),
    endpoint_dns("example.net", "NS", [{"data": "ns1.example.org"}, {"data": "192.0.2.53"}]),
    packetbeat_dns("example.net", "MX", [answer("example.net", "MX", "mx1.example.net"),
                                         answer("mx1.example.net", "A", "192.0.2.25")]),
    endpoint_dns("example.net", None, [answer("example.net", "15", "mx1.example.net"),
                                       answer("mx1.example.net", "1", "192.0.2.25")]),
], ids=["endpoint-mx-answer-type", "endpoint-ns-question-type", "packetbeat-mx", "numeric-types"])
def test_an_ecs_mx_or_ns_answer_is_no_cname(record, embedded_store, tmp_path) -> None:
    resolves(embedded_store, tmp_path, [record])
    # no name is an alias of the question (the addresses are linked by the projection's own rule)
    assert {r.dst for r in embedded_store.iter_relations("RESOLVES_TO") if r.dst[0] == "domain"} == set()


# -- CNAME chains the rule for answers without types would not take ---------------------------


def test_a_cname_chain_without_addresses_is_kept(embedded_store, tmp_path) -> None:
    # an answer that ends in names (the last alias not resolved here): no addresses follow
    record = endpoint_dns("www.rare-app.example", "A", [
        answer("www.rare-app.example", "CNAME", "rare-app.cdn.example"),
        answer("rare-app.cdn.example", "CNAME", "e7.cdn.example")])
    record["dns"]["question"].pop("type")  # no question type either: only the answers' types say it
    assert resolves(embedded_store, tmp_path, [record]) == {
        ("www.rare-app.example", "rare-app.cdn.example"), ("rare-app.cdn.example", "e7.cdn.example")}


def test_a_classless_reverse_delegation_keeps_its_cname_and_not_its_ptr(embedded_store, tmp_path) -> None:
    # RFC 2317: the reverse name is a CNAME into the delegated zone, whose PTR names the host
    record = packetbeat_dns("9.113.0.203.in-addr.arpa", "PTR", [
        answer("9.113.0.203.in-addr.arpa", "CNAME", "9.0-25.113.0.203.in-addr.arpa"),
        answer("9.0-25.113.0.203.in-addr.arpa", "PTR", "mail.example.net")])
    assert resolves(embedded_store, tmp_path, [record]) == {("9.113.0.203.in-addr.arpa", "9.0-25.113.0.203.in-addr.arpa")}


def test_a_packetbeat_cname_chain_is_kept(embedded_store, tmp_path) -> None:
    record = packetbeat_dns("www.rare-app.example", "A", [
        answer("www.rare-app.example", "CNAME", "rare-app.cdn.example"),
        answer("rare-app.cdn.example", "CNAME", "e7.cdn.example"),
        answer("e7.cdn.example", "A", "203.0.113.70")])
    assert resolves(embedded_store, tmp_path, [record]) == {
        ("www.rare-app.example", "rare-app.cdn.example"), ("rare-app.cdn.example", "e7.cdn.example"),
        ("e7.cdn.example", "203.0.113.70"), ("www.rare-app.example", "203.0.113.70")}
