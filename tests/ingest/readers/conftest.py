"""Helpers of the reader tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


def journaled_events(path: Path, directory: Path) -> list[tuple]:
    """The events ``path`` gives through the real pipeline, in a fresh journal in ``directory``.

    Each is (id, kind, time, host, fields, raw, origin without the path): what
    two encodings or framings of the same records must agree on.  The file
    must read without a rejection.
    """
    from ingest.journal import Journal
    from ingest.pipeline import ingest_paths

    with Journal(directory / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)
        assert report.total.rejected == 0 and report.total.accepted > 0, report.files
        return [
            (e.id, e.kind, e.ts, e.host, e.fields, e.raw, e.origin.removeprefix(str(path)))
            for e in journal.get(j.event.id for j in journal.iter_events())
        ]


@pytest.fixture
def journaled() -> Callable[[Path, Path], list[tuple]]:
    """:func:`journaled_events`."""
    return journaled_events
