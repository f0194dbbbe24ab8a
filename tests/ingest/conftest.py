"""Fixtures of the ingest tests: own fixture files, a fresh journal, the sample corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.journal import Journal

FIXTURES = Path(__file__).parent / "fixtures"


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
def corpus(samples_dir: Path) -> Path:
    """The third-party sample corpus, read in place (``samples_dir`` of ``tests/conftest.py``)."""
    return samples_dir.resolve()


@pytest.fixture
def graph(tmp_path: Path):
    """A real embedded graph store in a temporary data directory."""
    from graphsiem.store import open_store

    store = open_store("embedded", data_dir=tmp_path)
    yield store
    store.close()
