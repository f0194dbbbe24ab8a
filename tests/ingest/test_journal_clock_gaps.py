"""A host's clock gap against a sensor is kept in the journal, not only in one ingest call's report (task OLDQ2 #1).

Before, the gap (Brim's kramer: its Windows events 76 minutes behind Zeek's capture time) was in
the report of the call that measured it and lost afterwards.  The journal's ``sensor_clock_gaps``
keeps, per host, sender and sensor, the latest ingest's measure; a later measure replaces it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ingest.journal import Journal
from ingest.journal_clock_gaps import clock_gaps_in_file, kept_clock_gaps
from ingest.pipeline import ingest_paths

SYSLOG = "brimdata-zed-sample-data/zeek-default/syslog.log"

ZEEK_HEADER = ("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tsyslog\n"
               "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tfacility\tseverity\tmessage\n"
               "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tstring\tstring\n")


def zeek_syslog(path: Path, *, captured: float, header_offset_s: int, count: int = 5) -> Path:
    """A Zeek syslog.log of ``count`` 4634s sent by dc-07 (10.9.0.7), dated ``header_offset_s`` off the capture."""
    from datetime import UTC, datetime

    rows = []
    for n in range(count):
        at = captured + n
        sent = datetime.fromtimestamp(at + header_offset_s, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        message = (f"1 {sent} dc-07.corp.example EvntSLog - - - An account was logged off. Subject: "
                   f"Security ID: S-1-5-21-1-2-3-{1100 + n} Account Name: user{n} Account Domain: CORP "
                   f"Logon ID: 0x{n + 1:x} Logon Type: 3")
        rows.append(f"{at:.6f}\tC{n}\t10.9.0.7\t514\t10.9.0.2\t514\tudp\tUSER\tNOTICE\t{message}\n")
    path.write_text(ZEEK_HEADER + "".join(rows), encoding="utf-8")
    return path


def test_brims_kramer_gap_is_kept_after_the_ingest_and_read_back(samples_dir: Path, tmp_path: Path) -> None:
    journal_path = tmp_path / "journal.sqlite"
    with Journal(journal_path) as journal:
        ingest_paths([samples_dir / SYSLOG], store=None, journal=journal, progress=False)
    # a later reader: the file alone (read-only), and a journal opened again
    kept = {gap["host"]: gap for gap in clock_gaps_in_file(journal_path)}
    assert {"kramer", "pc-helen", "pc-newman", "pc-susan"} <= set(kept)
    kramer = kept["kramer"]
    assert (kramer["sender"], kramer["sensor"]) == ("10.47.22.25", "zeek")
    assert -76 * 60 - 30 < kramer["offset_s"] < -76 * 60 + 30
    assert kramer["records"] > 100 and kramer["measured_at"] > 0
    assert "76 min behind zeek's capture time" in kramer["note"]
    with Journal(journal_path) as journal:
        assert [gap["host"] for gap in kept_clock_gaps(journal.connection, host="kramer")] == ["kramer"]


def test_a_later_measure_replaces_the_kept_one(tmp_path: Path) -> None:
    journal_path = tmp_path / "journal.sqlite"
    with Journal(journal_path) as journal:
        ingest_paths([zeek_syslog(tmp_path / "a.log", captured=1_700_000_000.0, header_offset_s=-600)],
                     store=None, journal=journal, progress=False)
    [gap] = clock_gaps_in_file(journal_path)
    assert (gap["host"], gap["sender"], gap["offset_s"], gap["records"]) == ("dc-07", "10.9.0.7", -600.0, 5)
    # the clock set right: the next ingest's measure replaces the gap, and no warning is left
    with Journal(journal_path) as journal:
        ingest_paths([zeek_syslog(tmp_path / "b.log", captured=1_700_100_000.0, header_offset_s=0, count=3)],
                     store=None, journal=journal, progress=False)
    assert clock_gaps_in_file(journal_path) == []
    with sqlite3.connect(journal_path) as db:
        assert db.execute("SELECT host, offset_s, records FROM sensor_clock_gaps").fetchall() == [("dc-07", 0.0, 3)]


def test_a_journal_made_before_the_table_gets_it_on_open(tmp_path: Path) -> None:
    journal_path = tmp_path / "journal.sqlite"
    with Journal(journal_path):
        pass
    with sqlite3.connect(journal_path) as db:
        db.execute("DROP TABLE sensor_clock_gaps")
    assert clock_gaps_in_file(journal_path) == []  # read-only: nothing made, nothing to say
    with Journal(journal_path) as journal:
        assert kept_clock_gaps(journal.connection) == []
        ingest_paths([zeek_syslog(tmp_path / "a.log", captured=1_700_000_000.0, header_offset_s=3600)],
                     store=None, journal=journal, progress=False)
    assert [gap["offset_s"] for gap in clock_gaps_in_file(journal_path)] == [3600.0]


def test_no_journal_no_gap(tmp_path: Path) -> None:
    assert clock_gaps_in_file(tmp_path / "no-journal.sqlite") == []
