"""The service says when its graph was projected by an older release (task G9, review RV7 finding 1).

``graphsiem serve`` logs the rebuild advice once at start, and ``/healthz``
carries ``graph_projection_version`` and ``graph_rebuild_advised``.  The old
release is simulated as the journal it left: a checkpoint above 0 and no
``projection_version`` key.
"""

from __future__ import annotations

import logging
import sqlite3
from logging.handlers import BufferingHandler
from pathlib import Path
from typing import Any

from graphsiem.api.startup_log import STARTUP_LOGGER
from graphsiem.model import Event
from ingest.journal import Journal
from ingest.projection_version import PROJECTION_VERSION, VERSION_KEY
from tests.api.conftest import make_settings, running_api

ADVICE = "the graph was projected by an older version of graphsiem"


def _journal_of_the_old_release(data: Path) -> None:
    with Journal(data / "journal.sqlite") as journal:
        journal.append([Event(id=f"e{n}", kind="ecs:event", ts=float(n), host="ws-1", source="ecs") for n in range(3)])
        journal.set_checkpoint(journal.last_seq())
    db = sqlite3.connect(data / "journal.sqlite")
    with db:  # the old release never wrote the key
        db.execute("DELETE FROM meta WHERE key = ?", (VERSION_KEY,))
    db.close()


def _serve(settings: Any, store: Any) -> tuple[dict[str, Any], list[str]]:
    logger = logging.getLogger(STARTUP_LOGGER)
    handler, level = BufferingHandler(capacity=10_000), logger.level  # its own: propagation may be off
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with running_api(settings, store) as api:
            response = api.client.get("/healthz")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert response.status_code == 200, response.text
    return response.json(), [record.getMessage() for record in handler.buffer]


def test_a_service_on_an_old_graph_logs_the_advice_once_and_healthz_carries_it(embedded_store, tmp_path) -> None:
    settings = make_settings(tmp_path / "data")
    _journal_of_the_old_release(settings.data_dir)

    health, lines = _serve(settings, embedded_store)

    assert health["graph_projection_version"] == 1 and health["graph_rebuild_advised"] is True
    advice = [line for line in lines if ADVICE in line]
    assert len(advice) == 1 and "run `graphsiem rebuild --store embedded`" in advice[0]


def test_a_service_on_a_fresh_directory_says_nothing(embedded_store, tmp_path) -> None:
    settings = make_settings(tmp_path / "data")

    health, lines = _serve(settings, embedded_store)

    assert health["graph_projection_version"] is None and health["graph_rebuild_advised"] is False
    assert not [line for line in lines if ADVICE in line]


def test_a_service_on_a_graph_of_this_version_says_nothing(embedded_store, tmp_path) -> None:
    settings = make_settings(tmp_path / "data")
    with Journal(settings.data_dir / "journal.sqlite") as journal:
        journal.append([Event(id="e1", kind="ecs:event", ts=0.0, host="ws-1", source="ecs")])
        journal.set_checkpoint(journal.last_seq())

    health, lines = _serve(settings, embedded_store)

    assert health["graph_projection_version"] == PROJECTION_VERSION and health["graph_rebuild_advised"] is False
    assert not [line for line in lines if ADVICE in line]
