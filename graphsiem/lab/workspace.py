"""``Workspace``: a graph store and the event journal of one data directory."""

from __future__ import annotations

import json
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
from analytics.features import (
    SCORED_FEATURES,
    SPREAD_CAP_MIN,
    SUSPICIOUS_DIRECTION,
    Window,
    burst_size,
    first_contact_spread_minutes,
)
from analytics.instants import instant_to_epoch
from analytics.result import DetectionResult
from analytics.window_end import default_window_end
from graphsiem import paths
from graphsiem.api.state import StateStore
from graphsiem.lab.clusters import ClusterView
from graphsiem.lab.evaluation import Truth, evaluate, truth_entries
from graphsiem.lab.optional import pandas, timestamps
from graphsiem.lab.rescoring import rescore_clusters
from graphsiem.model import EntityType, epoch_to_iso
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.report import IngestReport

if TYPE_CHECKING:
    import pandas as pd

SIMULATION_FILE = "simulation.json"
"""Written next to a simulated fleet's telemetry: the parameters that made it, so the same
simulation run again is told from another fleet (:meth:`Workspace.simulate`)."""

FRAME_COLUMNS = ("rank", "id", "score", "hosts", "pivot_type", "pivot_value", "members")
"""The first columns of :meth:`Workspace.cluster_frame`, before the features."""


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
        density: float = 1.0, merge: bool = False,
    ) -> Path:
        """Write a simulated fleet's telemetry and ``ground_truth.json``.

        Ingesting a second fleet into a journal that already holds one merges
        the two into one graph (the same host names, two seeds' campaigns), so
        a workspace whose journal holds events refuses a simulation other than
        the one it holds: re-running the same call (same ``hosts``, ``days``,
        ``seed``, ``density`` into the same ``out``) is allowed, and ingesting
        it again adds nothing (event ids are stable).  For another fleet, open
        a new data directory (``lab.open(data_dir=..., create=True)``), or pass
        ``merge=True`` if merging the fleets is what you want.

        Parameters
        ----------
        hosts, days, seed : int
            Fleet size, days (the last one is the detection window), seed.
        out : path, optional
            Output directory (replaced); default ``<data_dir>/telemetry``.
        density : float
            Background volume (about 300 events per host-day at 1.0).
        merge : bool
            Simulate even though the journal holds another fleet's events.

        Returns
        -------
        Path
            The output directory; the truth is ``<out>/ground_truth.json``.

        Raises
        ------
        FileExistsError
            The journal holds events and they are not from this simulation
            (without ``merge=True``).
        """
        from graphsiem.simulator import simulate

        target = Path(out) if out is not None else self.data_dir / "telemetry"
        params = {"hosts": hosts, "days": days, "seed": seed, "density": density}
        events = self.journal.counts()["events"]
        if events and not merge and _simulation_of(target) != params:
            raise FileExistsError(
                f"{self.data_dir} already holds {events} journaled events of another ingest, and "
                f"ingesting this simulation ({_describe(params)}) would merge two fleets into one graph: "
                "open a new data directory (lab.open(data_dir=..., create=True)) or pass merge=True"
            )
        simulate(target, hosts=hosts, days=days, seed=seed, density=density)
        (target / SIMULATION_FILE).write_text(json.dumps(params, sort_keys=True), encoding="utf-8")
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
    def features(
        self, *, window_hours: float | None = None, min_hosts: int = 1, now: Any = None
    ) -> pd.DataFrame:
        """Prevalence features, one row per (non-host) entity.

        Columns: ``type, key, value, hosts, fleet_fraction`` (of the hosts
        that sent telemetry, the detector's fleet), ``count, first_seen,
        last_seen, active_days, is_new`` (first seen inside the detection
        window), ``first_contact_spread_min`` and ``burst_hosts``, sorted by
        ``hosts`` descending.

        ``first_contact_spread_min`` and ``burst_hosts`` follow the detector's
        rules for a pivot (:func:`analytics.features.cluster_features`) applied
        to **every** host that saw the entity: for an entity new in the window,
        the inter-quartile range of the hosts' first contacts capped at 60
        minutes, and the most first contacts within one 10-minute span, 0 when
        they are fewer than half the hosts; for an entity seen before the
        window, the cap (60) and 0 (it is no fan-out).  The
        detector measures a cluster over the cluster's hosts only, so its
        values (``cluster_frame``) can differ; ``first_contact_spread_raw_min``
        and ``burst_hosts_raw`` are the uncapped, ungated values.

        Parameters
        ----------
        window_hours : float, optional
            Length of the detection window (> 0), which ends where
            :func:`analytics.detect.detect` ends it (default that of
            :class:`DetectionConfig`); ``frame.attrs["window"]`` holds its bounds.
        min_hosts : int
            Leave out entities seen on fewer hosts.
        now : float, datetime or ISO-8601 text, optional
            End of the window, as in :meth:`detect`: everything is read as
            known at ``now``.  Default the newest data.

        Raises
        ------
        ValueError
            ``window_hours`` not positive, or ``now`` not a time with a zone.

        Examples
        --------
        >>> features = ws.features(min_hosts=2)                                  # doctest: +SKIP
        >>> features[features.is_new].sort_values("first_contact_spread_min")     # doctest: +SKIP
        """
        pd = pandas()
        hours = window_hours if window_hours is not None else DetectionConfig().window_hours
        if not hours > 0:
            raise ValueError(f"window_hours must be > 0, got {window_hours!r}")
        until = instant_to_epoch(now) if now is not None else None
        default_end = None
        if until is None:
            # the detector's default end: the fleet's newest event, hosts with clocks ahead ignored;
            # this frame's window length, and the detector's smallest cluster (min_hosts here only
            # filters rows, default 1, which would let no stray host be set aside)
            default_end = default_window_end(self.store, min_hosts=DetectionConfig().min_hosts, window_hours=hours)
            until = default_end.end if default_end is not None else None
        types = [t.value for t in EntityType if t is not EntityType.HOST]
        fetched = list(self.store.entity_prevalence(entity_types=types, min_hosts=min(min_hosts, 2), until=until))
        rows = [r for r in fetched if r.hosts >= min_hosts]
        # the detector's fleet: hosts that sent telemetry, not every host node (a logon's
        # client-written WorkstationName is a host node too)
        n_hosts = max(self.store.sighting_hosts(until=until), 1)
        # The window ends where detection's does: now, else the fleet's newest event.
        end = until if until is not None else 0.0
        window = Window.ending_at(end, hours * 3600.0)
        if default_end is not None:  # hosts leading the fleet by hours move the start back, as in detect
            window = Window(default_end.window_start(hours * 3600.0), end)
        firsts = [np.asarray(r.host_first_seen, dtype=np.float64) for r in rows]
        is_new = [r.first_seen >= window.start for r in rows]
        spread_raw = [first_contact_spread_minutes(f) for f in firsts]
        burst_raw = [burst_size(f) for f in firsts]
        window_minutes = (window.end - window.start) / 60.0
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
                "is_new": is_new,
                "first_contact_spread_min": [
                    min(s if new else window_minutes, SPREAD_CAP_MIN) for s, new in zip(spread_raw, is_new, strict=True)
                ],
                "burst_hosts": [
                    b if new and b >= 0.5 * len(f) else 0 for b, new, f in zip(burst_raw, is_new, firsts, strict=True)
                ],
                "first_contact_spread_raw_min": spread_raw,
                "burst_hosts_raw": burst_raw,
            }
        )
        frame.attrs["window"] = (epoch_to_iso(window.start), epoch_to_iso(window.end))
        return frame.sort_values(["hosts", "type", "key"], ascending=[False, True, True]).reset_index(drop=True)

    # -- detection ------------------------------------------------------------
    def detect(self, config: DetectionConfig | None = None, *, now: Any = None, **settings: Any) -> list[ClusterView]:
        """Detect fan-out clusters, highest risk first.

        Parameters
        ----------
        config : DetectionConfig, optional
            Default ``DetectionConfig()``.
        now : float, datetime or ISO-8601 text, optional
            End of the detection window: epoch seconds, an aware ``datetime`` /
            ``pandas.Timestamp``, or text with a zone (``"2026-11-02T00:00Z"``).
            Nothing first seen after it is read (sightings, fleet size, first
            sightings, process trees), so a backtest sees what was known then.
            Default the newest data.
        **settings
            Overrides of single settings, e.g. ``detect(min_hosts=4)``.

        Returns
        -------
        list of ClusterView
            ``last_detection`` holds the run's result (window, timings, counts).

        Raises
        ------
        ValueError
            ``now`` is not a time with a zone.

        Examples
        --------
        >>> clusters = ws.detect(new_pivots_only=False)       # doctest: +SKIP
        >>> top = clusters[0]                                 # doctest: +SKIP
        >>> top.explanation.summary, top.hosts[:3]            # doctest: +SKIP
        >>> top.evidence()[["time", "kind", "host"]]          # doctest: +SKIP
        """
        until = instant_to_epoch(now) if now is not None else None
        config = replace(config or DetectionConfig(), **settings)
        # The data directory's state keeps each window's candidates: the scorer is fitted on
        # the earlier ones too, as the CLI and the service do (analytics.candidate_history).
        history = StateStore(paths.state_path(self.data_dir))
        try:
            result = run_detection(self.store, config=config, now=until, journal=self.journal, history=history)
        finally:
            history.close()
        self.last_detection = result
        window = (result.stats["window_start"], result.stats["window_end"]) if "window_end" in result.stats else None
        return [ClusterView(c, self, window) for c in result.clusters]

    def baseline(self, name: str, config: DetectionConfig | None = None, *, now: Any = None) -> list[ClusterView]:
        """A naive ranking (``"host-count"`` or ``"new-terms"``) for comparison, over the window ending at ``now``."""
        until = instant_to_epoch(now) if now is not None else None
        result = run_baseline(self.store, name, config=config, now=until)
        return [ClusterView(c, self) for c in result.clusters]

    def cluster_frame(
        self, clusters: Sequence[ClusterView], truth: Truth | None = None
    ) -> pd.DataFrame:
        """One row per cluster: rank, risk, pivot, host count and every feature.

        Columns: ``rank, id, score, hosts, pivot_type, pivot_value, members``,
        then the cluster's features (:data:`SCORED_FEATURES` and context);
        with ``truth`` (a ``ground_truth.json``), ``truth`` and ``truth_kind``
        name the campaign or decoy each cluster matches (the evaluation's
        matching rule), empty when none.  No clusters give those columns and
        no rows.  (The pivot's value is ``pivot_value``, not ``pivot``, which
        is a DataFrame method: ``frame.pivot`` would not be the column.)
        """
        pd = pandas()
        entries = truth_entries(truth) if truth is not None else None
        rows = []
        for rank, view in enumerate(clusters, start=1):
            row: dict[str, Any] = {
                "rank": rank, "id": view.id, "score": view.score, "hosts": len(view.hosts),
                "pivot_type": view.pivot.type, "pivot_value": view.pivot.value, "members": len(view.entities),
            }
            row.update(view.features)
            if entries is not None:
                entry = match(view.to_dict(), entries)
                row["truth"] = entry.name if entry else ""
                row["truth_kind"] = entry.kind if entry else ""
            rows.append(row)
        if rows:
            return pd.DataFrame(rows)
        columns = [*FRAME_COLUMNS, *SCORED_FEATURES, *(("truth", "truth_kind") if entries is not None else ())]
        return pd.DataFrame(columns=columns)

    def rescore(
        self, clusters: Sequence[ClusterView], X: Any, *, directions: Any = "detect", **scorer_params: Any
    ) -> list[ClusterView]:
        """Re-score clusters on a custom feature matrix, as :meth:`detect` scores; re-ranked, highest risk first.

        The same :class:`~analytics.scoring.ClusterScorer` as detection, with
        detection's defaults (200 trees, ``random_state=0``) and, unless told
        otherwise, its **one-sided** directions: a feature of
        :data:`SCORED_FEATURES` is clipped to its suspicious side of the
        median cluster (``SUSPICIOUS_DIRECTION``), and a column of your own is
        left two-sided.  So ``rescore(clusters, cluster_frame(clusters)[SCORED_FEATURES])``
        gives detection's risks back, and any difference comes from your columns.

        Each returned view's explanation is recomputed for ``X``: the Shapley
        contribution of every column to the new risk, against the median
        cluster (the summary line, which states facts of the cluster, is kept).

        Parameters
        ----------
        clusters : sequence of ClusterView
        X : DataFrame or array-like of shape (len(clusters), n_features)
            Any feature columns, e.g. :data:`SCORED_FEATURES` plus your own.  A
            DataFrame's column names pick the directions and name the
            explanation's features; an array must then be exactly the
            :data:`SCORED_FEATURES` columns, or come with ``directions``.
        directions : "detect", None, int or sequence of int
            ``"detect"`` (default): detection's direction of each
            :data:`SCORED_FEATURES` column by name, 0 (two-sided) for others.
            ``None``: a two-sided forest on every column.  Otherwise one of
            ``-1, 0, +1`` per column (or one for all): +1 higher is suspicious,
            -1 lower is, 0 either.
        **scorer_params
            Other :class:`analytics.scoring.ClusterScorer` parameters
            (``n_estimators``, ``max_samples``, ``max_features``,
            ``contamination``, ``random_state``...).

        Returns
        -------
        list of ClusterView
            The clusters with their new risk and explanation, highest risk
            first (ties: fewer hosts, then id, as detection orders them).

        Raises
        ------
        ValueError
            ``X`` has not one row per cluster, or ``directions="detect"`` with
            an unnamed array that is not the :data:`SCORED_FEATURES` columns.
        """
        names = [str(c) for c in X.columns] if hasattr(X, "columns") else None
        features = np.asarray(X, dtype=np.float64)
        if features.ndim != 2 or len(features) != len(clusters):
            raise ValueError(f"X must have one row per cluster ({len(clusters)}), got shape {features.shape}")
        if names is None:
            if directions == "detect" and features.shape[1] != len(SCORED_FEATURES):
                raise ValueError(
                    f"X has {features.shape[1]} unnamed columns: pass a DataFrame (its column names pick "
                    f"the directions) or directions= (one of -1, 0, +1 per column)"
                )
            names = list(SCORED_FEATURES) if features.shape[1] == len(SCORED_FEATURES) else [
                f"x{i}" for i in range(features.shape[1])]
        if isinstance(directions, str):
            if directions != "detect":
                raise ValueError(f"directions must be 'detect', None or -1/0/+1 per column, got {directions!r}")
            directions = [SUSPICIOUS_DIRECTION.get(name, 0) for name in names]
        scorer_params = {**DetectionConfig().scorer_params(), **scorer_params, "directions": directions}
        rescored = rescore_clusters([v.cluster for v in clusters], features, names, scorer_params)
        views = [ClusterView(c, v.workspace, v.window) for v, c in zip(clusters, rescored, strict=True)]
        return sorted(views, key=lambda v: (-round(v.score, 9), len(v.hosts), v.id))

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


def _simulation_of(telemetry: Path) -> dict[str, Any] | None:
    """The parameters of the simulation written in ``telemetry``, or ``None`` (none, or unreadable)."""
    try:
        found = json.loads((telemetry / SIMULATION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _describe(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def _neo4j_auth() -> tuple[str, str]:
    # The same variables graphsiem.store.open_store reads for its own connection.
    return os.environ.get("GRAPHSIEM_NEO4J_USER", "neo4j"), os.environ.get("GRAPHSIEM_NEO4J_PASSWORD", "")
