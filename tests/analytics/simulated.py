"""A simulated fleet through the real path, for tests that read detect's result on it.

simulate -> ingest (journal, embedded store) -> detect, with the simulator's ground truth.
"""

from __future__ import annotations

from pathlib import Path

from analytics.detect import DetectionResult, detect
from analytics.evaluate import TruthEntry, load_truth
from graphsiem.simulator.engine import simulate
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths


def simulated_detection(root: Path, *, hosts: int, days: int, seed: int, density: float,
                        scenarios: list[str] | None = None) -> tuple[DetectionResult, list[TruthEntry]]:
    """Simulate a fleet under ``root``, ingest its sensors' logs, detect; the result and the ground truth.

    ``scenarios``: scenario files to simulate (default the simulator's own).
    """
    simulate(root / "telemetry", hosts=hosts, days=days, seed=seed, density=density, scenarios=scenarios)
    store = EmbeddedStore(root / "graph")
    try:
        with Journal(root / "journal.sqlite") as journal:
            ingest_paths([root / "telemetry" / "endpoint", root / "telemetry" / "network"], store=store,
                         journal=journal, progress=False)
        result = detect(store)
    finally:
        store.close()
    return result, load_truth(root / "telemetry" / "ground_truth.json")


def ingest_simulated(root: Path, store, *, hosts: int, days: int, seed: int, density: float) -> Path:
    """Simulate a fleet under ``root`` and ingest its sensors' logs into ``store``; the journal's path
    (``root / "journal.sqlite"``), for a test that keeps it open beside the store."""
    simulate(root / "telemetry", hosts=hosts, days=days, seed=seed, density=density)
    with Journal(root / "journal.sqlite") as journal:
        ingest_paths([root / "telemetry" / "endpoint", root / "telemetry" / "network"], store=store,
                     journal=journal, progress=False)
    return root / "journal.sqlite"
