"""Property tests: random and mutated Windows event XML files and Splunk wrappers through the pipeline.

Seeds are this project's own evtx_dump fixture rendered as XML (wevtutil, ToXml,
pretty-printed styles) and the other parsers' fixture records and lines; the damage
is XML's own (tags cut or doubled, a DTD, entities, an ``<Event>`` left open, UTF-16)
and byte-level.  Whatever it is, nothing raises out of the pipeline, received =
accepted + rejected, and every rejection is kept with its origin and a reason.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records
from tests.ingest.fuzz_seeds import seed_lines, seed_objects
from tests.ingest.parsers.windows_xml_render import STYLES, render
from tests.ingest.test_pipeline_fuzz import check  # received = accepted + rejected, reasons kept

FIXTURE = Path(__file__).parent / "fixtures" / "windows" / "evtx_dump.ndjson"
RECORDS = [orjson.loads(line) for line in FIXTURE.read_bytes().splitlines()]
XML_EVENTS = [render(record, style, message) for record in RECORDS for style in STYLES
              for message in (None, "A message & more")]
SEED_LINES = seed_lines()
SEED_OBJECTS = seed_objects()
INTEGERS = st.integers(-(2**63), 2**64 - 1)  # what JSON readers decode (orjson's range)

XML_PIECES = (
    "<Event>", "</Event>", "<Event/>", "<Events>", "</Events>", "<?xml version='1.0'?>", "<!-- c -->",
    "<!DOCTYPE Event [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;'>]>", "&b;", "&amp;", "&#0;", "&#x41;",
    "<Data Name='CommandLine'>", "</Data>", "<EventData>", "<UserData><X><Y>1</Y></X></UserData>",
    "<Binary>00ff</Binary>", "<![CDATA[</Event>]]>", "<System>", "\x00", "\ufeff", "]]>", "<",
    "<RenderingInfo><Message>m</Message></RenderingInfo>", "<EventID>99999999999999999999</EventID>",
    "<TimeCreated SystemTime='1601-01-01T00:00:00Z'/>",
    # namespace prefixes: declared, declared on a root only, undeclared, cut
    "<e:Event xmlns:e='http://schemas.microsoft.com/win/2004/08/events/event'>", "</e:Event>", "<e:Event>",
    "<e:Events xmlns:e='x'>", "</e:Events>", "<e:System>", "</e:System>", "<e:", "</e:Event ", " xmlns:e='x'",
)


@st.composite
def mutated_xml(draw: st.DrawFn) -> str:
    """One to four seed events, with pieces of XML (or random text) spliced in, cut out or doubled."""
    text = "".join(draw(st.lists(st.sampled_from(XML_EVENTS), min_size=1, max_size=4)))
    return splice(draw, text, XML_PIECES, edits=5, cut=80, double=200)


def splice(draw: st.DrawFn, text: str, pieces: tuple[str, ...], *, edits: int, cut: int, double: int) -> str:
    """``text`` with up to ``edits`` edits: a piece (or random text) put in, up to ``cut`` characters
    cut out, or up to ``double`` characters doubled."""
    for _ in range(draw(st.integers(0, edits))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.integers(0, 3))
        if kind == 0:
            text = text[:at] + draw(st.sampled_from(pieces)) + text[at:]
        elif kind == 1:
            text = text[:at] + text[at + draw(st.integers(1, cut)):]
        elif kind == 2:
            text = text[:at] + draw(st.text(max_size=12)) + text[at:]
        else:
            text = text[:at] + text[at: at + draw(st.integers(1, double))] * 2 + text[at:]
    return text


def encode(draw: st.DrawFn, text: str) -> bytes:
    """As one of the tools writes it: UTF-8 (with a mark or none), or UTF-16LE with a mark or none."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return text.encode("utf-8", "surrogatepass")
    if choice == 1:
        return codecs.BOM_UTF8 + text.encode("utf-8", "surrogatepass")
    mark = codecs.BOM_UTF16_LE if choice == 2 else b""
    return mark + text.encode("utf-16-le", "surrogatepass")


@st.composite
def raw_texts(draw: st.DrawFn) -> Any:
    """What a Splunk ``_raw`` or HEC ``event`` may hold: XML, a line, JSON text or an object, junk."""
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return draw(mutated_xml())
    if choice == 1:
        return draw(st.sampled_from(SEED_LINES))
    if choice == 2:
        return orjson.dumps(draw(st.sampled_from(SEED_OBJECTS))).decode()
    if choice == 3:
        return draw(st.sampled_from(SEED_OBJECTS))
    if choice == 4:
        return draw(st.text(max_size=60))
    return draw(st.none() | INTEGERS | st.lists(st.text(max_size=5), max_size=3))


hosts = st.none() | st.sampled_from(["WS-0042.corp.example", "localhost", "", " ", "10.0.0.5", "-"]) | st.text(
    max_size=20)


@st.composite
def splunk_wrappers(draw: st.DrawFn) -> dict[str, Any]:
    raw = draw(raw_texts())
    host = draw(hosts)
    sourcetype = draw(st.sampled_from(["XmlWinEventLog", "_json", "syslog", "WinEventLog:Security"])
                      | st.text(max_size=10))
    result = {"_raw": raw, "_time": "2024-03-05T10:00:00.000+00:00", "host": host, "sourcetype": sourcetype}
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return {"preview": draw(st.booleans()), "offset": draw(st.integers(0, 9)), "result": result}
    if choice == 1:
        return result
    if choice == 2:
        payload = {"time": draw(st.none() | st.floats(allow_nan=True) | INTEGERS | st.text(max_size=12)),
                   "host": host, "sourcetype": sourcetype, "event": raw}
        return {key: value for key, value in payload.items() if value is not None or key == "event"}
    return {"preview": False, "init_offset": 0,
            "results": [result] + draw(st.lists(st.just(result) | st.dictionaries(st.text(max_size=5), st.text(
                max_size=5), max_size=2), max_size=2))}


@pytest.fixture(scope="module")
def journal(tmp_path_factory) -> Journal:
    with Journal(tmp_path_factory.mktemp("xml-splunk-fuzz") / "journal.sqlite") as journal:
        yield journal


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_xml_event_files_never_break_the_pipeline(journal, tmp_path_factory, data):
    text = data.draw(mutated_xml())
    if data.draw(st.booleans()):
        text = f"<?xml version='1.0' encoding='utf-8'?>\r\n<Events>{text}</Events>"
    path = tmp_path_factory.mktemp("xml") / "fuzz.xml"
    path.write_bytes(encode(data.draw, text))
    before = journal.counts()["rejected"]
    report = ingest_paths([path], store=None, journal=journal, progress=False)
    check(report, journal, before)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(wrappers=st.lists(splunk_wrappers(), min_size=1, max_size=6))
def test_mutated_splunk_wrappers_never_break_the_pipeline(journal, wrappers):
    before = journal.counts()["rejected"]
    report = ingest_records(wrappers, store=None, journal=journal)
    # a results page is received as its results (SplunkExportParser.parts), any other wrapper as itself
    assert report.total.received == sum(len(w["results"]) if "results" in w else 1 for w in wrappers)
    check(report, journal, before)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(wrappers=st.lists(splunk_wrappers(), min_size=1, max_size=6))
def test_splunk_export_files_never_break_the_pipeline(journal, tmp_path_factory, wrappers):
    path = tmp_path_factory.mktemp("splunk") / "export.json"
    path.write_bytes(b"".join(orjson.dumps(w, option=orjson.OPT_NON_STR_KEYS) + b"\n" for w in wrappers))
    before = journal.counts()["rejected"]
    check(ingest_paths([path], store=None, journal=journal, progress=False), journal, before)


def test_the_seeds_themselves_are_accepted(tmp_path):
    # without damage the XML seeds are events and the wrapped seeds are read: the properties above
    # do exercise the accepting paths, not only rejections
    path = tmp_path / "seeds.xml"
    path.write_text("".join(XML_EVENTS))
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)
        assert (report.total.accepted, report.total.rejected) == (len(XML_EVENTS), 0)
        wrapped = [{"_raw": text, "sourcetype": "XmlWinEventLog", "host": "h"} for text in XML_EVENTS[:5]]
        report = ingest_records(wrapped, store=None, journal=journal)
        assert (report.total.accepted, report.total.rejected) == (5, 0)
