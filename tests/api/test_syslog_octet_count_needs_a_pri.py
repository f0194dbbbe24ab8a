"""TCP syslog: ``<digits><space>`` is an octet count only when a PRI's ``<`` follows (review RV1, item 6).

RFC 5425 and RFC 6587 octet-counted frames carry a syslog message, which starts
with its PRI.  The framer took any ``<digits><space>`` at a message start for a
count: ``200 OK GET /index.html`` held the next two sshd lines until 200 bytes
had arrived and handed them on as ONE record (rejected), cutting the message
after them in half; a day-first date (``29 Nov 2026 10:00:00 fw01 ...``) too.
"""

from __future__ import annotations

import socket

import pytest

from graphsiem.syslog_listener import TcpFramer
from tests.api.syslog_listener_thread import running_listener, wait_until

FAILED = b"<86>Nov 29 10:00:01 h2 sshd[1]: Failed password for root from 10.6.6.6 port 22 ssh2\n"
ACCEPTED = b"<86>Nov 29 10:00:02 h3 sshd[1]: Accepted password for root from 10.6.6.6 port 22 ssh2\n"


def _text(line: bytes) -> str:
    return line.decode().rstrip("\n")


@pytest.mark.parametrize("head", [
    b"200 OK GET /index.html\n",  # a web server's status line
    b"29 Nov 2026 10:00:00 fw01 deny tcp 10.0.0.1 -> 10.0.0.2\n",  # a day-first date
    b"404 \n",  # digits, a space, then the line's end
])
def test_digits_and_a_space_without_a_pri_are_a_line(head: bytes) -> None:
    framer = TcpFramer(max_message=64 * 1024)
    assert framer.feed(head + FAILED + ACCEPTED) == [_text(head), _text(FAILED), _text(ACCEPTED)]


def test_digits_and_a_space_split_across_reads_wait_for_the_byte_after_the_space() -> None:
    framer = TcpFramer(max_message=64 * 1024)
    assert framer.feed(b"29 ") == []
    assert framer.feed(b"Nov 2026 10:00:00 fw01 deny\n" + FAILED) == ["29 Nov 2026 10:00:00 fw01 deny", _text(FAILED)]
    assert framer.feed(b"13 ") == []  # the next byte decides: '<' makes it a count
    assert framer.feed(b"<13>a\nb cdefg\n") == ["<13>a\nb cdefg"]


def test_an_octet_counted_frame_with_its_pri_is_still_one_message() -> None:
    framer = TcpFramer(max_message=64 * 1024)
    frame = _text(FAILED).encode() + b"\nnot a line of its own"
    assert framer.feed(b"%d " % len(frame) + frame + ACCEPTED) == [frame.decode(), _text(ACCEPTED)]


def test_a_status_line_over_a_real_socket_delays_and_merges_nothing() -> None:
    batches: list[list[str]] = []
    first = b"<13>Nov 29 10:00:00 h1 app: first\n"
    with running_listener(lambda messages, _t: batches.append(list(messages)), tcp_port=0,
                          flush_s=0.01) as listener:
        with socket.create_connection(("127.0.0.1", listener.tcp_port), timeout=10) as sender:
            sender.sendall(first + b"200 OK GET /index.html\n" + FAILED + ACCEPTED)
            # all four while the connection is open (before: the two sshd lines waited for 200 bytes)
            delivered = wait_until(lambda: [m for b in batches for m in b] if sum(map(len, batches)) >= 4
                                   else None, "four messages delivered")
    assert delivered == [_text(first), "200 OK GET /index.html", _text(FAILED), _text(ACCEPTED)]
