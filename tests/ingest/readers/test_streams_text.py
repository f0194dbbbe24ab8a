"""Which encoding a file's first bytes are: UTF-16/32 without a byte-order mark, and what is not."""

from __future__ import annotations

import codecs
import gzip

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ingest.readers.streams import GZIP_MAGIC
from ingest.readers.streams_text import SNIFF_BYTES, as_utf8, text_encoding

UNMARKED = ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]


SYSLOG_LINE = "<13>Jan  1 00:00:00 h app: x\n"
# (first bytes, what the sniff must say): starts of text and of the other files a folder holds
NOT_UNMARKED_TEXT = {
    "utf-8-json": b'{"a": 1}\n',
    "utf-8-with-nuls-later": b'{"a": 1}\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00',
    "utf-8-one-character-then-nuls": b"{" + bytes(SNIFF_BYTES),
    # logrotate's copytruncate: the writer goes on at its offset, the file starts with a hole
    "nul-padding-then-text": bytes(64) + SYSLOG_LINE.encode(),
    "gzip": gzip.compress(SYSLOG_LINE.encode("utf-16-le")),
    "evtx": b"ElfFile\x00" + bytes(8) + b"\x01\x00\x00\x00\x00\x00\x00\x00" + bytes(16),
    "windows-pe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00",
    "pcap": b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes(24),
    "sqlite": b"SQLite format 3\x00\x10\x00\x01\x01",
    # UTF-16 code units with a control character, or too few of them to decide: left alone
    "utf-16-le-control-character": "\x01\x02abcdefgh".encode("utf-16-le"),
    "utf-16-le-three-units": "{}\n".encode("utf-16-le"),
    "utf-16-le-non-ascii-early": '{"é": 1}'.encode("utf-16-le"),
    "utf-8-mark": codecs.BOM_UTF8 + b'{"a": 1}\n',
}


@pytest.mark.parametrize("head", NOT_UNMARKED_TEXT.values(), ids=NOT_UNMARKED_TEXT)
def test_other_files_are_not_taken_for_unmarked_utf16(head):
    assert text_encoding(head[:SNIFF_BYTES]) is None
    if head.startswith(codecs.BOM_UTF8):
        assert as_utf8(head) == head[len(codecs.BOM_UTF8) :]  # only the UTF-8 mark is dropped
    else:
        assert as_utf8(head) is head


def test_no_sample_file_is_taken_for_utf16(samples_dir):
    # the real corpus (EVTX, Zeek, EVE, Windows JSON, syslog): every one read as it is
    heads = {}
    for path in sorted(p for p in samples_dir.rglob("*") if p.is_file()):
        with path.open("rb") as raw:
            head = raw.read(SNIFF_BYTES)
        if head.startswith(GZIP_MAGIC):
            with gzip.open(path) as unpacked:
                head = unpacked.read(SNIFF_BYTES)
        heads[path.relative_to(samples_dir).as_posix()] = head
    assert len(heads) > 40 and any(h.startswith(b"ElfFile\x00") for h in heads.values())
    assert {name: text_encoding(head) for name, head in heads.items() if text_encoding(head)} == {}


@pytest.mark.parametrize("start", ["{", "[", "#", "<", "2", "J", "\r\n", "\t"])
@pytest.mark.parametrize("encoding", UNMARKED)
def test_every_start_of_telemetry_is_recognised_in_every_unmarked_encoding(encoding, start):
    text = start + '"@timestamp": "2024-03-01T10:00:00Z"\n'
    assert text_encoding(text.encode(encoding)[:SNIFF_BYTES]) == (encoding, 0)
    assert as_utf8(text.encode(encoding)) == text.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(text=st.text(), later=st.binary(max_size=64))
def test_utf8_text_is_never_taken_for_utf16_whatever_follows(text, later):
    # UTF-8 has a NUL byte only for U+0000: text without one in its first two bytes
    # is never transcoded, NULs after them or not
    data = text.replace("\x00", "").encode("utf-8")
    assume(len(data) >= 2)
    assert text_encoding((data + later)[:SNIFF_BYTES]) is None


@settings(max_examples=300, deadline=None)
@given(start=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=8, max_size=8),
       rest=st.text(), encoding=st.sampled_from(UNMARKED))
def test_text_with_eight_ascii_characters_first_round_trips_in_every_encoding(start, rest, encoding):
    text = start + rest
    assert as_utf8(text.encode(encoding)) == text.encode("utf-8")
