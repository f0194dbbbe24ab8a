"""The notebook-facing library API: one import, one ``open`` call, DataFrames out.

A thin facade over the layers below (simulator, ingest pipeline and journal,
graph stores, analytics); it adds no detection logic of its own, only
conversions to pandas and a few plotting conveniences.  pandas and matplotlib
come with the optional ``[notebooks]`` extra and are imported lazily, so the
rest of GraphSIEM never needs them.

Examples
--------
>>> from graphsiem import lab
>>> ws = lab.open("embedded", data_dir="lab-data")           # doctest: +SKIP
>>> telemetry = ws.simulate(hosts=120, days=2, seed=7)        # doctest: +SKIP
>>> ws.ingest(telemetry).total.accepted                       # doctest: +SKIP
24231
>>> clusters = ws.detect()                                    # doctest: +SKIP
>>> clusters[0].explanation.summary                           # doctest: +SKIP
'22 hosts first contacted domain cdn-img-delivery.example within 4 minutes; ...'
>>> ws.evaluate(telemetry / "ground_truth.json", clusters)    # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from analytics.baselines import BASELINES, run_baseline
from analytics.config import DetectionConfig
from analytics.detect import detect as run_detection
from analytics.evaluate import Evaluation, TruthEntry, load_truth, match
from analytics.evaluate import evaluate as evaluate_ranking
from analytics.evidence import evidence_ids
from analytics.explain import Explanation
from analytics.features import (
    FEATURE_DESCRIPTIONS,
    SCORED_FEATURES,
    Window,
    burst_size,
    first_contact_spread_minutes,
)
from analytics.result import Cluster, DetectionResult
from analytics.scoring import ClusterScorer
from graphsiem import paths
from graphsiem.model import Entity, EntityType, epoch_to_iso
from graphsiem.store import open_store
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.report import IngestReport

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BASELINES",
    "FEATURE_DESCRIPTIONS",
    "SCORED_FEATURES",
    "ClusterView",
    "DetectionConfig",
    "Workspace",
    "compare",
    "draw_subgraph",
    "evaluate",
    "open",
    "pr_curve",
]

_EXTRA_HINT = "install the notebooks extra: pip install 'graphsiem[notebooks]'"
_LABEL_CHARS = 28
_TYPE_COLOURS = {
    "host": "#4c72b0", "process": "#dd8452", "script": "#c44e52", "file": "#8172b3",
    "domain": "#55a868", "ip": "#937860", "url": "#64b5cd", "user": "#da8bc3",
}


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - the extra is installed in the dev env
        raise ImportError(f"graphsiem.lab needs pandas: {_EXTRA_HINT}") from exc
    return pandas


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover
        raise ImportError(f"graphsiem.lab needs matplotlib: {_EXTRA_HINT}") from exc
    return plt


def _times(pd: Any, seconds: Any) -> Any:
    # Whole milliseconds, as epoch_to_iso renders them (float seconds carry noise below that).
    millis = np.round(np.asarray(seconds, dtype=np.float64) * 1000.0).astype(np.int64)
    return pd.to_datetime(millis, unit="ms", utc=True)


# -- clusters ----------------------------------------------------------------------


@dataclass(slots=True)
class ClusterView:
    """A scored cluster bound to the workspace it came from.

    Attributes mirror :class:`analytics.result.Cluster` (``id``, ``score``,
    ``hosts``, ``entities``, ``pivot``, ``features``, ``explanation``); the
    methods fetch what lives in the store or the journal.
    """

    cluster: Cluster
    workspace: Workspace

    @property
    def id(self) -> str:
        return self.cluster.id

    @property
    def score(self) -> float:
        """Risk 0–100, higher = more suspicious."""
        return self.cluster.score

    @property
    def hosts(self) -> list[str]:
        return self.cluster.hosts

    @property
    def entities(self) -> list[Entity]:
        """Member entities, pivot first."""
        return self.cluster.entities

    @property
    def pivot(self) -> Entity:
        return self.cluster.pivot

    @property
    def features(self) -> dict[str, float]:
        return self.cluster.features

    @property
    def explanation(self) -> Explanation:
        """``summary`` (one line) and ``features`` (value, baseline, contribution)."""
        return self.cluster.explanation

    def __repr__(self) -> str:
        return f"<ClusterView risk={self.score:.1f} hosts={len(self.hosts)} pivot={self.pivot.type}:{self.pivot.value[:60]!r}>"

    def to_dict(self) -> dict[str, Any]:
        """The PRODUCT.md cluster contract (what ``graphsiem detect --json`` writes)."""
        return self.cluster.to_contract()

    def explanation_frame(self) -> pd.DataFrame:
        """The explanation's features as a table, largest contribution first."""
        pd = _pandas()
        return pd.DataFrame([f.to_dict() for f in self.explanation.features])

    def subgraph(self, radius: int = 1, limit: int = 5000) -> nx.MultiDiGraph:
        """The store's graph around the members (nodes ``type:key``, edges by relation type)."""
        return self.cluster.subgraph(self.workspace.store, radius=radius, limit=limit)

    def evidence(self, limit: int = 50) -> pd.DataFrame:
        """The journaled events behind the cluster's relations, one row per event.

        Uses the references detection attached; clusters past
        ``DetectionConfig.evidence_top`` (and baseline rows) get theirs looked
        up the same way (:func:`analytics.evidence.evidence_ids`).

        Returns
        -------
        pandas.DataFrame
            ``event_id, time, kind, host, source, origin, fields`` (``fields``
            holds the normalised field dictionary).
        """
        pd = _pandas()
        ids = [ref["event_id"] for ref in self.cluster.evidence][:limit]
        if not ids:
            graph = self.subgraph()
            pairs = evidence_ids(graph, [e.ref for e in self.entities], self.hosts, limit=limit)
            ids = [event_id for _, event_id in pairs]
        events = self.workspace.journal.get(ids)
        frame = pd.DataFrame(
            {
                "event_id": [e.id for e in events],
                "time": _times(pd, [e.ts for e in events]),
                "kind": [e.kind for e in events],
                "host": [e.host for e in events],
                "source": [e.source for e in events],
                "origin": [e.origin for e in events],
                "fields": [e.fields for e in events],
            }
        )
        return frame.sort_values("time", kind="stable").reset_index(drop=True)

    def draw(self, ax: Any = None, *, radius: int = 1, seed: int = 0) -> Any:
        """Draw :meth:`subgraph` with the members highlighted (see :func:`draw_subgraph`)."""
        ax = draw_subgraph(self.subgraph(radius=radius), ax, highlight=[e.uid for e in self.entities], seed=seed)
        ax.set_title(f"risk {self.score:.1f}: {len(self.hosts)} hosts, {len(self.entities)} members")
        return ax

    def with_score(self, score: float) -> ClusterView:
        """A copy with another risk (explanation unchanged), e.g. after :meth:`Workspace.rescore`."""
        return ClusterView(replace(self.cluster, score=float(score)), self.workspace)


# -- the workspace -----------------------------------------------------------------


class Workspace:
    """A graph store plus the event journal of one data directory.

    Create it with :func:`open`.  Usable as a context manager; :meth:`close`
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

    def __repr__(self) -> str:
        return f"<Workspace store={self.store.name} data_dir={str(self.data_dir)!r}>"

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush and close the store and the journal."""
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
            Detection window ending at the newest data (default that of
            :class:`DetectionConfig`).
        min_hosts : int
            Leave out entities seen on fewer hosts.
        """
        pd = _pandas()
        types = [t.value for t in EntityType if t is not EntityType.HOST]
        rows = list(self.store.entity_prevalence(entity_types=types, min_hosts=min_hosts))
        n_hosts = max(self.store.counts().get("entities", {}).get(EntityType.HOST.value, 0), 1)
        hours = window_hours if window_hours is not None else DetectionConfig().window_hours
        end = max((r.last_seen for r in rows), default=0.0)
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
                "first_seen": _times(pd, [r.first_seen for r in rows]),
                "last_seen": _times(pd, [r.last_seen for r in rows]),
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
        self, clusters: Sequence[ClusterView], truth: str | os.PathLike[str] | None = None
    ) -> pd.DataFrame:
        """One row per cluster: rank, risk, pivot, host count and every feature.

        With ``truth`` (a ``ground_truth.json``), ``truth`` and ``truth_kind``
        name the campaign or decoy each cluster matches (the evaluation's
        matching rule), empty when none.
        """
        pd = _pandas()
        entries = _truth(truth) if truth is not None else None
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
    def evaluate(self, truth: str | os.PathLike[str], clusters: Sequence[ClusterView]) -> pd.DataFrame:
        """See :func:`evaluate`."""
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

        pd = _pandas()
        if self.store.name != "neo4j":
            raise TypeError(f"cypher() needs a Neo4j workspace; this one uses the {self.store.name} store")
        store: Any = self.store
        routing = neo4j.RoutingControl.WRITE if write else neo4j.RoutingControl.READ
        # Same notification filter as the store: warnings about property keys
        # or relationship types not (yet) in the graph are expected noise.
        quiet = [neo4j.NotificationDisabledClassification.UNRECOGNIZED]
        with neo4j.GraphDatabase.driver(
            store.uri, auth=_neo4j_auth(), notifications_disabled_classifications=quiet
        ) as driver:
            records, _, keys = driver.execute_query(query, params, database_=store.database, routing_=routing)
        return pd.DataFrame([r.values() for r in records], columns=keys)


def _neo4j_auth() -> tuple[str, str]:
    # The same variables graphsiem.store.open_store reads for its own connection.
    return os.environ.get("GRAPHSIEM_NEO4J_USER", "neo4j"), os.environ.get("GRAPHSIEM_NEO4J_PASSWORD", "")


def open(store: str = "embedded", data_dir: str | os.PathLike[str] | None = None) -> Workspace:  # noqa: A001 - reads as lab.open(...)
    """Open a workspace: a graph store and the journal of a data directory.

    Parameters
    ----------
    store : str
        ``"embedded"`` (networkx, in ``<data_dir>/graph``), ``"neo4j"``
        (``GRAPHSIEM_NEO4J_URI`` / ``_USER`` / ``_PASSWORD``) or a
        ``bolt://`` / ``neo4j://`` URI.
    data_dir : path, optional
        Default ``$GRAPHSIEM_DATA`` else ``./.graphsiem``; the journal is
        ``<data_dir>/journal.sqlite`` whatever the store.

    Examples
    --------
    >>> import tempfile
    >>> with open("embedded", data_dir=tempfile.mkdtemp()) as ws:
    ...     ws.store.name
    'embedded'
    """
    directory = paths.data_dir(data_dir)
    return Workspace(open_store(store, data_dir=directory), directory)


# -- evaluation against ground truth ------------------------------------------------


def _truth(truth: str | os.PathLike[str] | Sequence[TruthEntry]) -> list[TruthEntry]:
    return list(truth) if isinstance(truth, Sequence) and not isinstance(truth, str) else load_truth(Path(truth))


def _evaluation(truth: Any, clusters: Sequence[ClusterView]) -> tuple[Evaluation, list[TruthEntry]]:
    entries = _truth(truth)
    return evaluate_ranking([c.to_dict() for c in clusters], entries), entries


def evaluate(truth: str | os.PathLike[str], clusters: Sequence[ClusterView]) -> pd.DataFrame:
    """Rank of every campaign and decoy of ``ground_truth.json`` in a ranking.

    The matching rule and metrics are :mod:`analytics.evaluate`'s.  The metrics
    (recall@5/@10, precision@5/@10, average precision, decoys in the top 10)
    are in ``frame.attrs["metrics"]``; :func:`compare` tabulates them.

    Returns
    -------
    pandas.DataFrame
        ``name, kind, rank, is_seed`` (``rank`` is missing when never found).
    """
    pd = _pandas()
    result, entries = _evaluation(truth, clusters)
    frame = pd.DataFrame(
        {
            "name": [e.name for e in entries],
            "kind": [e.kind for e in entries],
            "rank": pd.array([result.ranks[e.name] for e in entries], dtype="Int64"),
            "is_seed": [e.is_seed for e in entries],
        }
    )
    frame.attrs["metrics"] = _metrics(result)
    return frame


def _metrics(result: Evaluation) -> dict[str, Any]:
    return {
        "seed_rank": result.seed_rank,
        "attacks_in_top_10": result.attacks_in_top_10,
        "decoys_in_top_10": result.decoys_in_top_10,
        "recall_at_5": result.recall_at_5,
        "recall_at_10": result.recall_at_10,
        "precision_at_5": result.precision_at_5,
        "precision_at_10": result.precision_at_10,
        "average_precision": result.average_precision,
        "rows": result.rows,
    }


def compare(truth: str | os.PathLike[str], rankings: Mapping[str, Sequence[ClusterView]]) -> pd.DataFrame:
    """Metrics of several rankings against one ground truth, one row per ranking.

    Examples
    --------
    >>> compare(truth, {"scorer": ws.detect(), "new-terms": ws.baseline("new-terms")})  # doctest: +SKIP
    """
    pd = _pandas()
    entries = _truth(truth)
    rows = {name: _metrics(_evaluation(entries, ranking)[0]) for name, ranking in rankings.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def pr_curve(truth: str | os.PathLike[str], clusters: Sequence[ClusterView]) -> pd.DataFrame:
    """Precision and recall of attacks at every cut-off ``k`` of a ranking.

    Rows follow :func:`analytics.evaluate.evaluate`: a later cluster matching
    an already-found entry is dropped, unmatched clusters count as false
    positives, recall is over every attack of the truth (found or not).

    Returns
    -------
    pandas.DataFrame
        ``k, precision, recall``.
    """
    pd = _pandas()
    result, entries = _evaluation(truth, clusters)
    attacks = {e.name for e in entries if e.kind == "attack"}
    hits = np.cumsum([name in attacks for name in result.matched], dtype=np.float64)
    k = np.arange(1, len(hits) + 1)
    return pd.DataFrame({"k": k, "precision": hits / np.maximum(k, 1), "recall": hits / max(len(attacks), 1)})


# -- drawing ------------------------------------------------------------------------


def _label(data: Mapping[str, Any]) -> str:
    text = str(data.get("value") or data.get("key") or "")
    text = text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"
    # Values are attacker-controlled: '$' would switch matplotlib to mathtext.
    return text.replace("$", r"\$")


def draw_subgraph(
    graph: nx.MultiDiGraph, ax: Any = None, *, highlight: Sequence[str] = (), seed: int = 0
) -> Any:
    """Draw a store subgraph with matplotlib, nodes coloured by entity type.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A store subgraph (nodes ``type:key`` with ``type`` and ``value``).
    ax : matplotlib axes, optional
        Default a new 10 x 7 inch figure.
    highlight : sequence of str
        Node ids drawn large and labelled (e.g. a cluster's members); without
        it every non-host node is labelled.
    seed : int
        Seed of the spring layout.

    Returns
    -------
    matplotlib axes
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 7))
    simple = nx.Graph(graph)
    pos = nx.spring_layout(simple, seed=seed, k=1.5 / max(np.sqrt(len(simple)), 1.0))
    marked = set(highlight)
    for entity_type in sorted({str(d.get("type", "?")) for _, d in graph.nodes(data=True)}):
        nodes = [n for n, d in graph.nodes(data=True) if d.get("type") == entity_type]
        sizes = [260 if n in marked else (40 if entity_type == "host" else 90) for n in nodes]
        nx.draw_networkx_nodes(
            simple, pos, nodelist=nodes, ax=ax, node_size=sizes,
            node_color=_TYPE_COLOURS.get(entity_type, "#999999"), label=entity_type,
            edgecolors=["black" if n in marked else "none" for n in nodes],
        )
    nx.draw_networkx_edges(simple, pos, ax=ax, alpha=0.2, width=0.6)
    named = marked or {n for n, d in graph.nodes(data=True) if d.get("type") != "host"}
    labels = {n: _label(d) for n, d in graph.nodes(data=True) if n in named}
    nx.draw_networkx_labels(simple, pos, labels=labels, ax=ax, font_size=8)
    ax.legend(loc="best", fontsize=8, markerscale=0.6)
    ax.set_axis_off()
    return ax
