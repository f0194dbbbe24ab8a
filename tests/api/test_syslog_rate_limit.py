"""One syslog source over its rate is cut at its bucket; the others are still heard (task G6).

A single sender (or a spoofed flood from one address) could fill the journal
and starve every other sender: nothing limited a source.  Each source address
now has a token bucket (``syslog_rate_per_source``, ``syslog_burst_per_source``):
a UDP datagram beyond it is dropped before ingest, counted per source in
``/metrics`` and logged naming the source; a TCP connection beyond it is not
read until the address is back within its rate.  Real sockets from two loopback
addresses, the real API, journal and metrics; a rate of one token in 1,000 s
makes the bucket's share exact (no timing asserted).
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import make_settings, running_api
from tests.api.syslog_listener_thread import call, running_listener, wait_until

BURST = 20
NO_REFILL = 0.001  # one token in 1,000 s: no test lasts long enough for a refill


def _line(host: str, i: int) -> bytes:
    return b"<13>Nov 29 10:00:00 %s app: message %04d\n" % (host.encode(), i)


def _udp_from(source: str) -> socket.socket:
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind((source, 0))  # 127.0.0.0/8 is all loopback: a second address is a second source
    return sender


def test_a_udp_flood_from_one_source_is_cut_while_another_source_is_journaled(
        embedded_store: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(tmp_path / "data", syslog_udp_port=0, syslog_flush_s=0.05,
                             syslog_rate_per_source=NO_REFILL, syslog_burst_per_source=BURST)
    flood, quiet = 200, 10
    with caplog.at_level(logging.WARNING, logger="graphsiem.syslog"), running_api(settings, embedded_store) as api:
        listener = api.app.state.syslog
        address = ("127.0.0.1", listener.udp_port)
        with _udp_from("127.0.0.2") as flooder, _udp_from("127.0.0.3") as neighbour:
            for i in range(flood):
                flooder.sendto(_line("flooder", i), address)
            for i in range(quiet):
                neighbour.sendto(_line("quiet", i), address)
        limit = listener.udp_rate_limit
        wait_until(lambda: listener.batcher.received + limit.dropped >= flood + quiet, "every datagram seen")
        # the flooder's burst went through, the rest was cut at its bucket; its neighbour lost nothing
        assert limit.dropped_by_source == {"127.0.0.2": flood - BURST}
        assert listener.batcher.received == BURST + quiet
        wait_until(lambda: api.ctx.metrics.ingest_records.labels("syslog-udp", "accepted")._value.get()
                   >= BURST + quiet, "the datagrams taken ingested")
        hosts = sorted(item.event.host for item in api.ctx.ingest.journal().iter_events())
        assert hosts.count("quiet") == quiet and hosts.count("flooder") == BURST, hosts
        # dropped datagrams are not received records: received = accepted + rejected = what was taken
        received = sum(api.ctx.metrics.ingest_records.labels("syslog-udp", outcome)._value.get()
                       for outcome in ("accepted", "rejected"))
        assert received == BURST + quiet
        text = api.get("/metrics", role="analyst").text
        assert (f'graphsiem_syslog_rate_limited_total{{source="127.0.0.2",transport="udp"}} '
                f'{float(flood - BURST)}') in text
        assert '127.0.0.3' not in text
    warnings = [r.getMessage() for r in caplog.records if "per-source rate limit" in r.getMessage()]
    assert warnings and "127.0.0.2" in warnings[0] and "127.0.0.3" not in " ".join(warnings)
    assert sum(int(w.split("dropped ")[1].split()[0]) for w in warnings) == flood - BURST  # never silent


def test_a_tcp_source_over_its_rate_is_slowed_and_loses_nothing() -> None:
    delivered: list[str] = []
    rate = 20.0  # the burst back in 1 s, the debt below paid back in 2 s
    with running_listener(lambda batch, _t: delivered.extend(batch), tcp_port=0, flush_s=0.05,
                          rate_per_source=rate, burst_per_source=BURST) as listener:
        with socket.create_connection(("127.0.0.1", listener.tcp_port), timeout=10) as sender:
            sender.sendall(b"".join(_line("chatty", i) for i in range(BURST * 3)))
            wait_until(lambda: len(delivered) >= BURST * 3, "the first read delivered")
            # that read put the address 40 messages into debt: counted, its connection not read
            # until the debt is paid back; what it sends meanwhile waits in the kernel
            assert listener.tcp_rate_limit.dropped_by_source == {"127.0.0.1": BURST * 3}
            sender.sendall(_line("chatty", 999))
            wait_until(lambda: len(delivered) > BURST * 3, "the line sent while slowed delivered")
    assert delivered[-1] == _line("chatty", 999).decode().rstrip("\n")
    assert len(delivered) == BURST * 3 + 1


def test_stop_ends_the_wait_of_a_connection_over_its_rate() -> None:
    delivered: list[str] = []
    with running_listener(lambda batch, _t: delivered.extend(batch), tcp_port=0, flush_s=0.05,
                          rate_per_source=NO_REFILL, burst_per_source=BURST) as listener:
        with socket.create_connection(("127.0.0.1", listener.tcp_port), timeout=10) as sender:
            sender.sendall(b"".join(_line("chatty", i) for i in range(BURST * 3)))
            wait_until(lambda: len(delivered) >= BURST * 3, "the first read delivered")
            assert listener.tcp_rate_limit.dropped == BURST * 3  # 40,000 s of debt
            call(listener, listener.stop(), timeout=30)  # returns: stop() ends the wait
            assert sender.recv(1) == b""  # the connection is closed
