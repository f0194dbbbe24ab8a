"""After ``SyslogListener.stop()`` no connection is read any more (review RV1, item 8).

The app's shutdown stops the listener and then closes ingest.  Open TCP
connections were still read after stop(): a message sent then reached the sink
after ingest had closed ("syslog sink failed") and was lost.  Now stop() closes
the connections, hands on what they had sent before (in the last batch), and
the sender sees the connection end.  Real sockets, a real listener.
"""

from __future__ import annotations

import socket

from tests.api.syslog_listener_thread import call, running_listener, wait_until

BEFORE = b"<13>Nov 29 10:00:00 h1 app: before stop\n"
AFTER = b"<13>Nov 29 10:00:01 h1 app: after stop\n"


def test_stop_closes_open_connections_after_delivering_what_they_sent() -> None:
    delivered: list[list[str]] = []
    calls_after_stop: list[list[str]] = []
    stopped = {"done": False}

    def sink(batch: list[str], _transport: str) -> None:
        (calls_after_stop if stopped["done"] else delivered).append(list(batch))

    # flush_s long: what was framed is still waiting for its batch when stop() comes
    with running_listener(sink, tcp_port=0, flush_s=60) as listener:
        with socket.create_connection(("127.0.0.1", listener.tcp_port), timeout=10) as sender:
            sender.sendall(BEFORE + b"<13>Nov 29 10:00:00 h1 app: no newline yet")
            wait_until(lambda: listener.batcher.received >= 1, "the first message framed")
            call(listener, listener.stop())
            stopped["done"] = True
            # the last batch went to the sink before stop() returned (the cut line as a line)
            assert delivered == [[BEFORE.decode().rstrip("\n"), "<13>Nov 29 10:00:00 h1 app: no newline yet"]]
            assert sender.recv(1) == b""  # before: the connection stayed open and was read
            try:
                sender.sendall(AFTER)
            except OSError:
                pass  # the listener's end is gone: the sender learns it
            received = listener.batcher.received
    assert calls_after_stop == [] and listener.batcher.received == received
    assert not listener._connections
