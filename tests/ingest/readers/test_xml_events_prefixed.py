"""Prefixed Windows event XML (``<e:Event xmlns:e="...">``): framed, parsed and refused as the unprefixed."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import orjson
import pytest

from ingest.journal import Journal
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.windows_xml import WindowsXmlParser, is_event_xml, parse_event_xml
from ingest.pipeline import ingest_paths, ingest_records
from ingest.readers.base import RawRecord
from ingest.readers.files import choose_reader, default_readers
from ingest.readers.xml_events import XmlEventsReader, is_xml_events
from tests.ingest.parsers.test_windows_xml import BILLION_LAUGHS
from tests.ingest.parsers.windows_xml_render import NAMESPACE, STYLES, render

FIXTURE = Path(__file__).parents[1] / "parsers" / "fixtures" / "windows" / "evtx_dump.ndjson"
RECORDS = [orjson.loads(line) for line in FIXTURE.read_bytes().splitlines()]
XML = WindowsXmlParser()


def prefixed(xml: str, prefix: str = "e", *, declare: bool = True) -> str:
    """The element with every tag prefixed, its namespace declared for the prefix (or not at all)."""
    text = re.sub(r"<(/?)(?=[A-Za-z])", rf"<\1{prefix}:", xml)
    declaration = f"xmlns:{prefix}=\\1{NAMESPACE}\\1" if declare else ""
    return re.sub(rf"\s?xmlns=(['\"]){re.escape(NAMESPACE)}\1", f" {declaration}" if declare else "", text)


def event(text: str):
    (parsed,) = XML.parse(text, ParseContext(origin="x"))
    return parsed


def summary(parsed) -> tuple:
    return parsed.kind, parsed.ts, parsed.host, parsed.fields


@pytest.mark.parametrize("style", STYLES)
def test_a_prefixed_event_reads_as_the_unprefixed_one(style):
    for record in RECORDS:
        plain = render(record, style)
        text = prefixed(plain)
        assert text.startswith("<e:Event xmlns:e=") and "</e:Event>" in text and is_event_xml(text)
        assert summary(event(text)) == summary(event(plain))


def test_a_prefix_declared_on_the_root_only_is_declared_for_the_framed_element(tmp_path):
    plain = "".join(render(record, "toxml") for record in RECORDS)
    body = prefixed(plain, "evt", declare=False)
    assert "xmlns" not in body
    data = f'<?xml version="1.0"?>\n<evt:Events xmlns:evt="{NAMESPACE}">\n{body}\n</evt:Events>\n'.encode()
    assert is_xml_events(data)
    path = tmp_path / "forwarded.xml"
    path.write_bytes(data)
    assert choose_reader(path, default_readers()).reader.name == "xml_events"
    with Journal(tmp_path / "j.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)
        assert (report.total.received, report.total.accepted, report.total.rejected) == (
            len(RECORDS), len(RECORDS), 0)
        events = sorted((item.event.kind, item.event.ts, item.event.host) for item in journal.iter_events())
    assert events == sorted(summary(event(render(record, "toxml")))[:3] for record in RECORDS)


def test_an_api_body_of_prefixed_events_is_read(tmp_path):
    # the API spools an XML body to a file and ingests it with the default readers; standard input
    # and a Splunk _raw take the same framing and parser
    text = prefixed(render(RECORDS[0], "wevtutil"))
    with Journal(tmp_path / "j.sqlite") as journal:
        stdin = ingest_paths(["-"], store=None, journal=journal, progress=False,
                             stdin=io.BytesIO(("<s:Events xmlns:s='urn:x'>" + text + "</s:Events>").encode()))
        splunk = ingest_records([{"_raw": text, "_time": "2024-03-05T10:00:00.000+00:00",
                                  "sourcetype": "XmlWinEventLog", "host": "ws"}], store=None, journal=journal)
    assert (stdin.total.accepted, stdin.total.rejected, splunk.total.accepted, splunk.total.rejected) == (1, 0, 1, 0)


@pytest.mark.parametrize("block_size", [96, 97, 111, 128, 200])
def test_prefixed_framing_does_not_depend_on_the_block_size(block_size):
    prefix = "p" * 31  # the longest prefix framed
    data = b"".join(
        f"<{prefix}:Event xmlns:{prefix}='{NAMESPACE}'><{prefix}:System><{prefix}:EventID>{n}"
        f"</{prefix}:EventID></{prefix}:System></{prefix}:Event{' ' * n}>".encode() for n in range(1, 40))
    whole = [r.record for r in XmlEventsReader().read(io.BytesIO(data), "f")]
    assert len(whole) == 39 and all(isinstance(text, str) for text in whole)
    framed = list(XmlEventsReader(block_size=block_size).read(io.BytesIO(data), "f"))
    assert all(isinstance(r, RawRecord) for r in framed) and [r.record for r in framed] == whole


def test_prefixed_tags_that_are_not_events_are_not_framed():
    data = b"<e:Events xmlns:e='x'><e:EventData/><e:Eventful/></e:Events>"
    assert [r.reason[:26] for r in XmlEventsReader().read(io.BytesIO(data), "f")] == ["text outside any <Event> e"]
    assert not is_event_xml("<e:EventData>") and not is_event_xml("<e:Events>")


def test_a_prefixed_billion_laughs_is_refused_before_any_expansion(tmp_path):
    text = BILLION_LAUGHS.replace("<Event>", "<e:Event xmlns:e='x'>").replace("</Event>", "</e:Event>")
    text = re.sub(r"<(/?)(System|EventID|Computer)>", r"<\1e:\2>", text)
    with pytest.raises(ParseError, match=r"DTD \(<!DOCTYPE Event>\): refused"):
        parse_event_xml(text[text.index("<!DOCTYPE"):])
    started = time.process_time()
    undeclared = text[text.index("<e:Event"):].replace(" xmlns:e='x'", "")
    with pytest.raises(ParseError, match="undeclared entity"):
        parse_event_xml(undeclared)  # the prefix is declared for it, the entity never is
    assert time.process_time() - started < 5


def test_an_external_entity_in_a_prefixed_event_is_never_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    text = (f'<!DOCTYPE e:Event [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]><e:Event><e:System>'
            "<e:EventID>1</e:EventID><e:Computer>&xxe;</e:Computer></e:System></e:Event>")
    with pytest.raises(ParseError) as refused:
        parse_event_xml(text)
    assert "refused" in str(refused.value) and "TOP-SECRET" not in str(refused.value)
    with pytest.raises(ParseError, match="undeclared entity"):
        parse_event_xml(text[text.index("<e:Event"):])


def test_a_prefix_that_no_wrapper_declaration_can_mend_keeps_the_parser_s_reason():
    with pytest.raises(ParseError, match="not well formed"):
        parse_event_xml("<e:Event><e:System></e:Event>")
    with pytest.raises(ParseError, match="not well formed: unbound prefix"):
        parse_event_xml("<e:Event xmlns:e='x'><f:System/></e:Event><g:x/>")


def test_the_first_element_decides_whether_later_ones_may_be_prefixed():
    plain = render(RECORDS[0], "wevtutil")
    marked = prefixed(plain)
    mixed = list(XmlEventsReader().read(io.BytesIO((plain + marked + plain).encode()), "f"))
    assert [type(r).__name__ for r in mixed] == ["RawRecord", "ReadError", "RawRecord"]
    assert mixed[1].reason.startswith("text outside any <Event> element")
    either = list(XmlEventsReader().read(io.BytesIO((marked + plain + marked).encode()), "f"))
    assert [r.record for r in either] == [marked, plain, marked]
