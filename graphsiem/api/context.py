"""The objects one application instance works with, built once by ``create_app``."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphsiem.api.metrics import Metrics
from graphsiem.api.state import StateStore
from graphsiem.settings import Settings
from graphsiem.store.base import GraphStore

if TYPE_CHECKING:
    from graphsiem.webhook import WebhookNotifier


@dataclass(slots=True)
class AppContext:
    """Settings, stores, metrics and helpers shared by the routers.

    ``store_guard`` serialises access to a store that is not safe to read
    while another thread writes (the embedded networkx store); for Neo4j,
    whose driver sessions are independent, it is a no-op.
    """

    settings: Settings
    store: GraphStore
    state: StateStore
    metrics: Metrics
    journal: Any = None
    webhook: WebhookNotifier | None = None
    detections: Any = None  # services.detections.DetectionRunner, set by create_app
    ingest: Any = None  # services.ingest.IngestService, set by create_app
    caches: dict[str, Any] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def store_guard(self) -> AbstractContextManager[Any]:
        """A context manager to hold while using the graph store."""
        if getattr(self.store, "name", "") == "neo4j":
            return nullcontext()
        return self._lock
