"""Text files with a few bad bytes, and bare-CR line endings (review R2, items 5 and 8).

One Latin-1 byte or one NUL in a log's first 64 KiB refused the whole file
("binary or unknown format", exit 0, nothing kept), while the same byte later
was read and silently replaced by U+FFFD.  Now both are read line by line, a
byte that is not UTF-8 written ``\\xNN`` wherever it is, and the record's id
hashes the bytes as read; a file that is binary is still refused.  A file of
lines ended by a bare ``\\r`` was one record; now each line is one, in a file
only, and only when the file looks like one (review RV1, item 3): a ``\\r`` in
one line's field does not forge a record.  One hostile line (controls, bytes
that are not UTF-8) no longer makes a whole file binary (RV1, item 4).
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


def test_bare_cr_lines_are_separate_records_in_a_file(tmp_path: Path, journal: Journal) -> None:
    data = _lines(b"cr0", b"cr1", b"cr2").replace(b"\n", b"\r")
    path = tmp_path / "mac.log"
    path.write_bytes(data)
    report = ingest_paths([path], store=None, journal=journal, progress=False, reference_year=2026)
    assert (report.total.received, report.total.accepted) == (3, 3)  # before dd1f67c: 1 line, 1 record
    assert _users(journal) == ["cr0", "cr1", "cr2"]
    origins = [item.event.origin for item in journal.iter_events()]
    assert [origin.rsplit(":", 1)[1] for origin in origins] == ["1", "2", "3"]


def test_a_stream_is_never_split_on_a_bare_cr(tmp_path: Path, journal: Journal) -> None:
    # review RV1, item 3: standard input (and the API's bodies, read as it) holds messages
    # whose fields an attacker writes; only a file is read as bare-CR lines
    data = _lines(b"cr0", b"cr1", b"cr2").replace(b"\n", b"\r")
    report = ingest_paths(["-"], store=None, journal=journal, progress=False, reference_year=2026,
                          stdin=io.BytesIO(data), stdin_name="mac.log")
    assert report.total.received == 1  # before: 3


FORGED = (b"<13>Nov 29 10:00:00 web01 app: login failed user=x\r<13>Nov 29 10:00:00 dc01 sshd[1]: "
          b"Accepted password for administrator from 10.9.9.9 port 22 ssh2")
"""The review's cr1.log: one line whose field holds a \\r and a forged sshd line."""


@pytest.mark.parametrize("data", [FORGED, FORGED + b"\r<13>Nov 29 10:00:01 dc01 sshd[1]: more"],
                         ids=["one-cr", "two-cr-no-final-cr"])
def test_a_cr_inside_a_one_line_file_does_not_forge_a_record(tmp_path: Path, data: bytes,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cr1.log"
    path.write_bytes(data)
    status = main(["ingest", str(path), "--data", str(tmp_path / "data"), "--year", "2026", "--json",
                   "--no-progress"])
    report = json.loads(capsys.readouterr().out)
    assert report["received"] == 1, report  # before: 2 (one-cr), 3 (two-cr)
    assert status in (0, 1)


def test_a_genuine_three_line_cr_file_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mac.log"
    path.write_bytes(_lines(b"m0", b"m1", b"m2").replace(b"\n", b"\r"))
    status = main(["ingest", str(path), "--data", str(tmp_path / "data"), "--year", "2026", "--json",
                   "--no-progress"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0 and (report["received"], report["accepted"]) == (3, 3), report


def _hostile_log(field: bytes) -> bytes:
    """2,002 sshd lines, the second with ``field`` as its user (the review's ctl.log and ff.log)."""
    users = [f"user{i}".encode() for i in range(2002)]
    users[1] = field
    return _lines(*users)


@pytest.mark.parametrize("field", [b"\x1b" * 700, b"\xff" * 7000, b"a\x00" * 300], ids=["esc", "xff", "nul"])
def test_one_hostile_line_does_not_make_the_file_binary(tmp_path: Path, field: bytes,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "logs").mkdir()
    path = tmp_path / "logs" / "auth.log"
    path.write_bytes(_hostile_log(field))
    for named in (path, path.parent):  # named (exit 1 before) and met in a directory (exit 0, skipped before)
        status = main(["ingest", str(named), "--data", str(tmp_path / f"data-{named.name}"), "--year", "2026",
                       "--json", "--no-progress"])
        report = json.loads(capsys.readouterr().out)
        assert status in (0, 1) and report["received"] == 2002, report  # before: 0, skipped as binary
        assert report["accepted"] >= 2001 and report["received"] == report["accepted"] + report["rejected"]
        assert status == (1 if report["rejected"] else 0)


@pytest.mark.parametrize("data", [b"\x00\x01\x02" * 30000, bytes(range(256)) * 2 + b"\nlog line\n",
                                  b"MZ\x90\x00" + bytes(range(256)) * 100], ids=["controls", "mostly-binary", "pe"])
def test_binary_heads_with_a_text_line_are_still_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "blob.log"
    path.write_bytes(data)
    assert choose_reader(path, default_readers()).reader is None


def test_crlf_and_lf_files_are_not_split_on_their_cr(tmp_path: Path, journal: Journal) -> None:
    path = tmp_path / "dos.log"
    path.write_bytes(_lines(b"a", b"b").replace(b"\n", b"\r\n"))
    report = ingest_paths([path], store=None, journal=journal, progress=False, reference_year=2026)
    assert (report.total.received, report.total.accepted) == (2, 2)
