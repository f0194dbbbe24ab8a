"""Gzip and UTF-16 decoders over a live pipe that pauses: a pause is neither the end nor a wait for 64 KiB.

A real OS pipe, written by a thread that sends the first records (a gzip
``Z_SYNC_FLUSH``, as a compressor flushing its output does; UTF-16 code
units), then holds the pipe open until the test has read them.  The decoders
read through :class:`~ingest.readers.streams.LiveSource` as
:func:`ingest.readers.files.open_stream` stacks them.  Deadlines are generous
bounds on waiting, not claims about speed.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from ingest.readers.streams import GzipMembers, LiveSource, ReadAhead, Utf8Transcoder

DEADLINE = 30.0
RECORDS = [b'{"n": %d, "message": "r\xc3\xa9cord %d"}\n' % (n, n) for n in range(40)]
FIRST, REST = b"".join(RECORDS[:5]), b"".join(RECORDS[5:])


def gzip_parts(first: bytes, rest: bytes) -> tuple[bytes, bytes]:
    """``first`` compressed and flushed (the reader can decode all of it), then ``rest`` and the trailer."""
    packer = zlib.compressobj(wbits=31)
    return packer.compress(first) + packer.flush(zlib.Z_SYNC_FLUSH), packer.compress(rest) + packer.flush()


def utf16_parts(first: bytes, rest: bytes) -> tuple[bytes, bytes]:
    return first.decode().encode("utf-16-le"), rest.decode().encode("utf-16-le")


def gzip_utf16_parts(first: bytes, rest: bytes) -> tuple[bytes, bytes]:
    return gzip_parts(*utf16_parts(first, rest))


def gzip_decoder(below: io.BufferedReader, live: LiveSource | None) -> io.BufferedReader:
    return io.BufferedReader(GzipMembers(below, "<stdin>", live=live, is_live=True))


def utf16_decoder(below: io.BufferedReader, live: LiveSource | None) -> io.BufferedReader:
    return io.BufferedReader(Utf8Transcoder(below, "utf-16-le", live=live))


def gzip_utf16_decoder(below: io.BufferedReader, live: LiveSource | None) -> io.BufferedReader:
    return utf16_decoder(gzip_decoder(below, live), live)


CASES = [
    pytest.param(gzip_parts, gzip_decoder, id="gzip"),
    pytest.param(utf16_parts, utf16_decoder, id="utf-16"),
    pytest.param(gzip_utf16_parts, gzip_utf16_decoder, id="gzip utf-16"),
]


@contextmanager
def held_pipe(first: bytes, rest: bytes) -> Iterator[tuple[int, threading.Event, threading.Event]]:
    """A pipe's read end, written ``first``, then ``rest`` once ``release`` is set; ``closed`` when done."""
    read_end, write_end = os.pipe()
    release, closed = threading.Event(), threading.Event()

    def write() -> None:
        try:
            os.write(write_end, first)
            release.wait(DEADLINE)
            view = memoryview(rest)
            while view:
                view = view[os.write(write_end, view):]
        finally:
            os.close(write_end)
            closed.set()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        yield read_end, release, closed
    finally:
        release.set()
        writer.join(DEADLINE)
        os.close(read_end)


def stack(read_end: int, decoder: Callable[..., io.BufferedReader], *, pause: float | None) -> tuple[
        LiveSource, io.BufferedReader]:
    source = LiveSource(read_end, pace=lambda: None, pause=pause)
    below = io.BufferedReader(ReadAhead(source, b"", owns_inner=False))
    return source, decoder(below, source)


def read_until_pause(stream: io.BufferedReader) -> bytes:
    """What ``read1`` brings until a read brings nothing (the head read's loop)."""
    got = bytearray()
    while chunk := stream.read1(1 << 16):
        got += chunk
    return bytes(got)


@pytest.mark.parametrize(("encode", "decoder"), CASES)
def test_a_pause_returns_the_records_decoded_so_far_while_the_pipe_stays_open(encode, decoder):
    first, rest = encode(FIRST, REST)
    with held_pipe(first, rest) as (read_end, release, closed):
        source, decoded = stack(read_end, decoder, pause=0.1)
        source.is_pausing = True  # as open_stream reads the head
        assert read_until_pause(decoded) == FIRST
        assert not closed.is_set() and not source.ended  # a pause, not the end: the writer holds the pipe
        source.is_pausing = False  # the readers' reads wait for bytes
        release.set()
        assert decoded.read() == REST  # the decoder goes on where the pause left it: no damage, no byte lost
        assert source.ended


@pytest.mark.parametrize(("encode", "decoder"), CASES)
def test_a_decoder_not_told_of_the_pause_still_takes_it_for_the_end(encode, decoder):
    """Without ``live`` a decoder reads a 0-byte read below as its input's end (why open_stream must pass it)."""
    first, rest = encode(FIRST, REST)
    with held_pipe(first, rest) as (read_end, _, _):
        source = LiveSource(read_end, pace=lambda: None, pause=0.1)
        below = io.BufferedReader(ReadAhead(source, b"", owns_inner=False))
        decoded = decoder(below, None)
        source.is_pausing = True
        try:
            read_until_pause(decoded)
            ended_early = decoded.read() == b""
        except OSError:  # gzip: the member ends at the pause (truncated)
            ended_early = True
        assert ended_early and not source.ended


@pytest.mark.parametrize(("encode", "decoder"), CASES)
def test_a_pipe_read_without_pauses_decodes_as_a_file(encode, decoder):
    first, rest = encode(FIRST, REST)
    with held_pipe(first, rest) as (read_end, release, _):
        source, decoded = stack(read_end, decoder, pause=0.1)  # never pausing: waits for bytes
        threading.Timer(0.3, release.set).start()  # the writer pauses 0.3 s after the first records
        assert decoded.read() == FIRST + REST and source.ended
    file_stream = decoder(io.BufferedReader(io.BytesIO(first + rest)), None)  # type: ignore[arg-type]
    assert file_stream.read() == FIRST + REST


def _ndjson_parts() -> tuple[bytes, bytes]:
    """Real records for the command: the first five lines, then the rest."""
    from tests.ingest.stdin_sources import mixed_formats_ndjson

    lines = mixed_formats_ndjson().splitlines(keepends=True)
    return b"".join(lines[:5]), b"".join(lines[5:])


@pytest.mark.parametrize("encode", [gzip_parts, lambda first, rest: (b"\xff\xfe" + utf16_parts(first, rest)[0],
                                                                     utf16_parts(first, rest)[1])],
                         ids=["gzip", "utf-16"])
def test_the_first_records_of_a_decoded_pipe_are_journaled_while_it_stays_open(tmp_path, encode):
    from ingest.journal import Journal
    from ingest.pipeline import ingest_paths
    from tests.ingest.test_stdin_live import _journaled, _start, unread_bytes, wait_for

    first_lines, rest_lines = _ndjson_parts()
    (tmp_path / "first.ndjson").write_bytes(first_lines)
    with Journal(tmp_path / "first.sqlite") as journal:
        expected = ingest_paths([tmp_path / "first.ndjson"], store=None, journal=journal, progress=False).total
    assert expected.events >= 3
    first, rest = encode(first_lines, rest_lines)
    child = _start(tmp_path / "live", "--flush-seconds", "0.2")
    journal_path = tmp_path / "live" / "journal.sqlite"
    try:
        assert child.stdin is not None
        child.stdin.write(first)
        child.stdin.flush()
        wait_for(lambda: unread_bytes(child.stdin.fileno()) == 0, "the first bytes read from the pipe")
        give_up = time.monotonic() + 10.0  # the flush period is 0.2 s: 10 s is the wait for 64 KiB
        while _journaled(journal_path) < expected.events and time.monotonic() < give_up:
            time.sleep(0.05)
        journaled_while_open = _journaled(journal_path)
        child.stdin.write(rest)
    finally:
        out, err = child.communicate(timeout=DEADLINE)
    assert b"Traceback" not in err, err.decode()
    assert child.returncode == 0
    assert journaled_while_open >= expected.events
    report = json.loads(out)
    assert report["rejected"] == 0 and report["accepted"] > expected.accepted
