"""Elasticsearch exports (M12): hits and search responses read by their documents' own parsers, into the graph.

A search response's hits are records of their own (the parser's ``parts``): counted, accepted
and rejected one by one, with ids over each hit's canonical JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from ingest.event_ids import CANONICAL_TEXT, as_read_id, canonical_text_id
from ingest.journal import Journal
from ingest.parsers.base import ParseContext, ParseError
from ingest.pipeline import ingest_paths, ingest_records
from ingest.readers.ndjson import canonical_json
from ingest.registry import default_registry
from tests.ingest.test_event_ids import open_on_scheme_1

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


def response(*hits: dict, took: int = 4) -> dict:
    return {"took": took, "timed_out": False, "_shards": {"total": 1},
            "hits": {"total": {"value": len(hits), "relation": "eq"}, "max_score": 1.0, "hits": list(hits)}}


def zeek_hits(count: int) -> list[dict]:
    return [hit({**ZEEK, "uid": f"C{n}", "id.orig_p": 50000 + n}, doc_id=f"h{n}") for n in range(count)]


def test_a_search_response_gives_every_hit_with_its_position_in_the_origin(tmp_path, journal, graph):
    data = json.dumps(response(hit(WINLOGBEAT), hit(ECS, doc_id="b2")), indent=2).encode()
    report = ingest(tmp_path, journal, graph, "response.json", data)
    # each hit is a record: the report counts hits
    assert (report.total.received, report.total.accepted, report.total.events) == (2, 2, 2)
    assert report.formats["elasticsearch"].received == 2
    events = events_of(journal)
    assert [e.kind for e in events] == ["sysmon:process_create", "ecs:event"]
    assert [e.origin.rsplit("#", 1)[1] for e in events] == ["hit-1", "hit-2"]
    assert (("domain", "cdn-img.example"), "RESOLVES_TO", ("ip", "198.51.100.7")) in graph_of(graph)


def test_event_ids_are_the_wrapper_s_name_over_the_line_sorted_and_re_ingest_adds_nothing(tmp_path, journal, graph):
    line = orjson.dumps(hit(ECS))
    ingest(tmp_path, journal, graph, "export.ndjson", line + b"\n")
    (event,) = events_of(journal)
    # the line's object with sorted keys (task IDS3: key order is not the event's)
    assert event.id == as_read_id("elasticsearch", orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS))
    again = ingest(tmp_path, journal, graph, "export.ndjson", line + b"\n")
    assert again.total.duplicates == 1 and len(events_of(journal)) == 1


@pytest.mark.parametrize(("record", "reason"), [
    (hit({"something": "else"}), "no parser recognises its _source"),
    (hit(hit(ECS)), "no parser recognises its _source"),  # an export inside an export
    (hit({**ECS, "process": {"pid": "twelve"}}, doc_id="bad"), "hit (_id 'bad'): ECS record"),
])
def test_hits_that_hold_no_readable_document_are_rejected_with_the_reason(tmp_path, journal, graph, record, reason):
    report = ingest(tmp_path, journal, graph, "export.ndjson", ndjson(record))
    assert (report.total.received, report.total.rejected) == (1, 1)
    (rejection,) = journal.rejected()
    assert rejection.format == "elasticsearch" and reason in rejection.reason


@pytest.mark.parametrize(("bad", "reason"), [
    ({"_id": "x"}, "hit without a _source object"),
    ("a string", "hit without a _source object"),
    (hit({"something": "else"}, doc_id="odd"), "hit (_id 'odd'): no parser recognises its _source"),
    (hit(hit(ECS), doc_id="nested"), "no parser recognises its _source"),
    (hit({**ECS, "process": {"pid": "twelve"}}, doc_id="bad"), "hit (_id 'bad'): ECS record"),
])
def test_a_bad_hit_rejects_only_itself_with_its_own_text(tmp_path, journal, graph, bad, reason):
    hits = zeek_hits(200)
    hits[56] = bad
    report = ingest(tmp_path, journal, graph, "page.ndjson", ndjson(response(*hits)))
    assert (report.total.received, report.total.accepted, report.total.rejected) == (200, 199, 1)
    assert (report.total.events, report.formats["elasticsearch"].rejected) == (199, 1)
    (rejection,) = journal.rejected()
    assert rejection.origin.endswith("page.ndjson:1#hit-57")
    assert reason in rejection.reason
    assert rejection.raw == (bad if isinstance(bad, str) else canonical_json(bad))
    assert len(events_of(journal)) == 199


def test_an_empty_scroll_page_is_nothing_received_and_nothing_rejected(tmp_path, journal, graph):
    scroll = ndjson({**response(*zeek_hits(2)), "_scroll_id": "s1"},
                    {**response(hit(ECS, doc_id="b2")), "_scroll_id": "s1"},
                    {**response(), "_scroll_id": "s1"})  # the last page of every scroll loop
    report = ingest(tmp_path, journal, graph, "scroll.ndjson", scroll)
    assert (report.total.received, report.total.accepted, report.total.rejected) == (3, 3, 0)
    assert journal.rejected() == []


def test_a_file_of_only_empty_pages_is_not_an_error(tmp_path, journal, graph):
    report = ingest(tmp_path, journal, graph, "empty.json", json.dumps(response(), indent=2).encode() * 3)
    (file,) = report.files.values()
    assert file.skipped is None and file.reader is not None
    assert (report.total.received, report.total.rejected, report.total.events) == (0, 0, 0)
    assert journal.rejected() == []


def test_hits_of_only_a_source_are_read_inside_a_response(tmp_path, journal, graph):
    # filter_path=hits.hits._source: no _index or _id, which a line of its own needs to be sniffed
    page = {"hits": {"hits": [{"_source": ECS}, {"_source": ZEEK}]}}
    for fmt in ("auto", "elasticsearch"):
        path = tmp_path / "filtered.ndjson"
        path.write_bytes(ndjson({**page, "took": fmt}))
        report = ingest_paths([path], store=graph, journal=journal, format=fmt, progress=False)
        assert (report.total.received, report.total.accepted, report.total.rejected) == (2, 2, 0), fmt


def test_a_response_s_hits_are_split_across_batches(tmp_path, journal, graph):
    path = tmp_path / "page.ndjson"
    path.write_bytes(ndjson(response(*zeek_hits(200))) + ndjson(hit(ECS, doc_id="b2")))
    report = ingest_paths([path], store=graph, journal=journal, batch_size=64, progress=False)
    assert (report.total.received, report.total.accepted, report.total.events) == (201, 201, 201)
    assert len(events_of(journal)) == 201


def test_a_response_posted_as_an_object_is_split_too(journal, graph):
    report = ingest_records([response(*zeek_hits(3)), ZEEK], store=graph, journal=journal)
    assert (report.total.received, report.total.accepted) == (4, 4)
    assert [e.origin for e in events_of(journal)][:3] == ["api#1#hit-1", "api#1#hit-2", "api#1#hit-3"]


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


def test_parse_alone_reads_a_whole_response_and_restores_the_origin():
    parser = default_registry().get("elasticsearch")
    context = ParseContext(origin="f:1")
    events = list(parser.parse({"hits": {"hits": [hit(ECS), hit(ZEEK)]}}, context))
    assert [e.origin for e in events] == ["f:1#hit-1", "f:1#hit-2"]
    assert context.origin == "f:1"
    with pytest.raises(ParseError, match="^hit-2: Elasticsearch hit "):
        list(parser.parse({"hits": {"hits": [hit(ECS), hit({"x": 1})]}}, context))
    assert context.origin == "f:1"
    # read whole (a response inside another wrapper), a response of no hits holds no event: refused
    with pytest.raises(ParseError, match="^an Elasticsearch search response with no hits$"):
        list(parser.parse({"hits": {"hits": []}}, context))


def test_each_event_of_a_search_response_journals_its_own_hit_not_the_whole_response(tmp_path, journal, graph):
    hits = zeek_hits(200)
    data = orjson.dumps(response(*hits))
    report = ingest(tmp_path, journal, graph, "response.json", data)
    assert report.total.events == 200
    rows = journal.connection.execute("SELECT raw FROM events ORDER BY seq").fetchall()
    # each event's evidence is its own hit: the journal holds the response about once, not 200 times
    assert [raw for (raw,) in rows] == [canonical_json(h) for h in hits]
    assert sum(len(raw) for (raw,) in rows) < 1.05 * len(data)


def test_a_hit_s_id_is_over_its_canonical_json_and_re_ingest_of_the_response_adds_nothing(tmp_path, journal, graph):
    hits = zeek_hits(200)
    ingest(tmp_path, journal, graph, "page.ndjson", ndjson(response(*hits)))
    ids = [e.id for e in events_of(journal)]
    # a Zeek document's id is its record's content id, as read from Zeek's own log (test_zeek_content_ids)
    zeek = default_registry().get("zeek")
    assert ids == [next(iter(zeek.parse(h["_source"], ParseContext()))).id for h in hits]
    assert len(set(ids)) == 200
    # the same response again, pretty-printed, keys reordered, another "took": the same hits
    again = response(*[dict(reversed(h.items())) for h in hits], took=99)
    report = ingest(tmp_path, journal, graph, "again.json", json.dumps(again, indent=1).encode())
    assert (report.total.accepted, report.total.duplicates, report.total.events) == (200, 200, 0)
    assert [e.id for e in events_of(journal)] == ids


def test_on_scheme_1_a_hit_has_one_id_on_its_own_line_and_in_a_response(tmp_path, graph):
    with open_on_scheme_1(tmp_path / "journal.sqlite") as journal:
        assert journal.id_scheme == CANONICAL_TEXT
        ingest(tmp_path, journal, graph, "page.json", orjson.dumps(response(hit(ECS))))
        (event,) = events_of(journal)
        assert event.id == canonical_text_id("elasticsearch", canonical_json(hit(ECS)))
        report = ingest(tmp_path, journal, graph, "line.ndjson", ndjson(hit(ECS)))
        assert (report.total.duplicates, len(events_of(journal))) == (1, 1)
