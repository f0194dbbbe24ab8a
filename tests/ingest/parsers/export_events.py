"""Test helper: the normalised events of a file or of JSON rows, through the real pipeline.

Used to hold a CSV export against the same rows as JSON: each event as
``(kind, ts, host, fields)``, in the order read, from a fresh journal.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records
from ingest.report import IngestReport

Normalised = tuple[str, float, str | None, dict[str, Any]]


def _events(journal: Journal, report: IngestReport) -> list[Normalised]:
    assert report.total.rejected == 0 and report.total.accepted > 0, report.files
    return [(e.kind, e.ts, e.host, e.fields) for e in journal.get(j.event.id for j in journal.iter_events())]


def file_events(path: Path, directory: Path) -> list[Normalised]:
    """The events of the file at ``path`` (none of its records rejected), journaled under ``directory``."""
    with Journal(directory / f"{path.name}.sqlite") as journal:
        return _events(journal, ingest_paths([path], store=None, journal=journal, progress=False))


def row_events(rows: Sequence[dict[str, Any]], directory: Path) -> list[Normalised]:
    """The events of JSON ``rows`` (none rejected), as an HTTP body of them is ingested."""
    with Journal(directory / "rows.sqlite") as journal:
        return _events(journal, ingest_records(list(rows), store=None, journal=journal))
