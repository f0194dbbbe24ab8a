"""Windows event XML files: each ``<Event>`` framed, whatever tool wrote the file, in bounded memory."""

from __future__ import annotations

import codecs
import io
import time
import tracemalloc
from pathlib import Path

import orjson
import pytest
from evtx import PyEvtxParser

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.readers.base import RawRecord, ReadError
from ingest.readers.files import choose_reader, default_readers
from ingest.readers.xml_events import XmlEventsReader, is_xml_events
from tests.ingest.parsers.test_windows_xml import BILLION_LAUGHS
from tests.ingest.parsers.windows_xml_render import render

FIXTURE = Path(__file__).parents[1] / "parsers" / "fixtures" / "windows" / "evtx_dump.ndjson"


def fixture_records() -> list[dict]:
    return [orjson.loads(line) for line in FIXTURE.read_bytes().splitlines()]


def wevtutil(records: list[dict]) -> bytes:
    """``wevtutil qe /f:xml``: events back to back, no root, no line break."""
    return "".join(render(record, "wevtutil") for record in records).encode()


def powershell(records: list[dict]) -> bytes:
    """``Get-WinEvent | % { $_.ToXml() } | Out-File``: UTF-16LE with its mark, CRLF between events."""
    return codecs.BOM_UTF16_LE + "\r\n".join(render(record, "toxml") for record in records).encode("utf-16-le")


def event_viewer(records: list[dict]) -> bytes:
    """Event Viewer's "Save as XML": a declaration, an <Events> root, pretty-printed events."""
    body = "\r\n".join(render(record, "pretty") for record in records)
    return f'<?xml version="1.0" encoding="UTF-8"?>\r\n<Events>\r\n{body}\r\n</Events>\r\n'.encode()


def frames(data: bytes, **options) -> list[RawRecord | ReadError]:
    return list(XmlEventsReader(**options).read(io.BytesIO(data), "f.xml"))


def ingest(tmp_path: Path, journal: Journal, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return ingest_paths([path], store=None, journal=journal, progress=False)


def journaled(journal: Journal) -> list[tuple]:
    return sorted((e.event.kind, e.event.ts, e.event.host, orjson.dumps(e.event.fields, option=orjson.OPT_SORT_KEYS))
                  for e in journal.iter_events())


@pytest.mark.parametrize("writer", [wevtutil, powershell, event_viewer])
def test_each_tool_s_file_is_chosen_and_read_to_the_same_events(tmp_path, writer):
    records = fixture_records()
    path = tmp_path / f"{writer.__name__}.xml"
    path.write_bytes(writer(records))
    assert choose_reader(path, default_readers()).reader.name == "xml_events"
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)
        assert (report.total.received, report.total.accepted, report.total.rejected) == (5, 5, 0), journal.rejected()
        assert report.formats["windows_xml"].accepted == 5
        events = journaled(journal)
    json_path = tmp_path / "same.ndjson"
    json_path.write_bytes(FIXTURE.read_bytes())
    with Journal(tmp_path / "json.sqlite") as journal:
        ingest_paths([json_path], store=None, journal=journal, progress=False)
        # the mapped kinds' fields are equal; the one unmapped (7036) keeps its event data as text
        assert [e[:3] for e in events] == [e[:3] for e in journaled(journal)]


def test_reingesting_the_same_file_adds_nothing(tmp_path, journal):
    data = wevtutil(fixture_records())
    first = ingest(tmp_path, journal, "security.xml", data)
    again = ingest(tmp_path, journal, "security.xml", data)
    assert first.total.events == 5 and again.total.accepted == 5
    assert (again.total.events, again.total.duplicates) == (0, 5)
    assert journal.counts()["events"] == 5


def test_the_element_s_bytes_are_the_record_and_its_id_input():
    records = fixture_records()
    data = wevtutil(records)
    framed = frames(data)
    assert [r.data for r in framed] == [render(record, "wevtutil").encode() for record in records]
    assert [r.origin for r in framed] == [f"f.xml#{n}" for n in range(1, 6)]
    assert {r.format_hint for r in framed} == {"windows_xml"}


def test_utf16_without_a_mark_and_a_utf8_mark_are_read_as_with_none(tmp_path):
    records = fixture_records()
    plain = "\n".join(render(record, "toxml") for record in records)
    for name, data in (("bare16.xml", plain.encode("utf-16-le")), ("bom8.xml", codecs.BOM_UTF8 + plain.encode()),
                       ("be16.xml", codecs.BOM_UTF16_BE + plain.encode("utf-16-be"))):
        path = tmp_path / name
        path.write_bytes(data)
        assert choose_reader(path, default_readers()).reader.name == "xml_events", name
        with Journal(tmp_path / f"{name}.sqlite") as journal:
            report = ingest_paths([path], store=None, journal=journal, progress=False)
            assert (report.total.accepted, report.total.rejected) == (5, 0), name


def test_a_declared_legacy_encoding_is_decoded():
    record = fixture_records()[0]
    record["Event"]["System"]["Computer"] = "PC-Müller"
    data = b'<?xml version="1.0" encoding="windows-1252"?>' + render(record, "toxml").encode("cp1252")
    (framed,) = frames(data)
    assert "<Computer>PC-Müller</Computer>" in framed.record


def test_events_across_read_blocks_are_framed_whole(corpus):
    # the corpus' EVTX records as the evtx library renders them (pretty, one declaration each), over 2 MiB
    texts = []
    for path in sorted(corpus.rglob("*.evtx")):
        texts += [item["data"] for item in PyEvtxParser(str(path)).records()]
    data = "\n".join(texts).encode() * 12
    assert len(data) > 2 << 20
    framed = frames(data)
    assert all(isinstance(r, RawRecord) for r in framed)
    expected = [text[text.index("<Event"):].rstrip() for text in texts] * 12
    assert [r.record for r in framed] == expected


@pytest.mark.parametrize(("data", "reason", "kept"), [
    (b"<Event><System/></Event>garbage<Event><System/></Event>", "text outside any <Event>", 2),
    # junk past the 64 KiB of a stretch kept to judge it, after blanks: still found
    (b"<Event><System/></Event>" + b" " * (70 << 10) + b"junk<Event><System/></Event>", "(71684 bytes", 2),
    (b"<Event><System><EventID>1</EventID><Event><System/></Event>", "cut short: another <Event> begins", 1),
    (b"<Event><System/></Event><Event><System>", "cut short: the file ends", 1),
    (b"<Events><Event/><Event><System/></Event></Events>", "empty <Event/>", 1),
    (b"<Event>" + b"x" * 5000 + b"</Event><Event><System/></Event>", "too long: 5015 bytes, over the limit of 4096", 1),
    (b"<Event>" + b"x" * 9000, "too long: over 9007 bytes with no </Event>", 0),
])
def test_what_is_not_one_event_is_rejected_with_its_reason_and_reading_goes_on(data, reason, kept):
    framed = frames(data, max_event_bytes=4096)
    errors = [r for r in framed if isinstance(r, ReadError)]
    assert len(errors) == 1 and reason in errors[0].reason
    assert sum(isinstance(r, RawRecord) for r in framed) == kept


def test_an_element_over_the_limit_is_never_held(tmp_path):
    # 48 MiB inside one element, limit 1 MiB: framing holds a block or two, not the element
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:
        handle.write(b"<Event><System><EventID>1</EventID></System><EventData><Data Name='a'>")
        for _ in range(48):
            handle.write(b"A" * (1 << 20))
        handle.write(b"</Data></EventData></Event><Event><System/></Event>")
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            framed = list(XmlEventsReader(max_event_bytes=1 << 20).read(handle, str(path)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [type(r).__name__ for r in framed] == ["ReadError", "RawRecord"]
    assert "too long" in framed[0].reason
    assert peak < 8 << 20


def test_sniff_claims_event_xml_and_nothing_else(fixtures):
    assert is_xml_events(b"\r\n  <Event xmlns='x'>") and is_xml_events(b"<?xml version='1.0'?><!-- x --><Events>")
    assert is_xml_events(BILLION_LAUGHS.encode())  # claimed, to be refused with its reason
    for head in (b"<EventData>", b"<13>Oct 11 22:14:15 h su: <Event>", b'{"Event": {}}', b"<html><Event>",
                 b"text <Event>"):
        assert not is_xml_events(head), head
    exports = fixtures / "windows_exports" / "events.xml"  # the one XML export among them (task IDS)
    for path in sorted((fixtures).rglob("*")):
        if path.is_file():
            reader = choose_reader(path, default_readers()).reader
            assert (reader is not None and reader.name == "xml_events") == (path == exports), path


def test_a_billion_laughs_file_is_refused_and_nothing_is_expanded(tmp_path, journal):
    started = time.process_time()
    report = ingest(tmp_path, journal, "lol.xml", BILLION_LAUGHS.encode())
    assert time.process_time() - started < 5
    assert (report.total.received, report.total.accepted, report.total.rejected) == (2, 0, 2)
    reasons = {r.origin.rsplit("/", 1)[1]: r.reason for r in journal.rejected()}
    assert "DTD (<!DOCTYPE>) in an XML event file: refused" in reasons["lol.xml:1"]
    assert "undeclared entity" in reasons["lol.xml#1"] and "no entity is ever expanded" in reasons["lol.xml#1"]
    assert all("lollol" not in (r.raw or "") for r in journal.rejected())


def test_an_external_entity_file_is_refused_and_nothing_is_read(tmp_path, journal):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (f'<?xml version="1.0"?><!DOCTYPE Event [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
            "<Event><System><EventID>1</EventID><TimeCreated SystemTime='2024-03-05T10:00:00Z'/>"
            "<Computer>&xxe;</Computer></System></Event>").encode()
    report = ingest(tmp_path, journal, "xxe.xml", data)
    assert (report.total.accepted, report.total.rejected) == (0, 2)
    assert all("TOP-SECRET" not in (r.raw or "") + r.reason for r in journal.rejected())
    assert journal.counts()["events"] == 0


def test_standard_input_is_read_as_a_file(tmp_path, journal):
    # Get-WinEvent ... | % { $_.ToXml() } piped on: UTF-16LE from PowerShell, through `graphsiem ingest -`
    report = ingest_paths(["-"], store=None, journal=journal, progress=False,
                          stdin=io.BytesIO(powershell(fixture_records())))
    assert (report.total.accepted, report.total.rejected) == (5, 0)
    assert report.formats["windows_xml"].accepted == 5
    assert {item.event.origin.rsplit("#", 1)[0] for item in journal.iter_events()} == {"<stdin>"}


class _CountingPattern:
    """A framing regex that adds to ``scanned`` the bytes each search looked at (to its match's end)."""

    def __init__(self, pattern, counter: list[int]) -> None:
        self.pattern, self.counter = pattern, counter

    def search(self, data, pos=0, endpos=None):
        endpos = len(data) if endpos is None else endpos
        found = self.pattern.search(data, pos, endpos)
        self.counter[0] += (found.end() if found else endpos) - pos
        return found


def test_unclosed_event_starts_are_framed_in_linear_work(monkeypatch):
    """'<Event>' * n: each start is cut short at the next; the end tag is looked for only before it."""
    from ingest.readers import xml_events

    scanned = [0]
    monkeypatch.setattr(xml_events, "_END", _CountingPattern(xml_events._END, scanned))
    monkeypatch.setattr(xml_events, "_START", _CountingPattern(xml_events._START, scanned))
    data = b"<Events>" + b"<Event>" * 5000
    framed = frames(data)
    assert len(framed) == 5000 and all("cut short" in r.reason for r in framed)
    assert scanned[0] <= 4 * len(data)  # was ~n²/2 bytes: 87 MB for these 35 KB


def _event(text: str) -> bytes:
    return f"<Event><System><EventID>{text}</EventID></System></Event".encode()


def test_an_end_tag_whose_blanks_cross_the_block_boundary_is_found():
    # '</Event' 60 bytes before 1 MiB, 80 blanks, its '>' in the next block (48 bytes are kept)
    first, second = _event("1") + b" " * 80 + b">", _event("2") + b">"
    blanks = b"\n" * ((1 << 20) - 60 - (len(_event("1")) - 7))  # between elements: blank is expected
    data = blanks + first + second
    assert data.index(b"</Event ") == (1 << 20) - 60
    assert [r.record for r in frames(data)] == [first.decode(), second.decode()]


@pytest.mark.parametrize("block_size", [32, 33, 47, 64, 100])
def test_framing_does_not_depend_on_the_block_size(block_size):
    data = b"".join(_event(str(n)) + b" \r\n\t" * n + b">" for n in range(1, 40)) + b"<Event>" + _event("x") + b">"
    whole = [(type(r).__name__, r.record if isinstance(r, RawRecord) else r.reason) for r in frames(data)]
    assert sum(name == "RawRecord" for name, _ in whole) == 40
    assert [(type(r).__name__, r.record if isinstance(r, RawRecord) else r.reason)
            for r in frames(data, block_size=block_size)] == whole


def test_an_over_long_element_whose_end_tag_blanks_cross_a_block_is_skipped_to_it():
    # the element over the limit is skipped to its own end tag, not to the next element's
    data = b"<Event>" + b"x" * ((1 << 20) - 37) + b"</Event" + b" " * 40 + b">" + _event("2") + b">"
    assert data.index(b"</Event") == (1 << 20) - 30
    framed = frames(data, max_event_bytes=4096)
    assert [type(r).__name__ for r in framed] == ["ReadError", "RawRecord"]
    assert "too long" in framed[0].reason


@pytest.mark.parametrize("name", ["hex", "rot13", "zlib", "base64", "utf-7", "unicode_escape", "idna", "cp037"])
def test_a_declared_name_that_is_no_ascii_text_encoding_is_read_as_utf8(tmp_path, name):
    record = fixture_records()[0]
    record["Event"]["System"]["Computer"] = "PC-Müller"
    data = f'<?xml version="1.0" encoding="{name}"?><Events>{render(record, "toxml")}</Events>'.encode()
    with Journal(tmp_path / "j.sqlite") as journal:
        report = ingest(tmp_path, journal, "declared.xml", data)
        assert (report.total.accepted, report.total.rejected) == (1, 0)
        (item,) = journal.iter_events()
        assert item.event.host == "pc-müller"


def test_an_element_over_one_mib_is_rejected_by_default_and_the_next_is_read(tmp_path):
    # a real event renders to ~100 KB at most (a 4104 block of 32k characters); 4 MiB of <a/> is none
    data = (b"<Events><Event><System><EventID>1</EventID></System><UserData>" + b"<a/>" * ((1 << 20) // 4)
            + b"</UserData></Event>" + wevtutil(fixture_records()[:1]) + b"</Events>")
    with Journal(tmp_path / "j.sqlite") as journal:
        report = ingest(tmp_path, journal, "big.xml", data)
        assert (report.total.accepted, report.total.rejected) == (1, 1)
    framed = frames(data)
    assert "too long" in framed[0].reason and "limit of 1048576 bytes" in framed[0].reason
