"""DNS name answers without a record type: read by the question's type, the same whatever stands beside them.

An untyped name answering an A/AAAA question is a CNAME chain link (that is the only name
such a question gets back); one answering an MX/NS/SRV question is its target, no alias.
With no question type either, the rule for answers without types decides (names are a
chain only when addresses follow, the question is no reverse or service name), and a typed
MX/NS answer beside them says the question was no address question.  Before, a list with
any type in it read every untyped name as no CNAME, whatever the question, so an ECS, EVE or
MDE record that typed its addresses only lost its chain.  Records go through the real
parsers, the pipeline and the embedded store (``resolves`` from the shared DNS tests).
"""

from __future__ import annotations

import copy

import orjson

from tests.ingest.parsers.test_ecs_dns_types import endpoint_dns
from tests.ingest.parsers.test_mde import ROWS
from tests.ingest.test_dns_answer_types import eve_dns, resolves


def test_an_untyped_name_beside_a_typed_address_follows_the_question_type(embedded_store, tmp_path) -> None:
    records = [
        # A question: the untyped name is the chain, and its address is the question's and the alias's
        endpoint_dns("www.rare-app.example", "A", [{"data": "rare-app.cdn.example"},
                                              {"data": "203.0.113.70", "type": "A"}]),
        # MX question: the untyped name is the mail server, and its address not the question's
        endpoint_dns("rare-app.example", "MX", [{"data": "mx1.rare-app.example"},
                                           {"data": "203.0.113.25", "type": "A"}]),
    ]
    assert resolves(embedded_store, tmp_path, records) == {
        ("www.rare-app.example", "rare-app.cdn.example"), ("www.rare-app.example", "203.0.113.70"),
        ("rare-app.cdn.example", "203.0.113.70")}


def test_without_a_question_type_a_typed_ns_answer_keeps_its_untyped_neighbour_out_of_a_chain(
        embedded_store, tmp_path) -> None:
    records = [
        # only the address is typed, no question type: a name before addresses is a chain link
        endpoint_dns("login.rare-app.example", None, [{"data": "edge.cdn.example"},
                                                 {"data": "198.51.100.9", "type": "A"}]),
        # a typed NS answer says what was asked: the untyped name beside it is a name server too
        endpoint_dns("rare-app.example", None, [{"data": "ns1.dns.example", "type": "NS"}, {"data": "ns2.dns.example"},
                                           {"data": "198.51.100.53", "type": "A"}]),
    ]
    assert resolves(embedded_store, tmp_path, records) == {
        ("login.rare-app.example", "edge.cdn.example"), ("login.rare-app.example", "198.51.100.9"),
        ("edge.cdn.example", "198.51.100.9")}


def test_eve_and_mde_answers_without_a_type_take_the_same_rule(embedded_store, tmp_path) -> None:
    """Every source alike: an EVE answer without ``rrtype``, an MDE item without ``DnsQueryType``."""
    eve = eve_dns({"version": 2, "type": "answer", "id": 7, "rrname": "www.rare-app.example", "rrtype": "A",
                   "rcode": "NOERROR", "answers": [
                       {"rrname": "www.rare-app.example", "ttl": 60, "rdata": "rare-app.cdn.example"},
                       {"rrname": "rare-app.cdn.example", "rrtype": "A", "ttl": 60, "rdata": "203.0.113.70"}]})
    mde = copy.deepcopy(ROWS["dns_query_response"])  # no question type: the rule for answers without types
    mde["AdditionalFields"] = orjson.dumps({"DnsQueryString": "cdn.other-app.example", "DnsQueryResult": [
        {"Result": "other-app.edge.example"}, {"DnsQueryType": "A", "Result": "192.0.2.80"}]}).decode()
    pairs = resolves(embedded_store, tmp_path, [eve, mde])
    assert {("www.rare-app.example", "rare-app.cdn.example"), ("rare-app.cdn.example", "203.0.113.70"),
            ("cdn.other-app.example", "other-app.edge.example"), ("other-app.edge.example", "192.0.2.80")} <= pairs
