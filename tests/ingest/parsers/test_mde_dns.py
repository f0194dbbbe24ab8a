"""MDE ``DnsQueryResponse``: each ``DnsQueryResult`` answer's record type, and what the graph makes of it.

The items of ``AdditionalFields.DnsQueryResult`` carry their record type
(``DnsQueryType``, the number, as the fixtures' rows have it; ``Type`` or
``QueryType`` are read too, numbers or names).  The parser keeps them as
``dns.answer_types`` (parallel to ``dns.answers``, as Sysmon 22, EVE and ECS
give them), so the projection tells a CNAME from an MX or NS target exactly,
not by the untyped rule (names are a chain only when addresses follow).  Rows
are ingested with :func:`ingest.pipeline.ingest_records` into a journal and the
embedded store, and the ``RESOLVES_TO`` relations read back.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsiem.store import open_store
from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.mde import MdeParser
from ingest.pipeline import ingest_records
from tests.ingest.parsers.test_mde import ROWS


@pytest.fixture
def store(tmp_path: Path):
    graph = open_store("embedded", data_dir=tmp_path)
    yield graph
    graph.close()


def dns_row(question: str, results: list[Any], *, as_text: bool = True) -> dict[str, Any]:
    """The fixture's ``DnsQueryResponse`` row asking ``question``, answered by ``results``
    (``AdditionalFields`` as the JSON text the API and the streaming API give, or the object Log Analytics gives)."""
    row = copy.deepcopy(ROWS["dns_query_response"])
    additional = {"DnsQueryString": question, "DnsQueryResult": results}
    row["AdditionalFields"] = orjson.dumps(additional).decode() if as_text else additional
    return row


def fields_of(row: dict[str, Any]) -> dict[str, Any]:
    (event,) = MdeParser().parse(row, ParseContext(origin="test"))
    return event.fields


def resolves(store: Any, tmp_path: Path, rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """The ``RESOLVES_TO`` pairs (keys only) once ``rows`` are ingested in one call."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records(rows, store=store, journal=journal, origin="api")
    assert report.total.accepted == len(rows) and report.projected["errors"] == 0
    return {(r.src[1], r.dst[1]) for r in store.iter_relations("RESOLVES_TO")}


def answer(kind: Any, result: str, key: str = "DnsQueryType") -> dict[str, Any]:
    return {key: kind, "Result": result}


# -- the parser --------------------------------------------------------------------------------


def test_the_fixture_row_keeps_each_answers_type() -> None:
    fields = fields_of(ROWS["dns_query_response"])
    assert fields["dns.answers"] == ["edge.cdn-img-delivery.example", "198.51.100.23"]
    assert fields["dns.answer_types"] == ["CNAME", "A"]


@pytest.mark.parametrize(("results", "types"), [
    ([answer(15, "mx1.example.net"), answer(28, "2001:db8::25")], ["MX", "AAAA"]),
    ([answer("CNAME", "a.cdn.example", "Type"), answer("a", "192.0.2.1", "Type")], ["CNAME", "A"]),
    ([answer("2", "ns1.example.org", "QueryType")], ["NS"]),
    ([answer(99, "x.example")], ["TYPE99"]),
    # beside typed answers, an address with no type is A or AAAA by its form (as Sysmon 22 writes addresses);
    # a name with none is unknown
    ([answer(5, "b.example"), {"Result": "192.0.2.7"}, {"Result": "2001:db8::7"}, {"Result": "c.example"}],
     ["CNAME", "A", "AAAA", None]),
], ids=["mx-aaaa", "names-under-type", "text-number-under-querytype", "unknown-number", "untyped-items"])
def test_each_answer_takes_its_record_type(results, types) -> None:
    for as_text in (True, False):
        fields = fields_of(dns_row("example.net", results, as_text=as_text))
        assert len(fields["dns.answers"]) == len(types)
        assert fields["dns.answer_types"] == types


@pytest.mark.parametrize("results", [
    [{"Result": "cdn.example"}, {"Result": "192.0.2.1"}],
    ["cdn.example", "192.0.2.1"],
    [answer(None, "cdn.example"), answer("", "192.0.2.1", "Type"), answer(True, "mx.example")],
], ids=["no-type-key", "bare-texts", "unset-types"])
def test_answers_of_no_said_type_give_no_types(results) -> None:
    # nothing said: no list, so the projection keeps its untyped rule (an address's form is not a type
    # the source said, and typing only the addresses would turn every name into a non-CNAME)
    fields = fields_of(dns_row("example.net", results))
    assert fields["dns.answers"] == ["cdn.example", "192.0.2.1"] + (["mx.example"] if len(results) == 3 else [])
    assert "dns.answer_types" not in fields


# -- the graph ---------------------------------------------------------------------------------


def test_an_mx_answer_with_its_mail_servers_address_links_nothing_to_the_question(store, tmp_path) -> None:
    # untyped, the address after the name made it a chain: example.net RESOLVES_TO mx1 and its address
    row = dns_row("example.net", [answer(15, "mx1.example.net"), answer(1, "192.0.2.25")])
    assert resolves(store, tmp_path, [row]) == set()


def test_an_ns_answer_links_no_name(store, tmp_path) -> None:
    row = dns_row("example.net", [answer("NS", "ns1.example.org", "Type"), answer("A", "192.0.2.53", "Type")])
    assert resolves(store, tmp_path, [row]) == set()


def test_a_cname_chain_to_addresses_stays(store, tmp_path) -> None:
    row = dns_row("www.example.com", [answer(5, "edge.cdn.example"), answer(1, "192.0.2.80"),
                                      answer(28, "2001:db8::80")])
    pairs = resolves(store, tmp_path, [row])
    assert ("www.example.com", "edge.cdn.example") in pairs
    assert {("www.example.com", "192.0.2.80"), ("www.example.com", "2001:db8::80")} <= pairs


def test_a_cname_with_no_address_after_it_is_a_chain(store, tmp_path) -> None:
    # untyped, names alone were taken for MX/NS targets and linked to nothing
    row = dns_row("www.example.com", [answer(5, "edge.cdn.example")])
    assert resolves(store, tmp_path, [row]) == {("www.example.com", "edge.cdn.example")}


def test_untyped_answers_keep_the_untyped_rule(store, tmp_path) -> None:
    # no type said: names before addresses are a chain, as before
    row = dns_row("www.example.com", [{"Result": "edge.cdn.example"}, {"Result": "192.0.2.80"}])
    assert ("www.example.com", "edge.cdn.example") in resolves(store, tmp_path, [row])
