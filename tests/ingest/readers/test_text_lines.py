"""Text line reader: the line as read is the record and its canonical text."""

from __future__ import annotations

import io

from ingest.readers.text_lines import TextLinesReader, looks_like_text


def test_lines_lose_crlf_and_blank_lines_are_skipped(fixtures):
    with open(fixtures / "lines.log", "rb") as stream:
        items = list(TextLinesReader().read(stream, "l.log"))
    assert [i.origin for i in items] == ["l.log:1", "l.log:3"]
    assert items[0].record == items[0].text == "Mar  1 10:00:00 ws-0004 sshd[123]: Accepted publickey for bob"


def test_invalid_utf8_is_written_as_escapes_not_lost():
    # review R2 item 5: no silent U+FFFD; the id hashes the bytes as read
    items = list(TextLinesReader().read(io.BytesIO(b"abc\xff\xfedef\n"), "x"))
    assert items[0].record == "abc\\xff\\xfedef"
    assert items[0].data == b"abc\xff\xfedef"


def test_binary_is_not_text():
    assert not looks_like_text(b"\x00\x01\x02binary")
    assert not looks_like_text(b"")
    assert looks_like_text("héllo wörld\n".encode())


def test_over_long_lines_are_rejected_without_reading_them_whole():
    from ingest.readers.base import ReadError
    from ingest.readers.text_lines import TooLongLine, iter_lines

    data = b"short\n" + b"x" * 100 + b"\r\nafter\n" + b"y" * 50
    # the marker is an (empty) bytes object: tell it apart by its class, not by value;
    # its length counts the bytes before the newline, a \r among them
    assert [
        (n, line.length if isinstance(line, TooLongLine) else line) for n, line in iter_lines(io.BytesIO(data), 20)
    ] == [(1, b"short\n"), (2, 101), (3, b"after\n"), (4, 50)]
    items = list(TextLinesReader().read(io.BytesIO(b"ok\n"), "f"))
    assert not isinstance(items[0], ReadError)
