"""Text files with a few bad bytes, and bare-CR line endings (review R2, items 5 and 8).

One Latin-1 byte or one NUL in a log's first 64 KiB refused the whole file
("binary or unknown format", exit 0, nothing kept), while the same byte later
was read and silently replaced by U+FFFD.  Now both are read line by line, a
byte that is not UTF-8 written ``\\xNN`` wherever it is, and the record's id
hashes the bytes as read; a file that is binary is still refused.  A file of
lines ended by a bare ``\\r`` was one record; now each line is one.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from graphsiem.cli import main
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.readers.files import choose_reader, default_readers

LINE = "Nov 20 09:00:{s:02d} web1 sshd[42]: Failed password for {user} from 10.0.0.9 port 22 ssh2\n"


def _lines(*users: bytes) -> bytes:
    return b"".join(LINE.format(s=i % 60, user="{}").encode().replace(b"{}", user) for i, user in enumerate(users))


def _users(journal: Journal) -> list[str]:
    return [item.event.fields["user.name"] for item in journal.iter_events()]


@pytest.mark.parametrize("late", [False, True], ids=["in-head", "after-64KiB"])
def test_a_latin1_byte_is_read_by_one_rule_wherever_it_is(tmp_path: Path, journal: Journal, late: bool) -> None:
    padding = _lines(*[f"alice{i}".encode() for i in range(1200 if late else 0)])
    assert (len(padding) > 64 * 1024) == late
    path = tmp_path / "latin.log"
    path.write_bytes(padding + _lines(b"bob", b"jos\xe9", b"carol"))
    report = ingest_paths([path], store=None, journal=journal, progress=False, reference_year=2026)
    assert report.files[str(path)].skipped is None  # before: skipped as binary when in the head
    assert (report.total.received, report.total.accepted) == (report.total.accepted, len(_users(journal)))
    assert _users(journal)[-3:] == ["bob", "jos\\xe9", "carol"]  # before, late: "jos\ufffd"
    raw = [item.event.raw for item in journal.iter_events(with_raw=True)][-2]
    assert "jos\\xe9 from" in raw


def test_two_lines_that_differ_only_in_a_bad_byte_are_two_events(tmp_path: Path, journal: Journal) -> None:
    path = tmp_path / "bytes.log"
    path.write_bytes(_lines(b"x\xe9", b"x\xe8"))
    report = ingest_paths([path], store=None, journal=journal, progress=False, reference_year=2026)
    # before (after 64 KiB) both were "x\ufffd" on the same second: one id, a duplicate
    assert (report.total.accepted, report.total.duplicates) == (2, 0)
    assert _users(journal) == ["x\\xe9", "x\\xe8"]


def test_a_nul_in_the_first_line_does_not_refuse_the_file(tmp_path: Path, journal: Journal) -> None:
    path = tmp_path / "nul.log"
    path.write_bytes(_lines(b"ev\x00il", b"bob", b"carol"))
    report = ingest_paths([path], store=None, journal=journal, progress=False, reference_year=2026)
    assert report.files[str(path)].skipped is None
    assert report.total.received == 3 and report.total.received == report.total.accepted + report.total.rejected
    assert {"bob", "carol"} <= set(_users(journal))


@pytest.mark.parametrize("data", [bytes(range(256)) * 64, b"\x7fELF\x02\x01\x01" + bytes(4096),
                                  b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8])
def test_a_binary_file_is_still_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "blob.log"
    path.write_bytes(data)
    assert choose_reader(path, default_readers()).reader is None


def test_the_cli_reads_a_latin1_log_instead_of_skipping_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin.log"
    path.write_bytes(_lines(b"bob", b"jos\xe9", b"carol"))
    status = main(["ingest", str(path), "--data", str(tmp_path / "data"), "--year", "2026", "--json",
                   "--no-progress"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (report["received"], report["accepted"]) == (3, 3), report  # before: skipped


def test_bare_cr_lines_are_separate_records_in_files_and_streams(tmp_path: Path) -> None:
    data = _lines(b"cr0", b"cr1", b"cr2").replace(b"\n", b"\r")
    path = tmp_path / "mac.log"
    path.write_bytes(data)
    for number, source in enumerate(([path], ["-"])):
        with Journal(tmp_path / f"j{number}.sqlite") as journal:
            report = ingest_paths(source, store=None, journal=journal, progress=False, reference_year=2026,
                                  stdin=io.BytesIO(data), stdin_name="mac.log")
            assert (report.total.received, report.total.accepted) == (3, 3)  # before: 1 line, 1 record
            assert _users(journal) == ["cr0", "cr1", "cr2"]
            origins = [item.event.origin for item in journal.iter_events()]
            assert [origin.rsplit(":", 1)[1] for origin in origins] == ["1", "2", "3"]


def test_crlf_and_lf_files_are_not_split_on_their_cr(tmp_path: Path, journal: Journal) -> None:
    path = tmp_path / "dos.log"
    path.write_bytes(_lines(b"a", b"b").replace(b"\n", b"\r\n"))
    report = ingest_paths([path], store=None, journal=journal, progress=False, reference_year=2026)
    assert (report.total.received, report.total.accepted) == (2, 2)
