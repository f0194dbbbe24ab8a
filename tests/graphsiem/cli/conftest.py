"""Fixtures of the CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.fleet import populate


@pytest.fixture
def fleet_data_dir(tmp_path: Path) -> Path:
    """A data directory whose embedded graph holds the hand-built fleet of ``tests.analytics.fleet``."""
    store = EmbeddedStore(tmp_path / "data" / "graph")
    populate(store)
    store.close()
    return tmp_path / "data"
