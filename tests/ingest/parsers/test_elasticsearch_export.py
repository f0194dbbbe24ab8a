"""Elasticsearch exports (M12): hits and search responses read by their documents' own parsers, into the graph."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from ingest.event_ids import as_read_id
from ingest.journal import Journal
from ingest.parsers.base import ParseContext, ParseError
from ingest.pipeline import ingest_paths
from ingest.registry import default_registry

WINLOGBEAT = {
    "@timestamp": "2024-03-05T10:15:30.120Z", "host": {"name": "wec01"},
    "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "computer_name": "WS-0042.corp.example.com",
               "event_id": "1", "record_id": "1",
               "event_data": {"UtcTime": "2024-03-05 10:15:30.120",
                              "ProcessGuid": "{8b5e4f1a-7c2d-65e6-1a02-000000001100}", "ProcessId": "7788",
                              "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                              "CommandLine": "powershell.exe -nop -w hidden -enc SQBFAFgA",
                              "ParentImage": "C:\\Windows\\System32\\wscript.exe",
                              "ParentCommandLine": "wscript.exe invoice.vbs", "User": "CORP\\jdoe"}}}
ECS = {"@timestamp": "2024-03-05T10:48:00Z", "event": {"category": ["network"], "module": "endpoint"},
       "host": {"name": "WS-0042"}, "process": {"pid": 9, "executable": "C:\\x.exe"},
       "dns": {"question": {"name": "cdn-img.example"}, "answers": [{"data": "198.51.100.7"}]}}
ZEEK = {"_path": "conn", "ts": "2024-03-05T10:49:00.000000Z", "uid": "C1", "id.orig_h": "10.1.2.42",
        "id.orig_p": 50001, "id.resp_h": "198.51.100.80", "id.resp_p": 80, "proto": "tcp"}


def hit(document: dict, index: str = "logs", doc_id: str = "a1") -> dict:
    return {"_index": index, "_type": "_doc", "_id": doc_id, "_score": 1.0, "_source": document}


def ingest(tmp_path: Path, journal: Journal, graph, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return ingest_paths([path], store=graph, journal=journal, progress=False)


def ndjson(*records: dict) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def graph_of(graph) -> set:
    return {(r.src, r.type, r.dst) for r in graph.iter_relations()}


def events_of(journal: Journal) -> list:
    return [item.event for item in journal.iter_events()]


def test_hits_are_read_by_their_documents_parsers(tmp_path, journal, graph):
    report = ingest(tmp_path, journal, graph, "export.ndjson",
                    ndjson(hit(WINLOGBEAT, "winlogbeat-8"), hit(ECS, ".ds-logs-endpoint", "b2"), hit(ZEEK, "zeek")))
    assert (report.total.received, report.total.accepted) == (3, 3)
    assert report.formats["elasticsearch"].accepted == 3
    assert [(e.kind, e.source, e.host) for e in events_of(journal)] == [
        ("sysmon:process_create", "winlogbeat", "ws-0042"), ("ecs:event", "ecs", "ws-0042"), ("zeek:conn", "zeek", None)]


def test_an_export_gives_the_graph_its_documents_give(tmp_path):
    from graphsiem.store import open_store

    graphs = []
    for name, data in (("plain.ndjson", ndjson(WINLOGBEAT, ECS)),
                       ("export.ndjson", ndjson(hit(WINLOGBEAT), hit(ECS, doc_id="b2")))):
        data_dir = tmp_path / f"data-{name}"
        store = open_store("embedded", data_dir=data_dir)
        with Journal(data_dir / "journal.sqlite") as journal:
            ingest(tmp_path, journal, store, name, data)
        graphs.append(graph_of(store))
        store.close()
    plain, export = graphs
    assert export == plain
    assert any(relation == "SPAWNED" for _, relation, _ in export)


def test_a_search_response_gives_every_hit_with_its_position_in_the_origin(tmp_path, journal, graph):
    response = {"took": 4, "timed_out": False, "_shards": {"total": 1},
                "hits": {"total": {"value": 2, "relation": "eq"}, "max_score": 1.0,
                         "hits": [hit(WINLOGBEAT), hit(ECS, doc_id="b2")]}}
    report = ingest(tmp_path, journal, graph, "response.json", json.dumps(response, indent=2).encode())
    assert (report.total.received, report.total.accepted, report.total.events) == (1, 1, 2)
    events = events_of(journal)
    assert [e.kind for e in events] == ["sysmon:process_create", "ecs:event"]
    assert [e.origin.rsplit("#", 1)[1] for e in events] == ["hit-1", "hit-2"]
    assert (("domain", "cdn-img.example"), "RESOLVES_TO", ("ip", "198.51.100.7")) in graph_of(graph)


def test_event_ids_are_the_wrapper_s_name_over_the_line_as_read_and_re_ingest_adds_nothing(tmp_path, journal, graph):
    line = orjson.dumps(hit(ECS))
    ingest(tmp_path, journal, graph, "export.ndjson", line + b"\n")
    (event,) = events_of(journal)
    assert event.id == as_read_id("elasticsearch", line)
    again = ingest(tmp_path, journal, graph, "export.ndjson", line + b"\n")
    assert again.total.duplicates == 1 and len(events_of(journal)) == 1


@pytest.mark.parametrize(("record", "reason"), [
    (hit({"something": "else"}), "no parser recognises its _source"),
    (hit(hit(ECS)), "no parser recognises its _source"),  # an export inside an export
    ({"hits": {"hits": []}}, "no hits"),
    ({"hits": {"hits": [hit(ECS), {"_id": "x"}]}}, "hit 2 without a _source"),
    ({"hits": {"hits": [hit({**ECS, "process": {"pid": "twelve"}}, doc_id="bad")]}}, "hit 1 (_id 'bad'): ECS record"),
])
def test_records_that_hold_no_readable_document_are_rejected_with_the_reason(tmp_path, journal, graph, record, reason):
    report = ingest(tmp_path, journal, graph, "export.ndjson", ndjson(record))
    assert (report.total.received, report.total.rejected) == (1, 1)
    (rejection,) = journal.rejected()
    assert rejection.format == "elasticsearch" and reason in rejection.reason


def test_the_wrapper_sniffs_only_exports():
    registry = default_registry()
    assert registry.detect(hit(WINLOGBEAT)).name == "elasticsearch"
    assert registry.detect({"hits": {"hits": []}}).name == "elasticsearch"
    # a document's own "_source"-less keys and other formats are not claimed
    for record in (WINLOGBEAT, ECS, ZEEK, {"_source": {"a": 1}}, {"hits": 3}):
        try:
            name = registry.detect(record).name
        except LookupError:
            name = None
        assert name != "elasticsearch", record


def test_the_origin_is_restored_after_a_search_response():
    parser = default_registry().get("elasticsearch")
    context = ParseContext(origin="f:1")
    list(parser.parse({"hits": {"hits": [hit(ECS)]}}, context))
    assert context.origin == "f:1"
    with pytest.raises(ParseError):
        list(parser.parse({"hits": {"hits": [hit({"x": 1})]}}, context))
    assert context.origin == "f:1"


def test_each_event_of_a_search_response_journals_its_own_hit_not_the_whole_response(tmp_path, journal, graph):
    hits = [hit({**ZEEK, "uid": f"C{n}", "id.orig_p": 50000 + n}, doc_id=f"h{n}") for n in range(200)]
    response = orjson.dumps({"took": 1, "hits": {"hits": hits}})
    report = ingest(tmp_path, journal, graph, "response.json", response)
    assert report.total.events == 200
    rows = journal.connection.execute("SELECT raw FROM events ORDER BY seq").fetchall()
    # each event's evidence is its own hit: the journal holds the response about once, not 200 times
    assert [orjson.loads(raw)["_id"] for (raw,) in rows] == [f"h{n}" for n in range(200)]
    assert sum(len(raw) for (raw,) in rows) < 1.2 * len(response)
