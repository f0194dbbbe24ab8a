"""Syslog parser over the real corpus (``$GRAPHSIEM_SAMPLES``): loghub Linux and Brim's @cee lines."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import orjson
import pytest

from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog import SyslogParser, parse_syslog_text
from tests.samples import samples_path

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = samples_path()
LINUX = SAMPLES / "loghub" / "Linux_2k.log"
BRIM_SYSLOG = SAMPLES / "brimdata-zed-sample-data" / "zeek-json" / "syslog.json"


def _need(path: Path) -> Path:
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"corpus file missing: {path} (set GRAPHSIEM_SAMPLES)")
        pytest.fail(f"corpus not found at {SAMPLES} (set GRAPHSIEM_SAMPLES)")
    return path


def test_linux_2k_every_line_parses() -> None:
    lines = _need(LINUX).read_text("utf-8", errors="replace").splitlines()
    parser = SyslogParser()
    context = ParseContext(origin=str(LINUX), reference_year=2005)
    events, rejected = [], []
    for line in lines:
        try:
            assert parser.sniff(line), line
            events.extend(parser.parse(line, context))
        except ParseError as exc:
            rejected.append(f"{exc}: {line}")
    assert len(lines) == 2000
    assert len(events) + len(rejected) == 2000
    assert len(rejected) < 20, rejected[:5]
    assert {e.host for e in events} == {"combo"}
    apps = Counter(e.fields.get("log.syslog.appname") for e in events)
    assert apps["sshd(pam_unix)"] == 677
    assert apps["ftpd"] == 916
    failures = [e for e in events if e.fields.get("source.ip") == "218.188.2.4"]
    assert failures and all(e.fields["log.syslog.appname"] == "sshd(pam_unix)" for e in failures)


def test_brim_cee_messages_become_windows_events_on_the_endpoint() -> None:
    kinds: Counter[str] = Counter()
    hosts: Counter[str | None] = Counter()
    rejected = []
    lines = _need(BRIM_SYSLOG).read_bytes().splitlines()
    for number, line in enumerate(lines, start=1):
        record = orjson.loads(line)
        try:
            event = parse_syslog_text(
                record["message"], ParseContext(origin=f"syslog.json:{number}"),
                source="zeek", raw=record,
            )
        except ParseError as exc:
            rejected.append(str(exc))
            continue
        kinds[event.kind] += 1
        hosts[event.host] += 1
    assert len(lines) == 2378 and not rejected
    windows = sum(count for kind, count in kinds.items() if kind not in ("syslog:message", "av:detection"))
    # every @cee line (290), and the 1,220 lines that are a known Security event's rendered text
    # (ingest.parsers.syslog_windows_text); 8 are Symantec's detections (ingest.parsers.syslog_antivirus);
    # the other 860 text lines stay syslog:message
    assert windows == 290 + 1220 and kinds["av:detection"] == 8 and kinds["syslog:message"] == 860
    assert kinds["winsec:logon"] == 6 + 224
    assert set(hosts) == {"kramer", "pc-newman", "pc-susan", "pc-helen"}
