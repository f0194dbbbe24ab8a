"""A syslog message's bytes that are not UTF-8 stay recoverable, as in a text file.

The listener decodes each message once; ``errors="replace"`` turned every bad
byte into U+FFFD, so an analyst could not tell which byte a sender had sent
(an attacker's ``\\xff`` and a Latin-1 ``é`` read alike).  Now they are written
``\\xNN`` (the rule of ``ingest.readers.text_lines`` for files and bodies).
"""

from __future__ import annotations

from graphsiem.syslog_listener import TcpFramer


def test_bad_bytes_of_a_tcp_line_are_written_as_escapes() -> None:
    framer = TcpFramer(max_message=1024)
    assert framer.feed(b"<13>Nov 20 09:00:00 h app: caf\xe9 \xff\xfe ok\n") == [
        "<13>Nov 20 09:00:00 h app: caf\\xe9 \\xff\\xfe ok"]


def test_bad_bytes_of_an_octet_counted_frame_are_written_as_escapes() -> None:
    framer = TcpFramer(max_message=1024)
    assert framer.feed(b"9 <13>a \xc3(b") == ["<13>a \\xc3(b"]


def test_valid_utf8_and_a_leading_bom_are_unchanged() -> None:
    framer = TcpFramer(max_message=1024)
    assert framer.feed("\ufeff<13>1 - h app - - - déjà vu\n".encode()) == ["<13>1 - h app - - - déjà vu"]
