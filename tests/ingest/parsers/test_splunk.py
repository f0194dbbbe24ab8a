"""Splunk exports: export lines, results, results pages and HEC events read by their inner record's parser."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from evtx import PyEvtxParser

from ingest.event_ids import as_read_id
from ingest.journal import Journal
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.splunk import is_hec
from ingest.pipeline import ingest_paths, ingest_records
from ingest.readers.files import choose_reader, default_readers
from ingest.readers.ndjson import canonical_json
from ingest.registry import default_registry

REGISTRY = default_registry()
SPLUNK = REGISTRY.get("splunk")


def inner_records(corpus: Path) -> dict[str, tuple[str, object]]:
    """One real record of each kind a Splunk index holds, with the sourcetype Splunk gives it:
    (sourcetype, the record as Splunk's _raw or HEC event holds it)."""
    emotet = next(PyEvtxParser(str(corpus / "evtx-attack-samples" / "Other" / "emotet" / "exec_emotet_ps_4104.evtx"))
                  .records())["data"]
    sigma = next((corpus / "sigma-regression").rglob("*.json"))
    winlogbeat = next(
        line for line in (corpus / "otrf-security-datasets" / "empire_enable_rdp_2019-05-18203650.json").read_text()
        .splitlines() if '"Process Creation"' in line)
    return {
        "xml": ("XmlWinEventLog", emotet[emotet.index("<Event"):]),
        "evtx_dump_text": ("_json", json.dumps(json.loads(sigma.read_text()))),
        "winlogbeat_object": ("winlogbeat", orjson.loads(winlogbeat)),
        "suricata_text": ("suricata", (corpus / "stratosphere-slips" / "test6-malicious.suricata.json")
                          .read_text().splitlines()[0]),
        "zeek_text": ("bro:ssh:json", (corpus / "brimdata-zed-sample-data" / "zeek-json" / "ssh.json")
                      .read_text().splitlines()[0]),
        "syslog": ("linux_messages_syslog", (corpus / "loghub" / "Linux_2k.log").read_text().splitlines()[0]),
    }


def direct(record: object):
    """The events of the inner record read on its own, JSON text decoded as a JSON reader would."""
    if isinstance(record, str) and record.startswith("{"):
        record = orjson.loads(record)
    return list(REGISTRY.detect(record).parse(record, ParseContext(origin="x", reference_year=2005)))


def through_splunk(wrapper: dict):
    return list(SPLUNK.parse(wrapper, ParseContext(origin="x", reference_year=2005)))


def same(events, expected) -> None:
    assert [(e.kind, e.ts, e.host, e.source, e.fields) for e in events] == [
        (e.kind, e.ts, e.host, e.source, e.fields) for e in expected]


def export_line(sourcetype: str, raw: object, host: str = "forwarder-host") -> dict:
    return {"preview": False, "offset": 0, "lastrow": None,
            "result": {"_raw": raw if isinstance(raw, str) else json.dumps(raw), "_time": "2024-03-05T10:00:00.000+00:00",
                       "host": host, "source": "x", "sourcetype": sourcetype, "index": "main"}}


def hec(sourcetype: str, event: object, host: str = "forwarder-host") -> dict:
    return {"time": 1709632800.5, "host": host, "source": "x", "sourcetype": sourcetype, "index": "main",
            "event": event}


@pytest.mark.parametrize("kind", ["xml", "evtx_dump_text", "winlogbeat_object", "suricata_text", "zeek_text",
                                  "syslog"])
def test_each_wrapper_gives_the_events_of_its_inner_record(corpus, kind):
    sourcetype, record = inner_records(corpus)[kind]
    expected = direct(record)
    assert expected and expected[0].kind != "windows:other"
    for wrapper in (export_line(sourcetype, record), export_line(sourcetype, record)["result"],
                    hec(sourcetype, record)):
        assert SPLUNK.sniff(wrapper) and REGISTRY.detect(wrapper) is SPLUNK
        same(through_splunk(wrapper), expected)


def test_a_windows_event_without_its_computer_takes_splunk_s_host():
    record = {"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                                   "TimeCreated": {"#attributes": {"SystemTime": "2024-03-05T10:00:00Z"}}},
                        "EventData": {"UtcTime": "2024-03-05 10:00:00.000", "ProcessId": "42",
                                      "Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd /c whoami"}}}
    (event,) = through_splunk(hec("_json", record, host="WS-0042.corp.example"))
    assert event.host == "ws-0042" and event.fields["host.name.original"] == "WS-0042.corp.example"
    # read on its own, the record names no host at all: rejected with the reason (task G)
    with pytest.raises(ParseError, match="names no computer"):
        direct(record)


def test_a_sensor_s_record_never_takes_splunk_s_host(corpus):
    # Zeek and Suricata records are about other machines' traffic: Splunk's host is the sensor
    for kind in ("suricata_text", "zeek_text"):
        sourcetype, record = inner_records(corpus)[kind]
        assert all(event.host is None for event in through_splunk(export_line(sourcetype, record, "zeek-sensor-1")))


def test_an_event_s_own_host_wins_over_splunk_s(corpus):
    sourcetype, record = inner_records(corpus)["xml"]
    (event,) = through_splunk(export_line(sourcetype, record, host="wec-collector"))
    assert event.host == "desktop-ripclip"


@pytest.mark.parametrize(("wrapper", "reason"), [
    (export_line("my_kv", "Product=Widget\nAction=Sell\nMessage=A sale"),
     "sourcetype 'my_kv': no parser recognises it"),
    # a classic WinEventLog text is read (ingest.parsers.windows_kv), or refused for what it lacks
    (export_line("WinEventLog:Security", "LogName=Security\nEventCode=4688x\nMessage=A new process"),
     "sourcetype 'WinEventLog:Security': Windows event text without a numeric EventCode"),
    (export_line("my_app", {"user": "bob", "action": "login"}), "sourcetype 'my_app': no parser recognises it"),
    ({"preview": False, "offset": 0, "result": {"count": "12", "host": "a"}}, "without _raw"),
    (hec("XmlWinEventLog", "<Event><System><EventID>1</EventID>"), "sourcetype 'XmlWinEventLog': XML event is not"),
    (hec("x", ""), "empty"),
    ({"results": [], "preview": False}, "no results"),
    ({"results": [{"_raw": "<Event", "sourcetype": "a"}, 3], "preview": False}, "not an object|no parser"),
    (export_line("es", {"_index": "i", "_id": "1", "_source": {"a": 1}}), "no parser recognises it"),
])
def test_what_holds_no_event_is_rejected_with_its_sourcetype(wrapper, reason):
    with pytest.raises(ParseError, match=reason):
        through_splunk(wrapper)


def test_hec_s_sniff_keeps_ecs_documents_apart():
    assert not is_hec({"@timestamp": "2024-03-05T10:00:00Z", "event": {"kind": "event"}, "host": {"name": "a"}})
    assert not is_hec({"event": {"kind": "event"}, "host": {"name": "a"}})
    assert not is_hec({"event": {"kind": "event"}})
    assert not is_hec({"event": "x", "time": True})
    assert is_hec({"event": "<34>Oct 11 22:14:15 mymachine su: x"})


def test_no_record_of_the_corpus_or_the_fixtures_is_taken_for_splunk(corpus, tmp_path):
    fixtures = Path(__file__).parents[1] / "fixtures"
    paths = [p for root in (corpus, fixtures, Path(__file__).parent / "fixtures") for p in sorted(root.rglob("*"))
             if p.is_file() and p.suffix not in (".evtx", ".yml", ".md")]
    checked = 0
    for path in paths:
        chosen = choose_reader(path, default_readers()).reader
        if chosen is None or chosen.name not in ("ndjson", "json"):
            continue
        with path.open("rb") as handle:
            for item in chosen.read(handle, str(path)):
                record = getattr(item, "record", None)
                if isinstance(record, dict):
                    assert not SPLUNK.sniff(record), (path, item.origin)
                    checked += 1
    assert checked > 15000


def ingest_file(tmp_path: Path, journal: Journal, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return ingest_paths([path], store=None, journal=journal, progress=False, reference_year=2005)


def test_an_export_file_is_journaled_and_reingesting_it_adds_nothing(corpus, tmp_path, journal):
    lines = b"".join(orjson.dumps(export_line(sourcetype, record)) + b"\n"
                     for sourcetype, record in inner_records(corpus).values())
    first = ingest_file(tmp_path, journal, "export.json", lines)
    assert (first.total.received, first.total.accepted, first.total.rejected) == (6, 6, 0), journal.rejected()
    assert first.formats["splunk"].accepted == 6
    sources = sorted(item.event.source for item in journal.iter_events())
    assert sources == ["evtx_json", "suricata", "syslog", "windows_xml", "winlogbeat", "zeek"]
    again = ingest_file(tmp_path, journal, "export.json", lines)
    assert (again.total.accepted, again.total.events) == (6, 0)
    assert journal.counts()["events"] == first.total.events


def test_a_results_array_and_concatenated_hec_events_are_read(corpus, tmp_path, journal):
    records = list(inner_records(corpus).values())
    array = json.dumps([export_line(s, r)["result"] for s, r in records], indent=2).encode()
    report = ingest_file(tmp_path, journal, "results.json", array)
    assert (report.total.accepted, report.total.rejected) == (6, 0)
    concatenated = b"".join(json.dumps(hec(s, r), indent=1).encode() for s, r in records)
    report = ingest_file(tmp_path, journal, "hec.json", concatenated)
    assert (report.total.accepted, report.total.rejected) == (6, 0)
    # a result and an HEC event of one record are different records, so different events, but
    # for the Zeek record and the three Windows ones: their events' ids are their content's, whatever
    # carries them (test_zeek_content_ids, test_export_ids)
    assert journal.counts()["events"] == 8


def page_of(*results: object, offset: int = 0) -> dict:
    """A REST results page (``.../results?output_mode=json``)."""
    return {"preview": False, "init_offset": offset, "messages": [], "fields": [{"name": "_raw"}],
            "results": list(results)}


SSHD = "<38>Mar  5 10:00:01 web-01 sshd[4242]: Failed password for root from 203.0.113.9 port 50022 ssh2"


def sshd_result(n: int) -> dict:
    return {"_raw": SSHD.replace("4242", str(4000 + n)), "_time": "2024-03-05T10:00:01.000+00:00", "host": "web-01",
            "source": "/var/log/auth.log", "sourcetype": "linux_secure", "index": "main"}


def test_a_results_page_is_taken_as_its_results_each_journaled_with_its_own(corpus, journal):
    results = [export_line(s, r)["result"] for s, r in inner_records(corpus).values()]
    report = ingest_records([page_of(*results)], store=None, journal=journal)
    assert (report.total.received, report.total.accepted, report.total.events) == (6, 6, 6)
    assert report.formats["splunk"].received == 6
    rows = journal.connection.execute("SELECT id, raw, origin FROM events ORDER BY seq").fetchall()
    # each event's id and evidence are its own result's canonical JSON, not the page's
    assert [(raw, origin) for _, raw, origin in rows] == [
        (canonical_json(result), f"api#1#result-{n}") for n, result in enumerate(results, 1)]
    expected = [as_read_id("splunk", canonical_json(r).encode()) for r in results]
    # but the Zeek record's: its content id, as read from Zeek's own log (test_zeek_content_ids)
    zeek_line = inner_records(corpus)["zeek_text"][1]
    expected[4] = next(iter(default_registry().get("zeek").parse(orjson.loads(zeek_line), ParseContext()))).id
    # and the Windows records' (xml, evtx_dump_text, winlogbeat_object): the content id of their System key
    for n, (_, inner) in enumerate(list(inner_records(corpus).values())[:3]):
        expected[n] = direct(inner)[0].id
    assert [id_ for id_, _, _ in rows] == expected


@pytest.mark.parametrize(("bad", "reason"), [
    ({"count": "12", "user": "bob"}, "Splunk result without _raw (fields count, user): export events, not a table"),
    (3, "a Splunk result or event is not a JSON object (a int)"),
    ({"_raw": "Product=Widget\nAction=Sell", "sourcetype": "my_kv"},
     "Splunk event of sourcetype 'my_kv': no parser recognises it (text 'Product=Widget\\nAction=Sell')"),
    (page_of(), "a Splunk results page with no results"),  # a page inside a page holds no event: not nothing
])
def test_a_bad_result_rejects_only_itself_with_its_reason_and_its_own_text(tmp_path, journal, bad, reason):
    page = page_of(sshd_result(1), bad, sshd_result(3))
    report = ingest_file(tmp_path, journal, "page.json", orjson.dumps(page))
    assert (report.total.received, report.total.accepted, report.total.rejected) == (3, 2, 1)
    splunk = report.formats["splunk"]
    assert (splunk.received, splunk.accepted, splunk.rejected, report.total.events) == (3, 2, 1, 2)
    (rejection,) = journal.rejected()
    assert rejection.origin == f"{tmp_path / 'page.json'}:1#result-2"
    assert (rejection.format, rejection.reason, rejection.raw) == ("splunk", reason, canonical_json(bad))
    assert [item.event.origin.rsplit("#", 1)[1] for item in journal.iter_events()] == ["result-1", "result-3"]


def test_the_same_page_again_adds_nothing_however_it_is_written(tmp_path, journal):
    results = [sshd_result(n) for n in range(3)]
    first = ingest_file(tmp_path, journal, "page.json", orjson.dumps(page_of(*results)))
    assert (first.total.accepted, first.total.events) == (3, 3)
    # fetched again: pretty-printed, keys in another order, another offset
    again = page_of(*[dict(reversed(result.items())) for result in results], offset=100)
    report = ingest_file(tmp_path, journal, "again.json", json.dumps(again, indent=2).encode())
    assert (report.total.received, report.total.accepted, report.total.duplicates, report.total.events) == (3, 3, 3, 0)
    assert journal.counts()["events"] == 3


def test_an_empty_page_counts_as_nothing(tmp_path, journal):
    pages = orjson.dumps(page_of(sshd_result(1))) + b"\n" + orjson.dumps(page_of(offset=1)) + b"\n"
    report = ingest_file(tmp_path, journal, "pages.json", pages)
    assert (report.total.received, report.total.accepted, report.total.rejected) == (1, 1, 0)
    only_empty = ingest_file(tmp_path, journal, "empty.json", json.dumps(page_of(), indent=2).encode() * 2)
    (file,) = only_empty.files.values()
    assert file.skipped is None and file.reader is not None
    assert (only_empty.total.received, only_empty.total.rejected) == (0, 0)
    assert journal.rejected() == []


def test_a_result_of_a_page_needs_no_splunk_field_of_its_own(journal):
    bare = {"_raw": SSHD}  # `| fields _raw`: a line of its own this bare is not claimed
    assert not SPLUNK.sniff(bare)
    report = ingest_records([page_of(bare)], store=None, journal=journal)
    assert (report.total.accepted, report.total.events) == (1, 1)


def test_parse_alone_reads_a_whole_page_and_restores_the_origin():
    context = ParseContext(origin="f:1", reference_year=2024)
    events = list(SPLUNK.parse(page_of(sshd_result(1), sshd_result(2)), context))
    assert [e.origin for e in events] == ["f:1#result-1", "f:1#result-2"]
    assert context.origin == "f:1"
    with pytest.raises(ParseError, match="^result-2: Splunk result without _raw"):
        list(SPLUNK.parse(page_of(sshd_result(1), {"count": "1"}), context))
    assert context.origin == "f:1"


def test_a_zeek_record_without_its_path_is_named_by_the_sourcetype_or_the_source():
    record = {"ts": 1709632800.0, "uid": "C1", "id.orig_h": "10.0.0.5", "id.orig_p": 5300,
              "id.resp_h": "10.0.0.1", "id.resp_p": 53}  # keys every log has: which log is open
    cases = {("bro:dns:json", "udp:514"): "zeek:dns", ("zeek_conn", None): "zeek:conn",
             ("_json", "/opt/zeek/logs/current/http.log"): "zeek:http", ("_json", "udp:514"): "zeek:unknown"}
    for (sourcetype, source), kind in cases.items():
        wrapper = {"_raw": json.dumps(record), "_time": "t", "sourcetype": sourcetype, "source": source}
        assert [e.kind for e in through_splunk(wrapper)] == [kind], (sourcetype, source)


def test_xml_win_event_log_keeps_the_rendered_message_of_an_unmapped_event():
    raw = ("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
           "<Provider Name='Service Control Manager'/><EventID Qualifiers='16384'>7036</EventID>"
           "<TimeCreated SystemTime='2024-03-05T10:00:00.0000000Z'/><Channel>System</Channel>"
           "<Computer>WS-0042.corp.example</Computer><Security/></System><EventData>"
           "<Data Name='param1'>Windows Update</Data><Data Name='param2'>running</Data></EventData>"
           "<RenderingInfo Culture='en-US'><Message>The Windows Update service entered the running state."
           "</Message><Level>Information</Level><Keywords><Keyword>Classic</Keyword></Keywords></RenderingInfo>"
           "</Event>")
    (event,) = through_splunk(export_line("XmlWinEventLog:System", raw, host="wec-01"))
    (declared,) = through_splunk(export_line("XmlWinEventLog:System", f"<?xml version='1.0'?>\r\n{raw}\r\n"))
    assert declared.fields == event.fields
    assert (event.kind, event.host, event.source) == ("windows:other", "ws-0042", "windows_xml")
    assert event.fields["message"] == "The Windows Update service entered the running state."
    assert event.fields["winlog.event_data.param1"] == "Windows Update"


def test_splunk_s_time_is_the_clock_of_a_year_less_date_and_the_time_of_a_line_without_one(corpus):
    line = (corpus / "loghub" / "Linux_2k.log").read_text().splitlines()[0]  # Jun 14 15:16:01, no year
    for stamp in ("2005-06-14T17:16:01.000+02:00", "1118762161.000", 1118762161):
        wrapper = {"_raw": line, "_time": stamp, "sourcetype": "syslog"} if isinstance(stamp, str) else {
            "event": line, "time": stamp, "sourcetype": "syslog"}
        (event,) = SPLUNK.parse(wrapper, ParseContext(origin="x"))
        assert event.ts == 1118762161.0, stamp
    # a given year (--year) still wins
    (event,) = SPLUNK.parse({"_raw": line, "_time": "2005-06-14T15:16:01Z", "sourcetype": "syslog"},
                            ParseContext(origin="x", reference_year=2004))
    assert event.ts == 1087226161.0
    # an RFC 5424 line without a time (NILVALUE) takes Splunk's
    (event,) = SPLUNK.parse({"event": "<34>1 - ws-1 app - - - hello", "time": 1709632800.25, "host": "x"},
                            ParseContext(origin="x"))
    assert (event.ts, event.host) == (1709632800.25, "ws-1")


def test_an_implausible_splunk_time_changes_nothing(corpus):
    line = (corpus / "loghub" / "Linux_2k.log").read_text().splitlines()[0]
    context = ParseContext(origin="x", clock=lambda: 1780000000.0)  # 2026-05-28
    for stamp in ("t", "9999-01-01T00:00:00Z", float("nan"), None):
        (event,) = SPLUNK.parse({"_raw": line, "_time": stamp, "sourcetype": "syslog"}, context)
        assert event.ts == 1749914161.0  # 2025-06-14, the year the clock gives
    assert context.clock() == 1780000000.0 and context.received_at is None


@pytest.mark.parametrize(("timezone", "stamp"), [
    ("UTC", "2024-03-05T11:15:40.000+01:00"),  # Splunk shows its user's zone: the instant is 10:15:40Z
    ("America/New_York", "2024-03-05T10:15:40.000+00:00"),
    ("UTC", "1709633740.000"),
])
def test_a_zoneless_line_takes_splunk_s_instant_whatever_zone_it_was_read_in(timezone, stamp):
    # the bastion writes local time (UTC+1): 11:15:40 is 10:15:40Z, which Splunk resolved at index time
    line = "Mar  5 11:15:40 bastion sshd[2211]: Failed password for root from 198.51.100.9 port 40002 ssh2"
    (event,) = SPLUNK.parse({"_raw": line, "_time": stamp, "sourcetype": "linux_secure", "host": "bastion"},
                            ParseContext(origin="x", default_timezone=timezone))
    assert event.ts == 1709633740.0
    assert event.fields["log.syslog.time_source"] == "splunk"


def test_a_zoned_line_or_a_difference_that_is_no_zone_keeps_its_own_time():
    zoned = "<34>1 2024-03-05T10:15:40.5Z bastion sshd 2211 - - Failed password for root from 198.51.100.9 port 1 ssh2"
    (event,) = SPLUNK.parse({"_raw": zoned, "_time": "2024-03-05T10:15:40.500+00:00", "sourcetype": "syslog"},
                            ParseContext(origin="x"))
    assert event.ts == 1709633740.5 and "log.syslog.time_source" not in event.fields
    late = "Mar  5 10:15:40 bastion sshd[2211]: Failed password for root from 198.51.100.9 port 40002 ssh2"
    (event,) = SPLUNK.parse({"_raw": late, "_time": "2024-03-05T10:22:13.000+00:00", "sourcetype": "linux_secure"},
                            ParseContext(origin="x"))
    assert event.ts == 1709633740.0  # 6 min 33 s is an indexing delay, not a zone


def test_a_device_line_naming_no_device_takes_splunk_s_host_as_the_observer():
    line = ("<166>Mar 05 2024 10:15:33: %ASA-6-302013: Built outbound TCP connection 3 for "
            "outside:203.0.113.7/443 (203.0.113.7/443) to inside:10.1.2.42/51238 (10.1.2.42/51238)")
    (event,) = SPLUNK.parse({"_raw": line, "_time": "2024-03-05T10:15:33.000+00:00", "sourcetype": "cisco:asa",
                             "host": "fw01"}, ParseContext(origin="x"))
    assert event.host is None and event.fields["observer.name"] == "fw01"
    assert event.fields["source.ip"] == "10.1.2.42"
