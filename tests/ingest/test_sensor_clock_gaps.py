"""The ingest report notes a host whose clock is far from a sensor's on the same records (task OLDQ #4).

In Brim's WRCCDC 2018 ``syslog.log`` the Windows events that hosts sent by syslog are dated by
their RFC 5424 headers 76 minutes behind the time Zeek captured the datagrams, and nothing said
so: a host's logons sat 76 minutes away from the connections Zeek logged for them.  The offset
is measured, reported with its size, and no timestamp is moved.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.sensor_clock_gaps import GAP_BOUND_S, ClockGaps

SYSLOG = "brimdata-zed-sample-data/zeek-default/syslog.log"


@pytest.fixture(scope="module")
def brim_ingest(samples_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("clock-gaps")
    with Journal(directory / "journal.sqlite") as journal:
        report = ingest_paths([samples_dir / SYSLOG], store=None, journal=journal, progress=False)
        kramer = [row.event for row in journal.iter_events() if row.event.host == "kramer"]
    return report, kramer


def test_the_brim_hosts_76_minutes_behind_zeeks_capture_are_reported_with_the_offset(brim_ingest) -> None:
    report, _ = brim_ingest
    gaps = {gap["host"]: gap for gap in report.to_dict()["clock_gaps"]}
    assert {"kramer", "pc-helen", "pc-newman", "pc-susan"} <= set(gaps)
    kramer = gaps["kramer"]
    assert kramer["sender"] == "10.47.22.25" and kramer["sensor"] == "zeek"
    assert -76 * 60 - 30 < kramer["offset_s"] < -76 * 60 + 30, kramer
    assert kramer["records"] > 100
    assert kramer["note"].startswith("clock gap: kramer's own times (its messages from 10.47.22.25) are 76 min "
                                     "behind zeek's capture time")
    assert kramer["note"] in report.render()


def test_no_timestamp_is_moved_the_events_keep_their_headers_time(brim_ingest) -> None:
    _, kramer = brim_ingest
    # the first message: '1 2018-03-24T08:59:54-07:00 Kramer.jerry.land EvntSLog ...', captured at 1521911764.86
    assert min(event.ts for event in kramer) == datetime(2018, 3, 24, 15, 59, 54, tzinfo=UTC).timestamp()


def test_clocks_within_the_bound_are_not_reported() -> None:
    gaps = ClockGaps()
    for second in range(10):
        gaps.observe(host="dc1", sender="10.0.0.5", sensor="zeek", sent_at=1000.0 + second,
                     captured_at=1000.4 + second)  # the header is dated to the second
        gaps.observe(host="ws1", sender="10.0.0.6", sensor="zeek", sent_at=1000.0 + second + GAP_BOUND_S + 1,
                     captured_at=1000.0 + second)
    assert [(gap["host"], gap["offset_s"]) for gap in gaps.gaps()] == [("ws1", GAP_BOUND_S + 1)]
    assert "ahead of zeek's capture time" in gaps.gaps()[0]["note"]


def test_one_outlier_does_not_make_a_gap_the_median_decides() -> None:
    gaps = ClockGaps()
    for second in range(20):
        gaps.observe(host="dc1", sender="10.0.0.5", sensor="zeek", sent_at=float(second), captured_at=float(second))
    gaps.observe(host="dc1", sender="10.0.0.5", sensor="zeek", sent_at=99_999.0, captured_at=0.0)  # one forged header
    assert gaps.gaps() == []
