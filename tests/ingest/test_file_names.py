"""File names that are not UTF-8: stored and reported, never a crash of the whole ingest."""

from __future__ import annotations

import os
from pathlib import Path

from ingest.journal import Journal
from ingest.pipeline import ingest_paths, path_text

LINE = b'{"_path":"dns","ts":1767607200.5,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":53000,' \
       b'"id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","query":"cdn.example.net"}\n'


def test_a_file_name_with_bytes_that_are_not_utf8_is_ingested_under_an_escaped_name(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path / "logs")
    os.mkdir(folder)
    with open(folder + b"/dns-\xff\xfe.json", "wb") as out:  # a name from a non-UTF-8 system
        out.write(LINE)
    with open(folder + b"/z-good.json", "wb") as out:
        out.write(LINE.replace(b'"C1"', b'"C2"'))
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([tmp_path / "logs"], store=None, journal=journal, progress=False)
        origins = sorted(row.event.origin for row in journal.iter_events())
    assert (report.total.received, report.total.accepted) == (2, 2)
    assert origins == [f"{tmp_path}/logs/dns-\\xff\\xfe.json:1", f"{tmp_path}/logs/z-good.json:1"]


def test_path_text_leaves_utf8_names_alone() -> None:
    assert path_text("logs/été.json") == "logs/été.json"
    assert path_text(os.fsdecode(b"logs/\xff.json")) == "logs/\\xff.json"
