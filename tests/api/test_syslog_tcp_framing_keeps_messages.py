"""TCP syslog: one unframable frame or a line starting with digits loses none of its neighbours.

Review R2, item 4: five complete lines followed by ``99999999 x`` in the same read lost the five
(the FramingError dropped the read), and a line without PRI starting with a date
(``2026-11-21 11:00:00 ...``) was taken for an octet count, raised ValueError out of the
connection callback and lost every message of the read.  These tests send over a real socket to
the listener of a running API, whose sink is the real ingest pipeline and journal.
"""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from graphsiem.syslog_listener import FramingError, TcpFramer
from tests.api.conftest import Api, make_settings, running_api
from tests.api.syslog_listener_thread import running_listener


def _line(user: str) -> bytes:
    return (f"<38>1 2026-11-21T11:00:00Z web01 sshd 42 - - Accepted password for {user} "
            "from 10.0.0.9 port 22 ssh2\n").encode()


def _counted(api: Api) -> tuple[float, float]:
    records = api.ctx.metrics.ingest_records
    return (records.labels("syslog-tcp", "accepted")._value.get(),
            records.labels("syslog-tcp", "rejected")._value.get())


def _wait_for_records(api: Api, total: int, timeout: float = 20.0) -> tuple[float, float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        accepted, rejected = _counted(api)
        if accepted + rejected >= total:
            return accepted, rejected
        time.sleep(0.05)
    raise AssertionError(f"only {_counted(api)} of {total} records arrived")


def _users(api: Api) -> list[str]:
    events = [item.event for item in api.ctx.ingest.journal().iter_events()]
    return sorted(str(e.fields.get("user.name")) for e in events)


@pytest.fixture
def api(embedded_store: Any, tmp_path: Path) -> Any:
    settings = make_settings(tmp_path / "data", syslog_tcp_port=0, syslog_flush_s=0.05)
    with running_api(settings, embedded_store) as running:
        yield running


def _connect(api: Api) -> socket.socket:
    return socket.create_connection(("127.0.0.1", api.app.state.syslog.tcp_port), timeout=10)


def test_messages_framed_before_a_bad_octet_count_are_delivered_and_the_bad_frame_kept(api: Api) -> None:
    with _connect(api) as sender:
        sender.sendall(b"".join(_line(f"tcpa{i}") for i in range(5)) + b"99999999 <13>x\n" + _line("after"))
        # the stream cannot be framed past the bad count: the listener closes the connection
        assert sender.recv(1) == b""
    accepted, rejected = _wait_for_records(api, 6)
    assert (accepted, rejected) == (5, 1)
    assert _users(api) == [f"tcpa{i}" for i in range(5)]
    (kept,) = api.ctx.ingest.journal().rejected()
    assert kept.raw == "99999999 <13>x" and "not a syslog" in kept.reason  # the parser's reason


def test_a_line_without_pri_starting_with_a_date_is_a_line_and_its_neighbours_arrive(
    api: Api, caplog: pytest.LogCaptureFixture,
) -> None:
    dated = b"2026-11-21 11:00:00 host app: plain line without PRI\n"
    with caplog.at_level(logging.WARNING), _connect(api) as sender:
        sender.sendall(b"".join(_line(f"tcpb{i}") for i in range(5)) + dated
                       + b"".join(_line(f"tcpb{i}") for i in range(5, 8)))
        _wait_for_records(api, 9)
        sender.sendall(_line("tcpb8"))  # the connection is still open and framed
        _wait_for_records(api, 10)
    assert _counted(api) == (9, 1)
    assert _users(api) == [f"tcpb{i}" for i in range(9)]
    (kept,) = api.ctx.ingest.journal().rejected()
    assert kept.raw == dated.decode().rstrip("\n")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def _listener(batches: list[list[str]]) -> Any:
    """A started listener on its own event loop thread; its sink keeps each batch as it came."""
    return running_listener(lambda messages, _transport: batches.append(list(messages)),
                            tcp_port=0, flush_s=0.01, max_message=1024)


def _delivered(batches: list[list[str]], count: int) -> list[str]:
    deadline = time.monotonic() + 20
    while sum(map(len, batches)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return [message for batch in batches for message in batch]


def test_the_listener_hands_on_every_message_around_a_bad_frame_in_one_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    batches: list[list[str]] = []
    good = [_line(f"u{i}") for i in range(7)]
    with caplog.at_level(logging.WARNING, logger="graphsiem.syslog"), _listener(batches) as listener:
        with socket.create_connection(("127.0.0.1", listener.tcp_port), timeout=10) as sender:
            sender.sendall(b"".join(good[:3]) + b"2026-11-21 11:00:00 host app: no PRI\n" + good[3])
            assert _delivered(batches, 5)[3] == "2026-11-21 11:00:00 host app: no PRI"
            sender.sendall(good[4] + b"77777 <13>x\n" + good[5])
            assert sender.recv(1) == b""  # closed: the stream cannot be framed past the count
        assert len(_delivered(batches, 7)) == 7
        with socket.create_connection(("127.0.0.1", listener.tcp_port), timeout=10) as sender:
            sender.sendall(good[6])  # the listener still serves
        delivered = _delivered(batches, 8)
    assert delivered == [g.decode().rstrip("\n") for g in good[:3]] + [
        "2026-11-21 11:00:00 host app: no PRI", good[3].decode().rstrip("\n"),
        good[4].decode().rstrip("\n"), "77777 <13>x", good[6].decode().rstrip("\n")]
    (warning,) = [r.getMessage() for r in caplog.records]  # the closed connection, and nothing else
    assert warning.startswith("closing syslog connection from ")
    assert warning.endswith(": frame of 77777 bytes exceeds 1024")


@pytest.mark.parametrize(("chunks", "expected"), [
    ([b"2026-11-21 11:00:00 h a: x\n"], ["2026-11-21 11:00:00 h a: x"]),
    ([b"2026", b"-11-21 x\n5 <13>a"], ["2026-11-21 x", "<13>a"]),  # digits alone wait for the next byte
    ([b"12345678901234567890x\n"], ["12345678901234567890x"]),  # no space after the digits: a line
    ([b"1" * 5000 + b"x\n"], ["1" * 5000 + "x"]),  # thousands of digits are no count (nor an int)
])
def test_only_digits_then_a_space_is_an_octet_count(chunks: list[bytes], expected: list[str]) -> None:
    framer = TcpFramer(max_message=64 * 1024)
    out: list[str] = []
    for chunk in chunks:
        out.extend(framer.feed(chunk))
    assert out == expected


@pytest.mark.parametrize(("data", "unframed", "reason"), [
    (b"5 <13>a\n<13>b\n99999999 <13>c\n<13>d\n", "99999999 <13>c", "frame of 99999999 bytes exceeds 1024"),
    (b"5 <13>a\n<13>b\n" + b"9" * 5000 + b" <13>x\n", "9" * 1024, "frame of 99999999999999999999... bytes"),
    (b"5 <13>a\n<13>b\n<13>" + b"x" * 2000, "<13>" + "x" * 1020, "line longer than 1024 bytes"),
])
def test_a_framing_error_carries_the_messages_framed_before_it_and_the_unframed_head(
    data: bytes, unframed: str, reason: str,
) -> None:
    framer = TcpFramer(max_message=1024)
    with pytest.raises(FramingError, match=reason) as caught:
        framer.feed(data)
    assert caught.value.messages == ["<13>a", "<13>b"]
    assert caught.value.unframed == unframed
    assert framer.close() == []  # nothing left to frame twice


def test_a_frame_cut_short_by_the_end_of_the_stream_is_handed_on_not_dropped() -> None:
    framer = TcpFramer(max_message=1024)
    assert framer.feed(b"<13>a\n40 <13>1 - h app - - - cut") == ["<13>a"]
    assert framer.close() == ["40 <13>1 - h app - - - cut"]
