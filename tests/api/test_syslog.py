"""The syslog listener: framing units, and util-linux ``logger`` over real sockets."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from graphsiem.syslog_listener import FramingError, TcpFramer
from tests.api.conftest import Api, make_settings, running_api
from tests.api.syslog_listener_thread import wait_until

CEF = ("CEF:0|Acme|Proxy|1.0|100|Blocked download|7|src=10.0.0.5 dst=203.0.113.9 "
       "dhost=cdn-img-delivery.example request=https://cdn-img-delivery.example/a.png")


@pytest.mark.parametrize(("chunks", "expected"), [
    ([b"<13>1 - h app - - - one\n<13>1 - h app - - - two\n"],
     ["<13>1 - h app - - - one", "<13>1 - h app - - - two"]),
    ([b"5 <13>a", b"6 <13>bc"], ["<13>a", "<13>bc"]),
    ([b"1", b"2 <13>a\nb", b"cdefg"], ["<13>a\nbcdefg"]),  # split count, embedded newline
    ([b"<13>half", b" line\r\n"], ["<13>half line"]),
    ([b"5 <13>a\n<13>nl\n6 <13>bc"], ["<13>a", "<13>nl", "<13>bc"]),  # mixed framing
])
def test_tcp_framing(chunks: list[bytes], expected: list[str]) -> None:
    framer = TcpFramer(max_message=1024)
    out: list[str] = []
    for chunk in chunks:
        out.extend(framer.feed(chunk))
    assert out == expected


# (a count is a count only before a PRI's '<': "12345678901234 x" is a line; see
# test_syslog_octet_count_needs_a_pri.py)
@pytest.mark.parametrize("data", [b"99999 <13>x", b"12345678901234 <13>x", b"<13>" + b"x" * 2000])
def test_tcp_framing_refuses_oversized_or_broken_frames(data: bytes) -> None:
    with pytest.raises(FramingError):
        TcpFramer(max_message=1024).feed(data)


def _logger(port: int, transport: str, message: str, *extra: str, rfc5424: str = "--rfc5424") -> None:
    logger = shutil.which("logger")
    assert logger, "util-linux logger is needed (scripts/install_system_deps.sh installs it)"
    subprocess.run([logger, "--server", "127.0.0.1", "--port", str(port), f"--{transport}",
                    rfc5424, "--tag", "sshd", *extra, message], check=True, timeout=10)


def _accepted(api: Api, channel: str) -> float:
    metric = api.ctx.metrics.ingest_records.labels(channel, "accepted")
    rejected = api.ctx.metrics.ingest_records.labels(channel, "rejected")
    return metric._value.get() + rejected._value.get()


def test_logger_over_udp_and_tcp_reaches_the_journal_and_graph(store: Any, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", syslog_udp_port=0, syslog_tcp_port=0,
                             syslog_flush_s=0.05)
    with running_api(settings, store) as api:
        listener = api.app.state.syslog
        _logger(listener.udp_port, "udp", "Accepted password for alice from 10.0.0.7 port 22")
        wait_until(lambda: _accepted(api, "syslog-udp") >= 1, "a UDP message counted")
        _logger(listener.tcp_port, "tcp", CEF)
        _logger(listener.tcp_port, "tcp", "Failed password for root from 10.0.0.8", "--octet-count")
        wait_until(lambda: _accepted(api, "syslog-tcp") >= 2, "two TCP messages counted")
        assert api.ctx.metrics.ingest_records.labels("syslog-udp", "accepted")._value.get() == 1
        assert api.ctx.metrics.ingest_records.labels("syslog-tcp", "accepted")._value.get() == 2
        # The events went through the pipeline into the journal and then the graph.
        journal = api.ctx.ingest.journal()
        events = [item.event for item in journal.iter_events()]
        kinds = sorted(e.kind for e in events)
        assert kinds == ["cef:event", "syslog:logon", "syslog:message"], kinds
        cef = next(e for e in events if e.kind.startswith("cef:"))
        assert cef.fields["destination.domain"] == "cdn-img-delivery.example"
        api.ctx.ingest.catch_up()  # the background projector may already have run
        assert journal.checkpoint() == journal.last_seq()
        # a proxy's record of a client's request: no host of its own (docs/fields.md, ECS and CEF
        # host); the unmapped client acts as its IP in the graph
        assert cef.host is None and cef.fields["source.ip"] == "10.0.0.5"
        assert api.get("/v1/entities/ip/10.0.0.5").status_code == 200


def test_a_line_sent_without_a_timestamp_is_dated_by_its_receipt(store: Any, tmp_path: Path) -> None:
    # logger --rfc5424=notime writes NILVALUE ("-") for the TIMESTAMP: a file would
    # reject the line (it has no receipt time), the listener knows when it arrived
    settings = make_settings(tmp_path / "data", syslog_udp_port=0, syslog_flush_s=0.05)
    with running_api(settings, store) as api:
        before = time.time()
        _logger(api.app.state.syslog.udp_port, "udp", "disk full on /var", rfc5424="--rfc5424=notime")
        wait_until(lambda: _accepted(api, "syslog-udp") >= 1, "a UDP message counted")
        after = time.time()
        assert api.ctx.metrics.ingest_records.labels("syslog-udp", "accepted")._value.get() == 1
        (event,) = [item.event for item in api.ctx.ingest.journal().iter_events()]
        assert before <= event.ts <= after and event.fields["log.syslog.time_source"] == "receipt"
        assert event.fields["message"] == "disk full on /var"
