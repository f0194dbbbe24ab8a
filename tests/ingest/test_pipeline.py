"""The pipeline end to end: files -> journal -> graph, counts, idempotency, rejections."""

from __future__ import annotations

import gzip
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from graphsiem.model import Event
from ingest.parsers.base import (
    EARLIEST_EVENT_TIME,
    FUTURE_TOLERANCE_S,
    ParseError,
    ParserRegistry,
    UnknownFormatError,
)
from ingest.parsers.ecs import EcsParser
from ingest.pipeline import ingest_paths, ingest_records
from ingest.replay import project_pending, replay


def relation_counts(store) -> dict:
    return {(r.src, r.type, r.dst): r.count for r in store.iter_relations()}


def direct_and_caught_up(inputs, tmp_path, **options) -> list[tuple[tuple, int]]:
    """(graph, events projected) of ``inputs`` ingested into a store, then journaled only and caught up."""
    from graphsiem.store import open_store
    from ingest.journal import Journal

    results = []
    for mode in ("direct", "catch-up"):
        data = tmp_path / mode
        store = open_store("embedded", data_dir=data)
        with Journal(data / "journal.sqlite") as journal:
            report = ingest_paths(inputs, store=store if mode == "direct" else None, journal=journal,
                                  progress=False, **options)
            if mode == "catch-up":
                projected = project_pending(journal, store).events
            else:
                projected = report.projected["events"]
            assert journal.checkpoint() == journal.last_seq() == report.total.events
        sightings = sorted((s.host, s.entity, s.first_seen, s.last_seen, s.count) for s in store.iter_sightings())
        results.append(((store.counts(), relation_counts(store), sightings), projected))
        store.close()
    return results


def test_counts_add_up_and_non_telemetry_is_skipped(fixtures, journal, graph):
    report = ingest_paths([fixtures / "tree"], store=graph, journal=journal, progress=False)
    skipped = {Path(f.path).name: f.skipped for f in report.skipped}
    assert set(skipped) == {"LICENSE", "README.md", "info.yml", "blob.bin"}
    assert "no reader" in skipped["blob.bin"]
    assert report.total.received == report.total.accepted + report.total.rejected == 4
    assert report.formats["ecs"].accepted == 4
    assert report.projected["events"] == 4
    assert graph.get_entity("host", "ws-0001") is not None


def test_ingesting_the_same_file_twice_adds_nothing(fixtures, journal, graph):
    path = fixtures / "ecs_events.ndjson"
    first = ingest_paths([path], store=graph, journal=journal, progress=False)
    before = (journal.counts(), relation_counts(graph), graph.counts())
    second = ingest_paths([path], store=graph, journal=journal, progress=False)
    assert first.total.events == 4 and first.total.duplicates == 0
    assert second.total.accepted == second.total.duplicates == 4 and second.total.events == 0
    assert (journal.counts(), relation_counts(graph), graph.counts()) == before


@pytest.mark.parametrize("batch_size", [2, 5000])
def test_repeats_count_as_duplicates_of_their_own_file_and_format(fixtures, journal, tmp_path, batch_size):
    ecs_lines = (fixtures / "ecs_events.ndjson").read_bytes().splitlines()[:2]
    zeek_line = (fixtures / "sensor" / "a_conn.json").read_bytes().splitlines()[0]
    (tmp_path / "a.ndjson").write_bytes(b"\n".join([ecs_lines[0], zeek_line, ecs_lines[0]]) + b"\n")
    (tmp_path / "b.ndjson").write_bytes(b"\n".join([zeek_line, ecs_lines[1], b"not json"]) + b"\n")
    report = ingest_paths([tmp_path], store=None, journal=journal, progress=False, batch_size=batch_size)
    counts = {Path(f.path).name: f.counts for f in report.files.values()}
    # a repeat inside one file, and across files in one batch, is a duplicate where it is read
    assert (counts["a.ndjson"].received, counts["a.ndjson"].events, counts["a.ndjson"].duplicates) == (3, 2, 1)
    assert (counts["b.ndjson"].received, counts["b.ndjson"].events, counts["b.ndjson"].duplicates) == (3, 1, 1)
    assert counts["b.ndjson"].rejected == 1
    ecs, zeek = report.formats["ecs"], report.formats["zeek"]
    assert (ecs.received, ecs.accepted, ecs.events, ecs.duplicates) == (3, 3, 2, 1)
    assert (zeek.received, zeek.accepted, zeek.events, zeek.duplicates) == (2, 2, 1, 1)
    assert report.total.events == journal.last_seq() == 3


def test_bad_records_are_rejected_with_origin_and_reason_and_kept(fixtures, journal):
    report = ingest_paths([fixtures / "mixed_quality.ndjson"], store=None, journal=journal, progress=False)
    assert (report.total.received, report.total.accepted, report.total.rejected) == (5, 1, 4)
    kept = {r.origin.rsplit(":", 1)[1]: r for r in journal.rejected()}
    assert set(kept) == {"2", "3", "5", "6"}
    assert "invalid JSON" in kept["2"].reason and kept["2"].format == "ndjson"
    assert "not a JSON object" in kept["3"].reason
    assert "timestamp" in kept["5"].reason and kept["5"].format == "ecs"
    assert "no parser recognises" in kept["6"].reason and kept["6"].format == "unknown"
    file_counts = report.files[str(fixtures / "mixed_quality.ndjson")].counts
    assert file_counts.received == file_counts.accepted + file_counts.rejected


def test_every_parser_exception_becomes_a_rejection(fixtures, journal):
    class Broken:
        name = "broken"

        def sniff(self, record):
            return True

        def parse(self, record, context):
            if "process" in record:
                raise KeyError("boom")
            yield Event(id="", kind="x:y", ts=float("nan"), host=None, source="broken")

    registry = ParserRegistry()
    registry.register(Broken())
    report = ingest_paths([fixtures / "array_pretty.json"], store=None, journal=journal,
                          registry=registry, progress=False)
    reasons = sorted(r.reason for r in journal.rejected())
    assert report.total.rejected == 3 and report.total.accepted == 0
    assert reasons[0].startswith("KeyError") and "no valid time" in reasons[1]


def test_forced_format_and_unknown_format(fixtures, journal):
    report = ingest_paths([fixtures / "concatenated_pretty.json"], store=None, journal=journal,
                          format="ecs", progress=False)
    assert report.formats["ecs"].accepted == 2
    with pytest.raises(UnknownFormatError, match="unknown format 'nope'"):
        ingest_paths([fixtures / "ecs_events.ndjson"], store=None, journal=journal, format="nope")


def test_gzip_files_are_read_transparently(fixtures, journal, tmp_path):
    packed = tmp_path / "events.ndjson.gz"
    packed.write_bytes(gzip.compress((fixtures / "ecs_events.ndjson").read_bytes()))
    report = ingest_paths([packed], store=None, journal=journal, progress=False)
    assert report.total.accepted == 4 and report.files[str(packed)].reader == "ndjson"


def test_api_ndjson_bodies_give_the_same_event_ids_as_files(fixtures, journal):
    # (JSON arrays and decoded objects: tests/ingest/test_event_ids.py, per id scheme)
    lines = (fixtures / "ecs_events.ndjson").read_bytes()
    from_file = ingest_paths([fixtures / "ecs_events.ndjson"], store=None, journal=journal, progress=False)
    assert from_file.total.events == 4
    report = ingest_records(lines, store=None, journal=journal)
    assert report.total.duplicates == 4 and report.total.events == 0
    bad = ingest_records(b"[1, {\"x\": 2}]", store=None, journal=journal)
    assert (bad.total.received, bad.total.rejected) == (2, 2)


def test_dhcp_leases_of_the_same_call_map_sensor_events_whatever_the_file_order(fixtures, journal, graph):
    ingest_paths([fixtures / "sensor"], store=graph, journal=journal, progress=False)  # a_conn before b_dhcp
    linked = {n.entity.key for n in graph.neighbors("host", "ws-0042", direction="out")}
    assert "198.51.100.77" in linked  # within the lease
    assert "198.51.100.78" not in linked  # two hours before the lease: not this host's
    hosts = {h.host for h in graph.hosts_of("ip", "198.51.100.77")}
    assert hosts == {"ws-0042"}


def test_leases_persist_for_later_ingests(fixtures, journal, graph):
    ingest_paths([fixtures / "sensor" / "b_dhcp.json"], store=graph, journal=journal, progress=False)
    ingest_paths([fixtures / "sensor" / "a_conn.json"], store=graph, journal=journal, progress=False)
    linked = {n.entity.key for n in graph.neighbors("host", "ws-0042", direction="out")}
    assert "198.51.100.77" in linked


def test_graph_catches_up_and_rebuilds_from_the_journal_alone(fixtures, journal, graph, tmp_path):
    ingest_paths([fixtures / "ecs_events.ndjson", fixtures / "sensor"], store=None, journal=journal,
                 progress=False)
    assert graph.counts()["entities"] == {} or sum(graph.counts()["entities"].values()) == 0
    summary = project_pending(journal, graph)
    assert summary.events == journal.counts()["events"] == journal.checkpoint()
    caught_up = (graph.counts(), relation_counts(graph))
    assert journal.catch_up(graph).events == 0  # nothing pending any more
    replay(journal, graph)
    assert (graph.counts(), relation_counts(graph)) == caught_up
    journal.replay(graph)
    assert (graph.counts(), relation_counts(graph)) == caught_up


def test_a_copy_of_a_file_elsewhere_is_the_same_events(fixtures, journal, tmp_path):
    copy = tmp_path / "elsewhere.ndjson"
    shutil.copy(fixtures / "ecs_events.ndjson", copy)
    ingest_paths([fixtures / "ecs_events.ndjson"], store=None, journal=journal, progress=False)
    assert ingest_paths([copy], store=None, journal=journal, progress=False).total.duplicates == 4


def test_parse_error_messages_are_kept_verbatim(journal):
    class Picky(EcsParser):
        name = "picky"

        def parse(self, record, context):
            raise ParseError("field 'x' is missing")

    registry = ParserRegistry()
    registry.register(Picky())
    ingest_records([{"@timestamp": 1, "host": {"name": "a"}}], store=None, journal=journal,
                   registry=registry)
    assert journal.rejected()[0].reason == "field 'x' is missing"


@pytest.mark.parametrize("held_items", [2, 50_000])
def test_projection_while_journaling_or_from_the_journal_gives_the_same_graph(
    fixtures, tmp_path, monkeypatch, held_items
):
    from ingest import speculative_projection

    # 2: the speculative projection gives up at once (over its budget) and the
    # events are re-read from the journal; 50,000: it holds everything
    monkeypatch.setattr(speculative_projection, "HELD_ITEMS", held_items)
    inputs = [fixtures / "ecs_events.ndjson", fixtures / "sensor", fixtures / "array_pretty.json"]
    direct, caught_up = direct_and_caught_up(inputs, tmp_path)
    assert direct == caught_up


def test_terminal_output_escapes_control_characters_from_names(tmp_path, journal):
    evil = tmp_path / "evil\x1b[2Jname.log"
    evil.write_text("not json, not syslog\x1b[31m\n")
    report = ingest_paths([evil], store=None, journal=journal, progress=False)
    assert "\x1b" not in report.render() and "\\x1b[2J" in report.render()


def test_progress_bar_goes_to_stderr_when_asked(fixtures, journal, graph, capsys):
    ingest_paths([fixtures / "ecs_events.ndjson"], store=graph, journal=journal, progress=True)
    captured = capsys.readouterr()
    assert "ingest" in captured.err and captured.out == ""


@pytest.mark.parametrize("held_items", [3, 50_000])
def test_endpoint_batches_projected_early_give_the_same_graph_as_a_catch_up(
    fixtures, tmp_path, monkeypatch, held_items
):
    from ingest import pipeline_projection, speculative_projection

    early_batches = []
    real_batch = pipeline_projection.project_batch

    def counting_batch(projector, store, events, summary, mark=None):
        early_batches.append(len(events))
        return real_batch(projector, store, events, summary, mark)

    monkeypatch.setattr(pipeline_projection, "project_batch", counting_batch)
    monkeypatch.setattr(speculative_projection, "HELD_ITEMS", held_items)
    # endpoint events first (projected batch by batch), then sensor events, whose
    # DHCP lease comes after the conn events it maps: the early phase must end there
    inputs = [fixtures / "ecs_events.ndjson", fixtures / "sensor"]
    (graph, projected), caught_up = direct_and_caught_up(inputs, tmp_path, batch_size=1)
    assert early_batches == [1, 1, 1, 1]  # the four ECS endpoint records, one batch each
    assert (graph, projected) == caught_up and projected == 7
    hosts = {s[0] for s in graph[2]}
    assert "ws-0042" in hosts  # the sensor events still met the lease of the same call


@pytest.mark.parametrize(
    ("files", "batch_size", "is_kept"),
    [
        (["b_dhcp.json", "a_conn.json"], 1, True),  # the lease is known before any lookup
        (["a_conn.json", "b_dhcp.json"], 5000, True),  # one batch: the lease is learnt before projecting it
        (["a_conn.json", "b_dhcp.json"], 1, False),  # a conn event was projected before its lease
    ],
)
def test_speculative_projection_is_kept_only_when_the_ip_map_did_not_change_under_it(
    fixtures, tmp_path, monkeypatch, files, batch_size, is_kept
):
    from ingest import replay as replay_module
    from ingest import speculative_projection

    outcomes = []
    real_finish = speculative_projection.SpeculativeProjection.finish

    def recording_finish(self, journal, after_seq):
        held = real_finish(self, journal, after_seq)
        outcomes.append(held is not None)
        return held

    monkeypatch.setattr(speculative_projection.SpeculativeProjection, "finish", recording_finish)
    # project each event as it is journaled (the speculation) and from the journal (project_pending)
    monkeypatch.setattr(speculative_projection, "PROJECT_BATCH", 1)
    monkeypatch.setattr(replay_module, "PROJECT_BATCH", 1)
    inputs = [fixtures / "sensor" / name for name in files]
    direct, caught_up = direct_and_caught_up(inputs, tmp_path, batch_size=batch_size)
    # kept: applied at the end; else given up when the lease arrived, or refused at the end
    assert any(outcomes) is is_kept
    assert direct == caught_up and direct[1] == 3
    assert ("ws-0042", ("ip", "198.51.100.77")) in {s[:2] for s in direct[0][2]}


def test_one_valid_event_of_loose_types_is_accepted_like_any_other(journal):
    # An int time (not float) is valid but takes the full check, not the fast one:
    # the record must still be accepted with its fields, in a batch of its own or not.
    class IntTime(EcsParser):
        name = "int-time"

        def sniff(self, record):
            return True

        def parse(self, record, context):
            yield Event(id="", kind="x:y", ts=1_700_000_000, host="ws-1", source="", fields={"n": record["n"]})

    registry = ParserRegistry()
    registry.register(IntTime())
    report = ingest_records([{"n": 1}, {"n": 2}], store=None, journal=journal, registry=registry)
    assert (report.total.received, report.total.accepted, report.total.rejected) == (2, 2, 0)
    assert sorted(e.event.fields["n"] for e in journal.iter_events()) == [1, 2]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ecs(when: str, n: int = 0) -> dict:
    return {"@timestamp": when, "host": {"name": f"ws-{n}"}, "process": {"executable": "C:\\x.exe", "pid": n}}


def _nxlog(utc: str, created: str) -> dict:
    return {"Hostname": "WS-0042", "EventID": 5, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "TimeCreated": created, "UtcTime": utc, "ProcessGuid": "{1A2B3C4D-0001-0002-0003-000000000001}",
            "ProcessId": "4242", "Image": "C:\\Tools\\agent.exe"}


def _zeek(ts: object) -> dict:
    return {"_path": "conn", "ts": ts, "uid": "C1", "id.orig_h": "10.0.0.1", "id.orig_p": 1,
            "id.resp_h": "10.0.0.2", "id.resp_p": 80, "proto": "tcp"}


def _eve(when: str) -> dict:
    return {"timestamp": when, "flow_id": 1, "event_type": "flow", "src_ip": "10.0.0.1", "src_port": 1,
            "dest_ip": "10.0.0.2", "dest_port": 80, "proto": "TCP"}


IMPLAUSIBLE = [
    # (record, text the reason must name): the parser's own range, or the pipeline's window
    pytest.param(_nxlog("9999-12-31 23:59:59.999", "9999-12-31T23:59:59.999Z"), "out of range", id="windows-9999"),
    pytest.param(_nxlog("1601-01-01 00:00:00.000", "1601-01-01T00:00:00.000Z"), "out of range", id="windows-1601"),
    pytest.param(_nxlog("2099-06-01 00:00:00.000", "2099-06-01T00:00:00.000Z"), "out of range", id="windows-2099"),
    pytest.param(_zeek(99999999999), "5138-11-16T09:46:39", id="zeek-5138"),
    pytest.param(_eve("9999-12-31T23:59:59.000000+0000"), "9999-12-31T23:59:59", id="eve-9999"),
    pytest.param(_ecs("0001-01-01T00:00:00Z"), "0001-01-01T00:00:00", id="ecs-0001"),
    pytest.param(_ecs("1989-12-31T23:59:59Z"), "1989-12-31T23:59:59", id="ecs-1989"),
    pytest.param(_zeek(0), "1970-01-01T00:00:00", id="zeek-epoch-0"),
]


@pytest.mark.parametrize(("record", "expected"), [
    # Windows UtcTime outside the window gives way to the record's own time, as a malformed one does
    (_nxlog("1985-06-01 00:00:00.000", "2024-03-05T10:00:00.000Z"), "2024-03-05T10:00:00"),
    (_nxlog("2090-06-01 00:00:00.000", "2024-03-05T10:00:00.000Z"), "2024-03-05T10:00:00"),
    # a device with an unset clock (CEF rt=0, 1980): the syslog header's time
    ("<13>1 2024-03-05T10:00:00Z fw01 fw - - - CEF:0|V|FW|1|100|allowed|3|rt=0 src=10.0.0.5 dst=198.51.100.7",
     "2024-03-05T10:00:00"),
    ("<13>1 2024-03-05T10:00:00Z fw01 fw - - - CEF:0|V|FW|1|100|allowed|3|rt=Jan 01 1980 00:00:00 UTC "
     "src=10.0.0.5 dst=198.51.100.7", "2024-03-05T10:00:00"),
])
def test_a_record_whose_first_time_is_implausible_takes_its_other_time(journal, tmp_path, record, expected):
    """Review finding: the parsers fell back only outside 1970-2099 while the pipeline's window is
    1990 to a day past the clock, so these records were rejected for a time they did not need."""
    if isinstance(record, str):  # a syslog line: a file of one line
        (tmp_path / "fw.log").write_text(record + "\n")
        report = ingest_paths([tmp_path / "fw.log"], store=None, journal=journal, progress=False)
    else:
        report = ingest_records([record], store=None, journal=journal)
    assert (report.total.received, report.total.accepted) == (1, 1), journal.rejected()
    (item,) = journal.iter_events()
    assert datetime.fromtimestamp(item.event.ts, UTC).strftime("%Y-%m-%dT%H:%M:%S") == expected


@pytest.mark.parametrize(("record", "named"), IMPLAUSIBLE)
def test_a_record_with_an_implausible_time_is_rejected_and_the_rest_goes_on(journal, graph, record, named):
    good = [_ecs("2024-03-05T10:00:00Z", 1), _ecs("2024-03-05T10:00:01Z", 2)]
    report = ingest_records([good[0], record, good[1]], store=graph, journal=journal)
    assert (report.total.received, report.total.accepted, report.total.rejected) == (3, 2, 1)
    (rejection,) = journal.rejected()
    assert named in rejection.reason and rejection.origin == "api#2"
    if "out of range" not in named:  # the pipeline's window: the reason names it
        assert "outside the plausible window 1990-01-01T00:00:00" in rejection.reason
    assert sorted(e.event.host for e in journal.iter_events()) == ["ws-1", "ws-2"]
    assert graph.get_entity("host", "ws-1") is not None and graph.get_entity("host", "ws-2") is not None


def test_a_windows_utctime_outside_the_range_gives_way_to_the_record_time(journal):
    report = ingest_records([_nxlog("1601-01-01 00:00:00.000", "2024-03-05T10:00:00.000Z")],
                            store=None, journal=journal)
    assert report.total.accepted == 1
    (stored,) = journal.iter_events()
    assert stored.event.ts == datetime(2024, 3, 5, 10, tzinfo=UTC).timestamp()


def test_the_window_ends_a_day_past_the_clock_and_starts_in_1990(journal):
    now = time.time()
    records = [
        _ecs(_iso(EARLIEST_EVENT_TIME), 1),  # the first second of 1990: in
        _ecs(_iso(now + 3600), 2),  # a sender's clock an hour ahead: in
        _ecs(_iso(now + FUTURE_TOLERANCE_S + 3600), 3),  # a day and an hour ahead: out
    ]
    report = ingest_records(records, store=None, journal=journal)
    assert (report.total.accepted, report.total.rejected) == (2, 1)
    assert journal.rejected()[0].origin == "api#3"


def test_the_end_of_the_window_moves_with_the_clock_between_batches(journal, monkeypatch):
    # A long ingest reads the clock once a batch: a record dated after the first
    # batch's window but within the clock's when its own batch starts is kept.
    start = time.time()
    clock = iter([start, start + 2 * FUTURE_TOLERANCE_S, start + 2 * FUTURE_TOLERANCE_S])
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: next(clock, None) or real_time() + 2 * FUTURE_TOLERANCE_S)
    ahead = _ecs(_iso(start + 1.5 * FUTURE_TOLERANCE_S), 1)
    report = ingest_records([_ecs("2024-03-05T10:00:00Z", 0), ahead], store=None, journal=journal, batch_size=1)
    assert (report.total.accepted, report.total.rejected) == (2, 0)


def test_a_time_window_given_replaces_the_default(journal):
    old, recent = _ecs("1985-06-01T00:00:00Z", 1), _ecs("2024-03-05T10:00:00Z", 2)
    window = (datetime(1980, 1, 1, tzinfo=UTC).timestamp(), datetime(2000, 1, 1, tzinfo=UTC).timestamp())
    report = ingest_records([old, recent], store=None, journal=journal, time_window=window)
    assert (report.total.accepted, report.total.rejected) == (1, 1)
    assert "2024-03-05T10:00:00" in journal.rejected()[0].reason and "2000-01-01T00:00:00" in journal.rejected()[0].reason


def test_every_event_of_a_record_must_be_plausible(journal):
    class Pair(EcsParser):
        name = "pair"

        def sniff(self, record):
            return True

        def parse(self, record, context):
            yield Event(id="", kind="x:y", ts=1_700_000_000.0, host="ws-1", source="", fields={})
            yield Event(id="", kind="x:z", ts=record["ts"], host="ws-1", source="", fields={})

    registry = ParserRegistry()
    registry.register(Pair())
    report = ingest_records([{"ts": 1_700_000_001.0}, {"ts": 253402300799.0}], store=None, journal=journal,
                            registry=registry)
    assert (report.total.accepted, report.total.rejected, report.total.events) == (1, 1, 2)
    assert "9999-12-31T23:59:59" in journal.rejected()[0].reason


def test_a_file_that_cannot_be_read_is_a_rejection_not_a_skip(fixtures, journal, tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    damaged = inputs / "events.ndjson.gz"
    damaged.write_bytes(b"\x1f\x8b\x09garbage, not a gzip header")
    shutil.copy(fixtures / "ecs_events.ndjson", inputs / "good.ndjson")
    (inputs / "README.md").write_text("about these files")
    report = ingest_paths([inputs], store=None, journal=journal, progress=False)
    assert (report.total.received, report.total.accepted, report.total.rejected) == (5, 4, 1)
    file = report.files[str(damaged)]
    assert file.skipped is None and (file.counts.received, file.counts.rejected) == (1, 1)
    assert [Path(f.path).name for f in report.skipped] == ["README.md"]  # deliberate skips stay skips
    assert report.formats["unreadable"].rejected == 1
    (kept,) = journal.rejected()
    assert kept.origin == str(damaged) and kept.format == "unreadable"
    assert kept.reason.startswith("file cannot be read") and "gzip" in kept.reason.lower()
    assert report.to_dict()["rejected"] == 1
