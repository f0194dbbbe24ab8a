"""Tests of the Zeek TSV reader over the project's own small logs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.readers.base import RawRecord, ReadError
from ingest.readers.zeek_tsv import ZeekTsvReader, log_name, readers, unescape

FIXTURE = Path(__file__).parents[1] / "parsers" / "fixtures" / "zeek" / "conn_http.log"
READER = ZeekTsvReader()

HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
    "#path\tdemo\n#fields\tts\tn\tname\ttags\n#types\ttime\tcount\tstring\tset[string]\n"
)


def read_text(text: str, path: str = "demo.log") -> list[RawRecord | ReadError]:
    return list(READER.read(io.BytesIO(text.encode()), path))


def read_fixture() -> list[RawRecord | ReadError]:
    with FIXTURE.open("rb") as stream:
        return list(READER.read(stream, "conn_http.log"))


def test_concatenated_logs_give_every_row_with_its_own_path() -> None:
    items = read_fixture()
    assert all(isinstance(item, RawRecord) for item in items)
    assert [item.record["_path"] for item in items] == ["conn"] * 2 + ["http"] * 3


def test_types_drive_values() -> None:
    first, second = (item.record for item in read_fixture()[:2])
    assert first["ts"] == 1767607200.125
    assert first["id.orig_p"] == 49152
    assert first["duration"] == 1.5
    assert first["orig_bytes"] == 1024
    assert first["local_orig"] is True and second["local_orig"] is False
    assert first["tunnel_parents"] == []
    assert second["tunnel_parents"] == ["CTun1", "CTun2"]


def test_unset_field_leaves_key_out() -> None:
    second = read_fixture()[1].record
    assert "duration" not in second and "orig_bytes" not in second


def test_escapes_are_undone_after_splitting() -> None:
    http = [item.record for item in read_fixture()[2:]]
    assert http[0]["user_agent"] == "Mozilla/5.0\t(test)"
    assert http[2]["uri"] == "/a\\b"
    assert http[2]["user_agent"] == ""  # "(empty)" string
    assert http[2]["resp_mime_types"] == ["text/plain", "application/json"]


def test_record_metadata() -> None:
    item = read_fixture()[0]
    assert isinstance(item, RawRecord)
    assert item.origin == "conn_http.log:9"
    assert item.format_hint == "zeek"
    assert item.path_hint == "conn"
    assert item.text.startswith("conn\t1767607200.125000\t")


def test_identical_lines_in_different_logs_have_different_text() -> None:
    row = "1.000000\t1\tx\t(empty)\n"
    one = read_text(HEADER + row)[0]
    other = read_text(HEADER.replace("#path\tdemo", "#path\tother") + row)[0]
    assert isinstance(one, RawRecord) and isinstance(other, RawRecord)
    assert one.text != other.text


def test_wrong_number_of_values_is_a_read_error_and_reading_goes_on() -> None:
    items = read_text(HEADER + "1.0\t1\n2.0\t2\tok\ta,b\n#close\t2026-01-05-11-00-00\n")
    assert isinstance(items[0], ReadError)
    assert items[0].origin == "demo.log:8"
    assert "2 values" in items[0].reason and "4" in items[0].reason
    assert isinstance(items[1], RawRecord) and items[1].record["tags"] == ["a", "b"]


class _RecordingStream(io.BytesIO):
    """Remembers the most bytes one read returned: what the reader held of a line at once."""

    most = 0

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.most = max(self.most, len(line))
        return line

    def __iter__(self):  # the reader must not iterate lines whole
        raise AssertionError("lines read unbounded")


def test_an_over_long_row_is_a_read_error_and_never_held_whole() -> None:
    long_row = "2.0\t2\t" + "x" * 5000 + "\t-"
    data = (HEADER + "1.0\t1\tok\t-\n" + long_row + "\n3.0\t3\tok\t-\n").encode()
    stream = _RecordingStream(data)
    items = list(ZeekTsvReader(max_line_bytes=256).read(stream, "demo.log"))
    assert stream.most <= 257  # the limit and one byte to tell a full line from a cut one
    assert [type(i).__name__ for i in items] == ["RawRecord", "ReadError", "RawRecord"]
    assert items[1].origin == "demo.log:9"
    assert items[1].reason == f"line too long: {len(long_row)} bytes, over the limit of 256 bytes"
    assert [i.record["n"] for i in items if isinstance(i, RawRecord)] == [1, 3]  # the rest of the file goes on


def test_an_over_long_row_is_rejected_by_the_pipeline(tmp_path) -> None:
    from ingest.journal import Journal
    from ingest.pipeline import ingest_paths
    from ingest.readers.files import default_readers

    path = tmp_path / "conn.log"
    path.write_bytes(FIXTURE.read_bytes().replace(b"\n#close", b"\n" + b"y" * 3000 + b"\n#close", 1))
    readers = [ZeekTsvReader(max_line_bytes=1024) if r.name == "zeek_tsv" else r for r in default_readers()]
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False, readers=readers)
        (rejection,) = journal.rejected()
    assert report.files[str(path)].reader == "zeek_tsv"
    assert (report.total.received, report.total.accepted, report.total.rejected) == (6, 5, 1)
    assert rejection.reason == "line too long: 3000 bytes, over the limit of 1024 bytes"
    assert rejection.origin.startswith(f"{path}:")


def test_the_default_limit_is_the_ndjson_one() -> None:
    from ingest.readers.ndjson import NdjsonReader

    assert ZeekTsvReader().max_line_bytes == NdjsonReader().max_line_bytes == 16 << 20


def test_bad_typed_value_names_the_field() -> None:
    (item,) = read_text(HEADER + "1.0\tmany\tx\t-\n")
    assert isinstance(item, ReadError)
    assert "'n'" in item.reason


def test_row_before_fields_header_is_a_read_error() -> None:
    (item,) = read_text("#separator \\x09\n1.0\tx\n")
    assert isinstance(item, ReadError) and "#fields" in item.reason


def test_rows_after_close_need_a_new_header_block() -> None:
    """Zeek writes nothing after #close: an appended row is a read error, a new block reads again."""
    items = read_text(HEADER + "1.0\t1\ta\tx\n#close\t2026-01-05-10-00-00\n2.0\t2\tb\ty\n"
                      + HEADER + "3.0\t3\tc\tz\n")
    assert [type(item).__name__ for item in items] == ["RawRecord", "ReadError", "RawRecord"]
    assert "after #close" in items[1].reason and items[1].origin == "demo.log:10"
    assert [item.record["n"] for item in items if isinstance(item, RawRecord)] == [1, 3]


def test_mismatched_types_header_is_a_read_error() -> None:
    items = read_text("#separator \\x09\n#fields\ta\tb\n#types\tstring\n")
    assert isinstance(items[0], ReadError) and "#types" in items[0].reason


def test_custom_separators_and_markers() -> None:
    text = (
        "#separator \\x7c\n#set_separator|;\n#empty_field|EMPTY\n#unset_field|NIL\n"
        "#fields|ts|tags|note\n#types|time|vector[count]|string\n"
        "5.5|1;2;3|NIL\n6.5|EMPTY|a\\x7cb\n"
    )
    first, second = (item.record for item in read_text(text, "x/notes.log"))  # type: ignore[union-attr]
    # no #path: the record has no _path, the parser tells the log (file name as a hint)
    assert first == {"ts": 5.5, "tags": [1, 2, 3]}
    assert second == {"ts": 6.5, "tags": [], "note": "a|b"}


def test_fields_without_types_stay_strings() -> None:
    (item,) = read_text("#separator \\x09\n#path\tp\n#fields\ta\tb\n1\t-\n")
    assert isinstance(item, RawRecord)
    assert item.record == {"_path": "p", "a": "1"}


@pytest.mark.parametrize(
    ("head", "is_zeek"),
    [(b"#separator \\x09\n#set_separator\t,", True), (b'{"_path":"conn"}', False), (b"", False)],
)
def test_sniff(head: bytes, is_zeek: bool) -> None:
    assert READER.sniff(head, "x.log") is is_zeek


@pytest.mark.parametrize(
    ("path", "name"),
    [("conn.log", "conn"), ("/a/b/conn.00:00:00-01:00:00.log.gz", "conn"), ("dns", "dns")],
)
def test_log_name(path: str, name: str) -> None:
    assert log_name(path) == name


def test_unescape() -> None:
    assert unescape("a\\x09b\\\\c\\x2cd") == "a\tb\\c,d"
    assert unescape("plain") == "plain"


@pytest.mark.parametrize(
    ("escaped", "text"),
    [
        ("caf\\xc3\\xa9", "café"),  # older Zeek escapes every non-ASCII byte: UTF-8, not Latin-1
        ("\\xe2\\x82\\xac 5", "€ 5"),
        ("\\xf0\\x9f\\x98\\x80\\x09x", "\U0001f600\tx"),  # one run: emoji then tab
        ("\\xC3\\xA9", "é"),  # either hex case
        # not UTF-8: the byte keeps its \xNN text (lower case), as Zeek's JSON writer writes it
        ("caf\\xe9", "caf\\xe9"),
        ("\\xff\\xc3\\xa9\\xc3", "\\xffé\\xc3"),  # valid bytes of a run still decode
        ("\\\\xc3\\xa9", "\\xc3\\xa9"),  # an escaped backslash starts no escape: "\" then "xc3", then \xa9
    ],
)
def test_runs_of_escaped_bytes_are_utf8(escaped: str, text: str) -> None:
    assert unescape(escaped) == text


def test_tsv_values_read_like_zeeks_json_writes_them() -> None:
    """The same value in TSV (bytes escaped) and in JSON (UTF-8 text) is one value."""
    (item,) = read_text(HEADER + "1.0\t1\tcaf\\xc3\\xa9\\x2c na\\xc3\\xafve\tr\\xc3\\xa9sum\\xc3\\xa9,\\xff\n")
    assert isinstance(item, RawRecord)
    assert (item.record["name"], item.record["tags"]) == ("café, naïve", ["résumé", "\\xff"])


def test_a_raw_byte_that_is_not_utf8_reads_as_its_escape() -> None:
    """A log with a raw Latin-1 byte: the same text as Zeek's escape of that byte."""
    raw = READER.read(io.BytesIO(HEADER.encode() + b"1.0\t1\tcaf\xe9\t-\n"), "demo.log")
    (item,) = list(raw)
    assert isinstance(item, RawRecord) and item.record["name"] == "caf\\xe9"


def test_readers_lists_the_reader() -> None:
    assert [reader.name for reader in readers()] == ["zeek_tsv"]


_row_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=40
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_row_text, min_size=1, max_size=6))
def test_any_row_is_a_record_or_a_read_error(rows: list[str]) -> None:
    data_rows = [row for row in rows if row and not row.startswith("#")]
    items = read_text(HEADER + "\n".join(rows) + "\n")
    header_errors = [
        item
        for item in items
        if isinstance(item, ReadError) and item.reason.startswith("Zeek TSV header")
    ]
    assert len(items) - len(header_errors) == len(data_rows)
    for item in items:
        if isinstance(item, ReadError):
            assert item.reason and item.origin.startswith("demo.log:")


def test_a_log_without_path_is_told_by_its_fields_not_the_first_token_of_its_name(tmp_path: Path) -> None:
    from ingest.journal import Journal
    from ingest.pipeline import ingest_paths

    dns = (
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\n"
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tstring\tstring\n"
        "1767607200.5\tCa1\t10.0.0.5\t53000\t10.0.0.1\t53\tudp\tcdn.example.net\tA\tNOERROR\n"
    )
    path = tmp_path / "sensor1-dns.log"
    path.write_text(dns)
    [item] = read_text(dns, str(path))
    assert isinstance(item, RawRecord)
    assert "_path" not in item.record and item.path_hint == "sensor1-dns.log"
    assert item.text.startswith("sensor1-dns\t")  # the id's text as before: same event ids
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([path], store=None, journal=journal, progress=False)
        [row] = list(journal.iter_events())
    assert row.event.kind == "zeek:dns"  # was zeek:sensor1-dns, with no DNS fields
    assert row.event.fields["dns.question.name"] == "cdn.example.net"
