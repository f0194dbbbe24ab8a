"""``Workspace``: a graph store and the event journal of one data directory."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.baselines import run_baseline
from analytics.config import DetectionConfig
from analytics.evaluate import match
from analytics.features import SCORED_FEATURES
from analytics.instants import instant_to_epoch
from analytics.result import DetectionResult
from graphsiem import paths
from graphsiem.lab.clusters import ClusterView
from graphsiem.lab.data_dir import refuse_if_empty
from graphsiem.lab.detect_settings import with_settings
from graphsiem.lab.detection_summary import detection_summary
from graphsiem.lab.entity_features import entity_feature_frame
from graphsiem.lab.evaluation import Truth, evaluate, truth_entries
from graphsiem.lab.history import detect_with_history
from graphsiem.lab.optional import pandas
from graphsiem.lab.rescore_views import rescore as rescore_views
from graphsiem.lab.rescoring import FRAME_INDEX
from graphsiem.lab.suppressions import with_triage_suppressions
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
        The result of the latest :meth:`detect` (timings and counts in ``stats``, raw: the
        window bounds there are epoch seconds).
    last_detection_summary : dict or None
        The latest :meth:`detect` as the API's detection record says it: the window in
        ISO-8601 text, ``window_note``, ``no_cluster_reason`` (why an empty run found
        nothing) and the triage suppressions held and applied
        (:func:`graphsiem.lab.detection_summary.detection_summary`).

    Without ``store``, ``open_store`` opens it on first use: ``lab.open`` on an
    existing directory holding no data makes nothing there (no ``graph/``, no
    journal) until :meth:`ingest` writes or ``store`` / ``journal`` are used.
    """

    def __init__(
        self, store: GraphStore | None, data_dir: Path, *, open_store: Callable[[], GraphStore] | None = None,
        store_name: str | None = None,
    ) -> None:
        if store is None and open_store is None:
            raise TypeError("Workspace needs a store or open_store")
        self._store = store
        self._open_store = open_store
        self._store_name = store.name if store is not None else store_name or "embedded"
        self.data_dir = data_dir
        self._journal = Journal(paths.journal_path(data_dir)) if store is not None else None
        self.last_detection: DetectionResult | None = None
        self.last_detection_summary: dict[str, Any] | None = None
        self._driver: Any = None  # neo4j.Driver of cypher(), opened on first use

    def __repr__(self) -> str:
        return f"<Workspace store={self._store_name} data_dir={str(self.data_dir)!r}>"

    @property
    def store(self) -> GraphStore:
        """The graph store (opened, and its files made, on first use when ``lab.open`` deferred it)."""
        self._open()
        assert self._store is not None
        return self._store

    @property
    def journal(self) -> Journal:
        """The event journal, ``<data_dir>/journal.sqlite`` (made on first use, as ``store``)."""
        self._open()
        assert self._journal is not None
        return self._journal

    def _open(self) -> None:
        if self._store is None and self._open_store is not None:
            self._store = self._open_store()
            self._journal = Journal(paths.journal_path(self.data_dir))

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush and close the store and the journal (and the Cypher driver, if opened)."""
        if self._driver is not None:
            self._driver.close()
            self._driver = None
        if self._store is not None:
            self._store.close()
        if self._journal is not None:
            self._journal.close()

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
        ValueError
            ``density`` is negative or not a finite number.
        """
        from graphsiem.simulator import simulate

        if not (isinstance(density, int | float) and math.isfinite(density) and density >= 0):
            raise ValueError(f"density must be a finite number >= 0 (1.0: about 300 events per host-day), got {density!r}")
        target = Path(out) if out is not None else self.data_dir / "telemetry"
        params = {"hosts": hosts, "days": days, "seed": seed, "density": density}
        events = self.journal.counts()["events"] if self._journal is not None else 0
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
        A simulation's directory can be given whole: its ``ground_truth.json``
        and ``simulation.json`` are skipped (not telemetry).
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
        that sent telemetry, the detector's fleet), ``count, first_seen``
        (earliest sighting on any host), ``last_seen, active_days, is_new``,
        ``first_contact_spread_min`` and ``burst_hosts``, sorted by ``hosts``
        descending.

        ``is_new`` is the detector's rule (:mod:`analytics.novelty`): fewer
        than ``DetectionConfig().min_hosts`` hosts saw the entity before the
        window, one host with a clock behind or staged early tolerated, so an
        entity can be new although its ``first_seen`` is before the window.
        (The detector's second horizon, young and spreading, is not flagged here.)

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
        NothingIngestedError
            The data directory or its store holds no data.

        Examples
        --------
        >>> features = ws.features(min_hosts=2)                                  # doctest: +SKIP
        >>> features[features.is_new].sort_values("first_contact_spread_min")     # doctest: +SKIP
        """
        until = instant_to_epoch(now) if now is not None else None
        self._refuse_if_empty()
        return entity_feature_frame(self.store, window_hours=window_hours, min_hosts=min_hosts, until=until)

    # -- detection ------------------------------------------------------------
    def detect(
        self, config: DetectionConfig | None = None, *, now: Any = None, history: bool | None = None,
        suppressions: bool = True, **settings: Any,
    ) -> list[ClusterView]:
        """Detect fan-out clusters, highest risk first.

        As ``graphsiem detect`` does, the scorer is fitted on this window's
        candidate clusters and on those of earlier windows kept in the data
        directory's ``state.sqlite`` (:mod:`analytics.candidate_history`;
        only windows that ended by this one's start).  Which runs read and keep
        them: see ``history``.  So two detections over the same data and window
        give the same risks whatever ran between them.  And as it does, the
        analysts' benign verdicts kept there (the service's triage suppressions)
        are applied: their clusters are scored with the others, then left out, so
        on the same data the lab, ``graphsiem detect`` and the API show the same
        clusters with the same risks (see ``suppressions``).

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
        history : bool, optional
            Default: read the earlier windows' candidates, and keep this run's
            only when it detects the newest data (a backtest, ``now=``, keeps
            nothing and backfills nothing).  ``True``: read and keep (a backtest
            too).  ``False``: neither; the scorer is fitted on this window's
            candidates alone (:mod:`graphsiem.lab.history`).
        suppressions : bool
            Default ``True``: apply the data directory's triage suppressions, added to
            ``config.suppressed`` (:mod:`graphsiem.lab.suppressions`).  ``False``: detect
            without them (``graphsiem detect --no-suppressions``), e.g. to see the clusters
            analysts closed as benign.  ``last_detection_summary`` says how many are held,
            whether they were ignored, and which removed a cluster.
        **settings
            Overrides of single settings, e.g. ``detect(min_hosts=4)``.

        Returns
        -------
        list of ClusterView
            ``last_detection`` holds the run's result (window, timings, counts;
            ``stats["history_rows"]``: the earlier rows fitted on), and
            ``last_detection_summary`` the same in words (an empty run's
            ``no_cluster_reason``, the window in ISO text).  Each view
            carries the run's ``config`` and those earlier rows (``reference``),
            which :meth:`rescore` fits on again.

        Raises
        ------
        ValueError
            ``now`` is not a time with a zone.
        analytics.config.ConfigError
            A setting that does not exist (``min_host=4``) or has the wrong type (``min_hosts="3"``), by name.
        NothingIngestedError
            The data directory or its store holds no data.
        RuntimeError
            The service state's suppressions cannot be read (``suppressions=False`` detects without them).

        Examples
        --------
        >>> clusters = ws.detect(new_pivots_only=False)       # doctest: +SKIP
        >>> top = clusters[0]                                 # doctest: +SKIP
        >>> top.explanation.summary, top.hosts[:3]            # doctest: +SKIP
        >>> top.evidence()[["time", "kind", "host"]]          # doctest: +SKIP
        """
        until = instant_to_epoch(now) if now is not None else None
        config = with_settings(config or DetectionConfig(), settings)
        self._refuse_if_empty()
        run_config, triage = with_triage_suppressions(config, self.data_dir, apply=suppressions)
        result, reference = detect_with_history(
            self.store, run_config, now=until, journal=self.journal, state_path=paths.state_path(self.data_dir),
            history=history,
        )
        self.last_detection = result
        self.last_detection_summary = detection_summary(self.store, result, run_config, now=until,
                                                        suppressions=triage)
        window = (result.stats["window_start"], result.stats["window_end"]) if "window_end" in result.stats else None
        return [ClusterView(c, self, window, run_config, reference) for c in result.clusters]

    def baseline(self, name: str, config: DetectionConfig | None = None, *, now: Any = None) -> list[ClusterView]:
        """A naive ranking (``"host-count"`` or ``"new-terms"``) for comparison, over the window ending at ``now``.

        A row's ``score`` is what the baseline ranks by (the host count), not a
        risk; :meth:`cluster_frame` leaves its ``score`` empty (NaN).

        Raises
        ------
        NothingIngestedError
            The data directory or its store holds no data.
        """
        until = instant_to_epoch(now) if now is not None else None
        self._refuse_if_empty()
        result = run_baseline(self.store, name, config=config, now=until)
        return [ClusterView(c, self, config=config or DetectionConfig(), baseline=name) for c in result.clusters]

    def _refuse_if_empty(self) -> None:
        """The CLI's "nothing has been ingested" check, and a store without sightings (:mod:`graphsiem.lab.data_dir`)."""
        refuse_if_empty(self.data_dir, None)  # before the store is opened: a read makes no files
        refuse_if_empty(self.data_dir, self.store.sighting_hosts())

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

        The index is the cluster ids (named ``cluster_id``), so a sorted or
        filtered frame still gives :meth:`rescore` each cluster's own row.
        ``score`` is the risk; a baseline's row (:meth:`baseline`) has none
        (NaN): the baseline ranks by host count, which is ``hosts``.
        """
        pd = pandas()
        entries = truth_entries(truth) if truth is not None else None
        rows = []
        for rank, view in enumerate(clusters, start=1):
            row: dict[str, Any] = {
                "rank": rank, "id": view.id, "score": view.score if view.baseline is None else math.nan,
                "hosts": len(view.hosts), "pivot_type": view.pivot.type, "pivot_value": view.pivot.value,
                "members": len(view.entities),
            }
            row.update(view.features)
            if entries is not None:
                entry = match(view.to_dict(), entries)
                row["truth"] = entry.name if entry else ""
                row["truth_kind"] = entry.kind if entry else ""
            rows.append(row)
        columns = [*FRAME_COLUMNS, *SCORED_FEATURES, *(("truth", "truth_kind") if entries is not None else ())]
        frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)
        frame.index = pd.Index([row["id"] for row in rows], name=FRAME_INDEX, dtype=object)
        return frame

    def rescore(
        self, clusters: Sequence[ClusterView], X: Any, *, directions: Any = "detect", custom: Iterable[str] = (),
        history: bool | None = None, order: str | None = None, **scorer_params: Any,
    ) -> list[ClusterView]:
        return rescore_views(clusters, X, directions=directions, custom=custom, history=history, order=order,
                             **scorer_params)

    # help(ws.rescore) in a notebook shows the whole reference, kept with the code in its module
    rescore.__doc__ = rescore_views.__doc__

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
