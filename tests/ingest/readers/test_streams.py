"""Byte streams under the readers: gzip member by member, UTF-16/32 transcoded to UTF-8."""

from __future__ import annotations

import codecs
import gzip
import io
import zlib

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ingest.readers import streams
from ingest.readers.files import open_binary, read_head
from ingest.readers.streams import (
    DamagedFileError,
    Utf8Transcoder,
    as_utf8,
    bom_encoding,
)
from tests.ingest.readers.test_streams_text import UNMARKED
from tests.zlib_counting import CountingZlib

ROWS = b'{"a":1}\n{"a":2}\n{"a":3}\n'


def read_all(path) -> bytes:
    with open_binary(path) as stream:
        return stream.read()


def read_lines_until_damage(path) -> tuple[list[bytes], OSError | None]:
    """The lines a reader frames (``readline`` as the NDJSON reader calls it), then the error if any."""
    lines: list[bytes] = []
    try:
        with open_binary(path) as stream:
            while line := stream.readline():
                lines.append(line)
    except OSError as exc:
        return lines, exc
    return lines, None


# -- gzip ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "members",
    [
        [ROWS],
        [ROWS, ROWS],  # cat a.gz b.gz
        [b"", ROWS, b""],  # empty members before and after
        [b'{"a":1}\n{"a"', b':2}\n'],  # a line split across two members
        [b""],
    ],
)
def test_gzip_members_are_read_one_after_another(tmp_path, members):
    path = tmp_path / "m.gz"
    path.write_bytes(b"".join(gzip.compress(m, mtime=0) for m in members))
    assert read_all(path) == b"".join(members)


def test_gzip_header_fields_and_zero_padding_are_read_like_gnu_gzip(tmp_path):
    with io.BytesIO() as buffer:
        with gzip.GzipFile(filename="conn.log", mode="wb", fileobj=buffer, mtime=1767607200) as packed:
            packed.write(ROWS)  # FNAME and MTIME set in the header
        member = buffer.getvalue()
    path = tmp_path / "conn.log.gz"
    path.write_bytes(member + b"\x00" * 512 + member + b"\x00" * 100)  # tape-block padding
    assert read_all(path) == ROWS * 2


def test_trailing_garbage_keeps_the_members_and_then_raises_an_oserror(tmp_path):
    path = tmp_path / "junk.gz"
    member = gzip.compress(ROWS)
    path.write_bytes(member + b"JUNK after the member")
    lines, error = read_lines_until_damage(path)
    assert b"".join(lines) == ROWS  # GNU gzip keeps them too ("trailing garbage ignored")
    assert isinstance(error, DamagedFileError) and isinstance(error, OSError)
    assert str(error) == (
        f"{path}: data at byte {len(member)} after gzip member 1 is not gzip "
        "(trailing garbage; the members before it were read)"
    )
    assert read_head(path) == ROWS  # the sniff sees the data: the damage is reported when the file is read


@pytest.mark.parametrize("cut", [2, 10, 11])
def test_a_file_truncated_before_any_data_raises_an_oserror_from_read_head(tmp_path, cut):
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(ROWS)[:cut])  # 11 bytes: the audit's file (EOFError before)
    with pytest.raises(DamagedFileError, match=r"short\.gz: the file ends inside gzip member 1 \(truncated\)"):
        read_head(path)


def test_a_file_truncated_later_keeps_the_lines_before_the_cut(tmp_path):
    rows = b"".join(b'{"n":%d,"pad":"%s"}\n' % (n, b"x" * (n % 7)) for n in range(20_000))
    packed = gzip.compress(rows, compresslevel=1)
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    lines, error = read_lines_until_damage(path)
    assert isinstance(error, DamagedFileError) and "truncated" in str(error)
    assert 1000 < len(lines) < 20_000
    assert lines == rows.splitlines(keepends=True)[: len(lines)]  # whole lines, none altered


def test_a_corrupt_member_raises_an_oserror_naming_it(tmp_path):
    packed = bytearray(gzip.compress(ROWS) * 2)
    packed[-6] ^= 0xFF  # the second member's CRC-32
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(packed))
    lines, error = read_lines_until_damage(path)
    # the first member's lines; none of the second's, whose check fails in the call that inflates it
    # (a long member gives what came out before its end, as GNU gzip does)
    assert b"".join(lines) == ROWS
    assert isinstance(error, DamagedFileError)
    assert str(error).startswith(f"{path}: gzip member 2 is corrupt (")


def test_a_damaged_file_keeps_raising_after_the_damage(tmp_path):
    path = tmp_path / "junk.gz"
    path.write_bytes(gzip.compress(ROWS) + b"junk")
    with open_binary(path) as stream:
        assert stream.read(len(ROWS)) == ROWS
        for _ in range(2):
            with pytest.raises(DamagedFileError):
                stream.read()


@settings(max_examples=150, deadline=None)
@given(
    members=st.lists(st.binary(max_size=300), min_size=1, max_size=3),
    damage=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=3),
    cut=st.none() | st.integers(0, 10_000),
    tail=st.binary(max_size=8),
)
@example(members=[codecs.BOM_UTF8], damage=[], cut=None, tail=b"")  # the mark is dropped (found by hypothesis)
@example(members=['{"a": 1}'.encode("utf-16")], damage=[], cut=None, tail=b"")  # transcoded
def test_only_oserrors_come_out_of_a_damaged_gzip(tmp_path_factory, members, damage, cut, tail):
    packed = bytearray(b"".join(gzip.compress(m) for m in members))
    for at, value in damage:
        packed[at % len(packed)] = value
    if cut is not None:
        del packed[max(2, cut % len(packed)) :]
    data = streams.GZIP_MAGIC + bytes(packed[2:]) + tail
    path = tmp_path_factory.mktemp("gz") / "f.gz"
    path.write_bytes(data)
    try:  # anything but an OSError (EOFError, zlib.error, BadGzipFile) fails the test
        read_head(path)
    except OSError:
        pass
    try:
        mine: bytes | None = read_all(path)
    except OSError:
        mine = None
    # open_binary drops a UTF-8 mark and transcodes UTF-16/32 after gunzipping, as as_utf8 does in memory
    if not damage and cut is None and not tail.strip(b"\x00"):
        assert mine == as_utf8(b"".join(members))
    try:
        expected: bytes | None = gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        expected = None
    if mine is not None and expected is not None:
        assert mine == as_utf8(expected)


@pytest.mark.parametrize("padding", [b"", b"\x00"], ids=["members", "zero-padded"])
def test_many_tiny_gzip_members_take_linear_work(tmp_path, monkeypatch, padding):
    # 50,000 empty 20-byte members: fed whole 8 KiB reads, each member made zlib copy the
    # rest of its read back (~4 KiB a member, ~200 MB in all); fed small slices that
    # double, a member costs what it is plus a slice (8 MiB of them: 1.2 CPU-s -> ~0.6)
    count = 50_000
    path = tmp_path / "empty-members.gz"
    path.write_bytes((gzip.compress(b"") + padding) * count + gzip.compress(ROWS))
    counting = CountingZlib(budget=path.stat().st_size + count * 600)
    monkeypatch.setattr(streams, "zlib", counting)
    assert read_all(path) == ROWS
    assert counting.fed >= path.stat().st_size - count * len(padding)  # every member was read


def _pack(data: bytes, wbits: int) -> bytes:
    packer = zlib.compressobj(level=9, wbits=wbits)
    return packer.compress(data) + packer.flush()


def _read_in_pieces(packed: bytes, wbits: int, size: int) -> bytes:
    stream = streams.GzipMembers(io.BytesIO(packed), "body", wbits=wbits)
    out, piece = bytearray(), bytearray(size)
    while count := stream.readinto(piece):
        out += piece[:count]
    return bytes(out)


# Texts whose raw deflate (level 9) ends in a match that a 1-byte read cuts after zlib took
# the last input (found by search: about 1 read size in 25 of random texts does this)
CUT_LAST_MATCH = [b"abcaacabcacaaabbaaacb" + b"z" * 63, b"aacccaccbaaacabbacacbccaacccabaccacac" + b"z" * 213]


@pytest.mark.parametrize("data", [*CUT_LAST_MATCH, bytes(range(200)) * 7 + b"a" * 2000],
                         ids=["cut-match-1", "cut-match-2", "long-match"])
@pytest.mark.parametrize("wbits", [31, 15, -15], ids=["gzip", "zlib", "raw-deflate"])
def test_every_read_size_gives_the_whole_stream(wbits, data):
    # zlib may have taken all the input and still hold output when a read is full: raw
    # deflate has no trailer after its last match, so that output must be asked for at
    # the end of the input, not taken for a truncation
    packed = _pack(data, wbits)
    assert all(_read_in_pieces(packed, wbits, size) == data for size in range(1, 300))


@pytest.mark.parametrize(("wbits", "tail"), [(15, b"\x00"), (-15, b"x"), (15, _pack(b"more", 15))],
                         ids=["zlib-then-zero", "raw-then-byte", "zlib-twice"])
def test_a_single_stream_takes_nothing_after_it(wbits, tail):
    # zlib and raw deflate (HTTP's deflate) are one stream: no padding, no second member
    packed = _pack(ROWS, wbits)
    stream = streams.GzipMembers(io.BytesIO(packed + tail), "body", wbits=wbits)
    assert stream.read(len(ROWS)) == ROWS
    with pytest.raises(DamagedFileError) as raised:
        stream.read(1)
    assert (raised.value.damage, raised.value.at) == ("trailing", len(packed))
    assert str(raised.value) == f"body: data at byte {len(packed)} after the deflate stream (trailing garbage)"


@pytest.mark.parametrize(("packed", "damage", "at"), [
    (gzip.compress(ROWS)[:-3], "truncated", 0),
    (gzip.compress(ROWS) + b"\x00\x00junk", "trailing", len(gzip.compress(ROWS)) + 2),
    (gzip.compress(ROWS)[:-8] + b"\x00" * 8, "corrupt", 0),
], ids=["truncated", "trailing", "corrupt"])
def test_the_damage_is_named_for_callers_that_word_it_their_way(packed, damage, at):
    # the API's 400 says "N bytes of other data" from `at`, "truncated", or zlib's complaint
    stream = streams.GzipMembers(io.BytesIO(packed), "body")
    with pytest.raises(DamagedFileError) as raised:
        stream.read()
    assert (raised.value.damage, raised.value.at) == (damage, at)
    assert (raised.value.detail == "Error -3 while decompressing data: incorrect data check") == (damage == "corrupt")


# -- UTF-16 / UTF-32 ---------------------------------------------------------------------
TEXT = '{"user": "Zoë", "cmd": "ping ✓ 😀"}\r\n{"b": 2}\r\n'


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_text_with_a_byte_order_mark_is_read_as_utf8(tmp_path, encoding):
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
           "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}[encoding]
    path = tmp_path / "export.json"
    path.write_bytes(bom + TEXT.encode(encoding))
    assert read_all(path) == read_head(path) == TEXT.encode("utf-8")
    packed = tmp_path / "export.json.gz"
    packed.write_bytes(gzip.compress(bom + TEXT.encode(encoding)))
    assert read_all(packed) == TEXT.encode("utf-8")


def test_utf8_and_files_without_a_mark_are_not_transcoded(tmp_path):
    path = tmp_path / "plain.json"
    path.write_bytes(codecs.BOM_UTF8 + b'{"a": 1}\n')
    with open_binary(path) as stream:
        assert isinstance(stream, io.BufferedReader) and isinstance(stream.raw, io.FileIO)
        assert stream.read() == b'{"a": 1}\n'  # the stream skips a UTF-8 mark (test_utf8_bom.py)
    assert bom_encoding(b"\xff\xfe\x00\x00{") == ("utf-32-le", 4)  # not UTF-16LE's mark and a NUL
    assert bom_encoding(b"\xef\xbb\xbf{") is None


@pytest.mark.parametrize("chunk", [1, 2, 3, 5])
def test_characters_cut_by_the_decoding_chunks_are_whole(monkeypatch, chunk):
    monkeypatch.setattr(streams, "_TEXT_CHUNK", chunk)  # surrogate pairs and code units cut everywhere
    encoded = io.BufferedReader(io.BytesIO(TEXT.encode("utf-16-le")))
    with io.BufferedReader(Utf8Transcoder(encoded, "utf-16-le")) as stream:
        assert stream.read() == TEXT.encode("utf-8")


def test_invalid_utf16_becomes_replacement_characters():
    # a lone high surrogate, then a last byte without its pair
    encoded = io.BufferedReader(io.BytesIO("a".encode("utf-16-le") + b"\x00\xd8" + "b".encode("utf-16-le") + b"c"))
    with io.BufferedReader(Utf8Transcoder(encoded, "utf-16-le")) as stream:
        assert stream.read().decode("utf-8") == "a\ufffdb\ufffd"


def test_transcoding_reads_the_file_a_chunk_at_a_time(monkeypatch):
    monkeypatch.setattr(streams, "_TEXT_CHUNK", 4096)
    sizes: list[int] = []

    class Recording(io.BytesIO):
        def read1(self, size: int = -1) -> bytes:
            sizes.append(size)
            return super().read1(size)

    text = ('{"k": "' + "é" * 100 + '"}\n') * 2000
    with io.BufferedReader(Utf8Transcoder(Recording(text.encode("utf-16-le")), "utf-16-le")) as stream:
        assert sum(1 for _ in stream) == 2000
    assert max(sizes) == 4096 and len(sizes) > 100  # bounded reads, never the whole file


# -- UTF-16 / UTF-32 without a byte-order mark --------------------------------------------


@pytest.mark.parametrize("encoding", UNMARKED)
@pytest.mark.parametrize("packing", [bytes, gzip.compress], ids=["plain", "gzip"])
def test_text_without_a_byte_order_mark_is_read_as_utf8(tmp_path, encoding, packing):
    # .NET's Encoding.Unicode.GetBytes, WriteAllText with an encoding that emits no mark,
    # iconv -t UTF-16LE: before, the readers saw NULs between the characters
    path = tmp_path / "export.json"
    path.write_bytes(packing(TEXT.encode(encoding)))
    assert read_all(path) == read_head(path) == TEXT.encode("utf-8")
    with open_binary(path) as stream:
        assert isinstance(stream.raw, Utf8Transcoder)
