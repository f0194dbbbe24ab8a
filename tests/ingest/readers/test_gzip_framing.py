"""Gzip framing through the real pipeline: truncations, trailing junk, multi-member, empty members.

Whatever is done to the framing, nothing raises out of ``ingest_paths``,
received = accepted + rejected, every record of a member that is whole is
accepted, and damage is reported (a rejection, or a skip naming it), never
silently dropped.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.readers.streams import GZIP_MAGIC

_RECORD = {
    "@timestamp": "2026-03-01T10:00:01Z",
    "host": {"name": "ws-0001"},
    "process": {"executable": "C:\\Windows\\System32\\cmd.exe", "command_line": "cmd.exe /c echo 1", "pid": 7},
}


def ecs_line(n: int) -> bytes:
    """A valid ECS record, unique by ``labels.n`` (so each is a new event)."""
    return orjson.dumps({**_RECORD, "labels": {"n": n}}) + b"\n"


@dataclass
class GzipCase:
    data: bytes
    lines: int  # records in the file before any damage
    whole_lines: int  # records in members the damage leaves whole: they must be accepted
    damaged: bool | None  # None: a flipped byte may or may not be detectable


@st.composite
def gzip_cases(draw: st.DrawFn) -> GzipCase:
    sizes = draw(st.lists(st.integers(0, 4), min_size=1, max_size=4))  # records per member, 0 = empty member
    members, counts = [], []
    for size in sizes:
        first = sum(counts)
        payload = b"".join(ecs_line(first + i) for i in range(size))
        members.append(gzip.compress(payload, compresslevel=draw(st.integers(1, 9)), mtime=0))
        counts.append(size)
    ends = [sum(len(m) for m in members[: k + 1]) for k in range(len(members))]
    data, lines = b"".join(members), sum(counts)

    def whole_before(position: int) -> int:
        return sum(count for count, end in zip(counts, ends, strict=True) if end <= position)

    kind = draw(st.sampled_from(["none", "truncated", "junk", "zero padding", "junk between", "flipped byte"]))
    if kind == "truncated":
        cut = draw(st.integers(2, len(data) - 1))  # the magic stays: this is the gzip path
        if cut in ends:  # cut at a member's end: a whole file of the members before it
            return GzipCase(data[:cut], whole_before(cut), whole_before(cut), damaged=False)
        return GzipCase(data[:cut], lines, whole_before(cut), damaged=True)
    if kind == "junk":
        junk = draw(st.binary(min_size=1, max_size=40).filter(lambda b: b.strip(b"\x00")))
        return GzipCase(data + junk, lines, lines, damaged=True)
    if kind == "zero padding":
        return GzipCase(data + b"\x00" * draw(st.integers(1, 600)), lines, lines, damaged=False)
    if kind == "junk between" and len(members) > 1:
        at = draw(st.integers(1, len(members) - 1))
        junk = draw(st.binary(min_size=1, max_size=40).filter(lambda b: not b.lstrip(b"\x00").startswith(b"\x1f")))
        junk = junk if junk.strip(b"\x00") else junk + b"x"
        return GzipCase(data[: ends[at - 1]] + junk + data[ends[at - 1] :], lines, whole_before(ends[at - 1]), True)
    if kind == "flipped byte":
        at = draw(st.integers(2, len(data) - 1))  # the magic stays: this is the gzip path
        flipped = bytearray(data)
        flipped[at] ^= draw(st.integers(1, 255))
        return GzipCase(bytes(flipped), lines, whole_before(at), damaged=None)
    return GzipCase(data, lines, lines, damaged=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=gzip_cases())
def test_gzip_framing_never_breaks_the_pipeline_and_keeps_whole_members(tmp_path_factory, case):
    directory = tmp_path_factory.mktemp("gzip")
    path = directory / "events.ndjson.gz"
    path.write_bytes(case.data)
    assert case.data.startswith(GZIP_MAGIC)
    with Journal(directory / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)  # raises nothing
        rejections = journal.rejected(limit=1000)
    total, file = report.total, report.files[str(path)]
    assert total.received == total.accepted + total.rejected
    assert case.whole_lines <= total.accepted <= case.lines
    assert total.accepted == total.events  # a fresh journal: every accepted record is a new event
    if case.damaged is False:
        assert (total.accepted, total.rejected) == (case.lines, 0)
        assert file.skipped == (None if case.lines else "empty file")
    if case.damaged:
        # reported: a rejection naming the damage, or (no data before it) the file skipped for it
        reasons = [r.reason for r in rejections] + [file.skipped or ""]
        assert any("gzip" in reason and str(path) in reason for reason in reasons), reasons


def _report(directory: Path, *paths: Path):
    with Journal(directory / "journal.sqlite") as journal:
        return ingest_paths(list(paths), store=None, journal=journal, progress=False), journal.rejected()


def test_trailing_junk_after_a_valid_gzip_keeps_its_rows_and_rejects_the_rest(tmp_path):
    # the audit's file: skipped as "Not a gzipped file", its 3 rows lost, exit 0
    path = tmp_path / "junk.ndjson.gz"
    path.write_bytes(gzip.compress(b"".join(ecs_line(n) for n in range(3))) + b"\ntrailing junk\n")
    report, rejections = _report(tmp_path, path)
    assert (report.total.received, report.total.accepted, report.total.rejected) == (4, 3, 1)
    assert [r.origin for r in rejections] == [str(path)]
    assert "trailing garbage" in rejections[0].reason


def test_a_truncated_gzip_does_not_stop_the_files_after_it(tmp_path):
    # the audit's 11-byte file raised EOFError out of the whole call: nothing after it was read
    broken = tmp_path / "a_broken.ndjson.gz"
    broken.write_bytes(gzip.compress(ecs_line(0))[:11])
    good = tmp_path / "b_good.ndjson"
    good.write_bytes(ecs_line(1) + ecs_line(2))
    report, rejections = _report(tmp_path, broken, good)
    assert report.files[str(good)].counts.accepted == 2
    reported = [r.reason for r in rejections if r.origin == str(broken)] + [report.files[str(broken)].skipped or ""]
    assert any("the file ends inside gzip member 1 (truncated)" in reason for reason in reported), reported
