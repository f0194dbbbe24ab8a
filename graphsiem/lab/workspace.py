"""``Workspace``: a graph store and the event journal of one data directory."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.baselines import run_baseline
from analytics.config import DetectionConfig
from analytics.detect import detect as run_detection
from analytics.evaluate import match
from analytics.features import Window, burst_size, first_contact_spread_minutes
from analytics.result import DetectionResult
from analytics.scoring import ClusterScorer
from graphsiem import paths
from graphsiem.lab.clusters import ClusterView
from graphsiem.lab.evaluation import Truth, evaluate, truth_entries
from graphsiem.lab.optional import pandas, timestamps
from graphsiem.model import EntityType, epoch_to_iso
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.report import IngestReport

if TYPE_CHECKING:
    import pandas as pd


class Workspace:
    """A graph store plus the event journal of one data directory.

    Create it with :func:`graphsiem.lab.open`.  Usable as a context manager; :meth:`close`
    flushes and releases the store.

    Attributes
    ----------
    store : GraphStore
    journal : ingest.journal.Journal
    data_dir : Path
    last_detection : analytics.result.DetectionResult or None
        The result of the latest :meth:`detect` (timings and counts in ``stats``).
    """

    def __init__(self, store: GraphStore, data_dir: Path) -> None:
        self.store = store
        self.data_dir = data_dir
        self.journal = Journal(paths.journal_path(data_dir))
        self.last_detection: DetectionResult | None = None
        self._driver: Any = None  # neo4j.Driver of cypher(), opened on first use

    def __repr__(self) -> str:
        return f"<Workspace store={self.store.name} data_dir={str(self.data_dir)!r}>"

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush and close the store and the journal (and the Cypher driver, if opened)."""
        if self._driver is not None:
            self._driver.close()
            self._driver = None
        self.store.close()
        self.journal.close()

    # -- data in --------------------------------------------------------------
    def simulate(
        self, *, hosts: int = 150, days: int = 2, seed: int = 7, out: str | os.PathLike[str] | None = None,
        density: float = 1.0,
    ) -> Path:
        """Write a simulated fleet's telemetry and ``ground_truth.json``.

        Parameters
        ----------
        hosts, days, seed : int
            Fleet size, days (the last one is the detection window), seed.
        out : path, optional
            Output directory (replaced); default ``<data_dir>/telemetry``.
        density : float
            Background volume (about 300 events per host-day at 1.0).

        Returns
        -------
        Path
            The output directory; the truth is ``<out>/ground_truth.json``.
        """
        from graphsiem.simulator import simulate

        target = Path(out) if out is not None else self.data_dir / "telemetry"
        simulate(target, hosts=hosts, days=days, seed=seed, density=density)
        return target

    def ingest(self, *paths_: str | os.PathLike[str], **options: Any) -> IngestReport:
        """Ingest files or directories into the journal and the graph.

        Extra keyword arguments go to :func:`ingest.pipeline.ingest_paths`
        (``format=``, ``default_timezone=``...).  The report counts received,
        accepted and rejected records per file and format (``report.render()``).
        """
        from ingest.pipeline import ingest_paths

        options.setdefault("progress", False)
        report = ingest_paths([Path(p) for p in paths_], store=self.store, journal=self.journal, **options)
        self.store.flush()
        return report

    # -- features -------------------------------------------------------------
    def features(self, *, window_hours: float | None = None, min_hosts: int = 1) -> pd.DataFrame:
        """Prevalence features, one row per (non-host) entity.

        Columns: ``type, key, value, hosts, fleet_fraction, count, first_seen,
        last_seen, active_days, is_new`` (first seen inside the detection
        window), ``first_contact_spread_min`` and ``burst_hosts`` (how
        synchronised the hosts' first contacts were, as the detector measures
        them), sorted by ``hosts`` descending.

        Parameters
        ----------
        window_hours : float, optional
            Length of the detection window, which ends where
            :func:`analytics.detect.detect` ends it (default that of
            :class:`DetectionConfig`); ``frame.attrs["window"]`` holds its bounds.
        min_hosts : int
            Leave out entities seen on fewer hosts.

        Examples
        --------
        >>> features = ws.features(min_hosts=2)                                  # doctest: +SKIP
        >>> features[features.is_new].sort_values("first_contact_spread_min")     # doctest: +SKIP
        """
        pd = pandas()
        types = [t.value for t in EntityType if t is not EntityType.HOST]
        fetched = list(self.store.entity_prevalence(entity_types=types, min_hosts=min(min_hosts, 2)))
        rows = [r for r in fetched if r.hosts >= min_hosts]
        n_hosts = max(self.store.counts().get("entities", {}).get(EntityType.HOST.value, 0), 1)
        hours = window_hours if window_hours is not None else DetectionConfig().window_hours
        # The window ends where detection's does: the newest sighting of an entity on 2+ hosts.
        end = max((r.last_seen for r in fetched if r.hosts >= 2), default=0.0)
        window = Window.ending_at(end, hours * 3600.0)
        firsts = [np.asarray(r.host_first_seen, dtype=np.float64) for r in rows]
        frame = pd.DataFrame(
            {
                "type": [r.entity[0] for r in rows],
                "key": [r.entity[1] for r in rows],
                "value": [r.value for r in rows],
                "hosts": [r.hosts for r in rows],
                "fleet_fraction": [r.hosts / n_hosts for r in rows],
                "count": [r.count for r in rows],
                "first_seen": timestamps([r.first_seen for r in rows]),
                "last_seen": timestamps([r.last_seen for r in rows]),
                "active_days": [max((r.last_seen - r.first_seen) / 86400.0, 1.0) for r in rows],
                "is_new": [r.first_seen >= window.start for r in rows],
                "first_contact_spread_min": [first_contact_spread_minutes(f) for f in firsts],
                "burst_hosts": [burst_size(f) for f in firsts],
            }
        )
        frame.attrs["window"] = (epoch_to_iso(window.start), epoch_to_iso(window.end))
        return frame.sort_values(["hosts", "type", "key"], ascending=[False, True, True]).reset_index(drop=True)

    # -- detection ------------------------------------------------------------
    def detect(self, config: DetectionConfig | None = None, **settings: Any) -> list[ClusterView]:
        """Detect fan-out clusters, highest risk first.

        Parameters
        ----------
        config : DetectionConfig, optional
            Default ``DetectionConfig()``.
        **settings
            Overrides of single settings, e.g. ``detect(min_hosts=4)``.

        Examples
        --------
        >>> clusters = ws.detect(new_pivots_only=False)       # doctest: +SKIP
        >>> top = clusters[0]                                 # doctest: +SKIP
        >>> top.explanation.summary, top.hosts[:3]            # doctest: +SKIP
        >>> top.evidence()[["time", "kind", "host"]]          # doctest: +SKIP
        """
        config = replace(config or DetectionConfig(), **settings)
        result = run_detection(self.store, config=config, journal=self.journal)
        self.last_detection = result
        return [ClusterView(c, self) for c in result.clusters]

    def baseline(self, name: str, config: DetectionConfig | None = None) -> list[ClusterView]:
        """A naive ranking (``"host-count"`` or ``"new-terms"``) for comparison."""
        result = run_baseline(self.store, name, config=config)
        return [ClusterView(c, self) for c in result.clusters]

    def cluster_frame(
        self, clusters: Sequence[ClusterView], truth: Truth | None = None
    ) -> pd.DataFrame:
        """One row per cluster: rank, risk, pivot, host count and every feature.

        With ``truth`` (a ``ground_truth.json``), ``truth`` and ``truth_kind``
        name the campaign or decoy each cluster matches (the evaluation's
        matching rule), empty when none.
        """
        pd = pandas()
        entries = truth_entries(truth) if truth is not None else None
        rows = []
        for rank, view in enumerate(clusters, start=1):
            row: dict[str, Any] = {
                "rank": rank, "id": view.id, "score": view.score, "hosts": len(view.hosts),
                "pivot_type": view.pivot.type, "pivot": view.pivot.value, "members": len(view.entities),
            }
            row.update(view.features)
            if entries is not None:
                entry = match(view.to_dict(), entries)
                row["truth"] = entry.name if entry else ""
                row["truth_kind"] = entry.kind if entry else ""
            rows.append(row)
        return pd.DataFrame(rows)

    def rescore(self, clusters: Sequence[ClusterView], X: Any, **scorer_params: Any) -> list[ClusterView]:
        """Re-score clusters on a custom feature matrix; re-ranked, highest risk first.

        Parameters
        ----------
        clusters : sequence of ClusterView
        X : array-like or DataFrame of shape (len(clusters), n_features)
            Any feature columns, e.g. :data:`SCORED_FEATURES` plus your own.
        **scorer_params
            :class:`analytics.scoring.ClusterScorer` parameters
            (``n_estimators``, ``max_samples``, ``max_features``, ``random_state``...).
        """
        scorer_params.setdefault("random_state", 0)
        features = np.asarray(X, dtype=np.float64)
        risk = ClusterScorer(**scorer_params).fit(features).risk(features)
        views = [view.with_score(r) for view, r in zip(clusters, risk, strict=True)]
        return sorted(views, key=lambda v: (-v.score, v.id))

    # -- evaluation -----------------------------------------------------------
    def evaluate(self, truth: Truth, clusters: Sequence[ClusterView]) -> pd.DataFrame:
        """See :func:`graphsiem.lab.evaluation.evaluate`."""
        return evaluate(truth, clusters)

    def save_config(self, config: DetectionConfig, path: str | os.PathLike[str]) -> Path:
        """Write ``config`` (YAML, or JSON for ``.json``) for ``graphsiem detect --config PATH``."""
        target = Path(path)
        config.save(target)
        return target.absolute()

    # -- Neo4j ----------------------------------------------------------------
    def cypher(self, query: str, *, write: bool = False, **params: Any) -> pd.DataFrame:
        """Run a parameterised Cypher query on the Neo4j store; records as a DataFrame.

        Values go in ``params`` (``$name`` in the query), never into the query
        text.  Queries run with read access unless ``write=True``.

        Examples
        --------
        >>> ws.cypher("MATCH (h:Host)-[s:SEEN]->(d:Domain {key: $domain}) "
        ...           "RETURN h.key AS host ORDER BY host", domain="example.com")  # doctest: +SKIP
        """
        import neo4j

        pd = pandas()
        if self.store.name != "neo4j":
            raise TypeError(f"cypher() needs a Neo4j workspace; this one uses the {self.store.name} store")
        store: Any = self.store
        if self._driver is None:
            # Same notification filter as the store: warnings about property keys
            # or relationship types not (yet) in the graph are expected noise.
            quiet = [neo4j.NotificationDisabledClassification.UNRECOGNIZED]
            self._driver = neo4j.GraphDatabase.driver(
                store.uri, auth=_neo4j_auth(), notifications_disabled_classifications=quiet
            )
        routing = neo4j.RoutingControl.WRITE if write else neo4j.RoutingControl.READ
        records, _, keys = self._driver.execute_query(query, params, database_=store.database, routing_=routing)
        return pd.DataFrame([r.values() for r in records], columns=keys)


def _neo4j_auth() -> tuple[str, str]:
    # The same variables graphsiem.store.open_store reads for its own connection.
    return os.environ.get("GRAPHSIEM_NEO4J_USER", "neo4j"), os.environ.get("GRAPHSIEM_NEO4J_PASSWORD", "")
