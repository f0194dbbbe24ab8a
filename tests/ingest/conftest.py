"""Fixtures of the ingest tests: own fixture files, a fresh journal, the sample corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.journal import Journal

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parents[2]


@pytest.fixture
def fixtures() -> Path:
    """The directory of this project's own small ingest fixtures."""
    return FIXTURES


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    """A fresh journal in a temporary data directory."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        yield journal


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The third-party sample corpus (``$GRAPHSIEM_SAMPLES``, default ``../shared/datasets``).

    Read in place, never copied.  Missing corpus: skip locally, fail under ``CI=true``.
    """
    path = Path(os.environ.get("GRAPHSIEM_SAMPLES", REPO / ".." / "shared" / "datasets")).resolve()
    if not path.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"sample corpus not found at {path} (set GRAPHSIEM_SAMPLES)")
        pytest.skip(f"sample corpus not found at {path}")
    return path


@pytest.fixture
def graph(tmp_path: Path):
    """A real embedded graph store in a temporary data directory."""
    from graphsiem.store import open_store

    store = open_store("embedded", data_dir=tmp_path)
    yield store
    store.close()
