"""The notebook-facing library API: one import, one ``open`` call, DataFrames out.

A thin facade over the layers below (simulator, ingest pipeline and journal,
graph stores, analytics); it adds no detection logic of its own, only
conversions to pandas and a few plotting conveniences.  pandas and matplotlib
come with the optional ``[notebooks]`` extra and are imported lazily, so the
rest of GraphSIEM never needs them.

Examples
--------
The examples marked ``+SKIP`` write a data directory in the working directory;
``tests/graphsiem/lab/test_workspace_review_r6.py`` runs them in a temporary
one and checks they give what they show.

>>> from graphsiem import lab
>>> ws = lab.open("embedded", data_dir="lab-data", create=True)            # doctest: +SKIP
>>> telemetry = ws.simulate(hosts=120, days=2, seed=7, density=0.2)        # doctest: +SKIP
>>> ws.ingest(telemetry).total.accepted                                     # doctest: +SKIP
26907
>>> clusters = ws.detect()                                                  # doctest: +SKIP
>>> clusters[0].explanation.summary                                         # doctest: +SKIP
'22 hosts first contacted domain cdn-img-delivery.example within 9 minutes (10 of them within 4 minutes); ...'
>>> ws.evaluate(telemetry / "ground_truth.json", clusters).attrs["metrics"]["seed_rank"]  # doctest: +SKIP
1
>>> ws.close()                                                              # doctest: +SKIP

Modules: :mod:`~graphsiem.lab.workspace` (store + journal, the entry point),
:mod:`~graphsiem.lab.clusters` (``ClusterView``), :mod:`~graphsiem.lab.evaluation`
(ground-truth tables), :mod:`~graphsiem.lab.rescore_views` (``Workspace.rescore``; its rows matched to clusters in
:mod:`~graphsiem.lab.rescoring` and :mod:`~graphsiem.lab.row_order`),
:mod:`~graphsiem.lab.detect_settings` (``ws.detect(**settings)`` checked by name),
:mod:`~graphsiem.lab.suppressions` (the data directory's verdicts, applied by ``ws.detect``),
:mod:`~graphsiem.lab.detection_summary` (``ws.last_detection_summary``),
:mod:`~graphsiem.lab.drawing` (subgraph plots) and :mod:`~graphsiem.lab.optional` (lazy pandas /
matplotlib imports).
"""

from __future__ import annotations

import os

from analytics.baselines import BASELINES
from analytics.config import DetectionConfig
from analytics.features import FEATURE_DESCRIPTIONS
from analytics.features import SCORED_FEATURES as _SCORED_FEATURES
from graphsiem import paths
from graphsiem.lab.clusters import ClusterView
from graphsiem.lab.data_dir import NothingIngestedError, holds_data
from graphsiem.lab.drawing import draw_subgraph
from graphsiem.lab.evaluation import compare, evaluate, pr_curve
from graphsiem.lab.optional import timestamps
from graphsiem.lab.workspace import Workspace
from graphsiem.store import open_store

SCORED_FEATURES: list[str] = list(_SCORED_FEATURES)
"""The features the scorer ranks by (:data:`analytics.features.SCORED_FEATURES`), as a list so
that ``frame[lab.SCORED_FEATURES]`` selects those columns (pandas reads a tuple as one key)."""

__all__ = [
    "BASELINES",
    "FEATURE_DESCRIPTIONS",
    "SCORED_FEATURES",
    "ClusterView",
    "DetectionConfig",
    "NothingIngestedError",
    "Workspace",
    "compare",
    "draw_subgraph",
    "evaluate",
    "open",
    "pr_curve",
    "timestamps",
]


def open(  # noqa: A001 - reads as lab.open(...)
    store: str = "embedded", data_dir: str | os.PathLike[str] | None = None, *, create: bool = False
) -> Workspace:
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
    create : bool
        Make the data directory when it does not exist.  Without it a missing
        directory is an error: a mistyped path would otherwise open a new,
        empty workspace, and every detection in it would find nothing.  An
        existing directory that holds no data (no journal, no graph) is
        opened without making anything in it until the workspace writes
        (``ingest``) or its ``store`` / ``journal`` are used; reads
        (``detect``, ``features``, ``baseline``) refuse with
        :class:`NothingIngestedError`.  With ``create`` the store and journal
        are made at once.

    Raises
    ------
    FileNotFoundError
        ``data_dir`` does not exist and ``create`` is false.
    ValueError
        An unknown ``store``.

    Examples
    --------
    >>> import tempfile
    >>> with open("embedded", data_dir=tempfile.mkdtemp()) as ws:
    ...     ws.store.name
    'embedded'
    >>> open("embedded", data_dir="/nonexistent/lab-data")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no data directory at /nonexistent/lab-data: pass create=True to make a new one (or check data_dir and $GRAPHSIEM_DATA)
    """
    directory = paths.data_dir(data_dir, create=False)
    if not directory.is_dir():
        if directory.exists() or not create:
            problem = "not a directory" if directory.exists() else "pass create=True to make a new one"
            raise FileNotFoundError(
                f"no data directory at {directory}: {problem} (or check data_dir and $GRAPHSIEM_DATA)"
            )
        directory.mkdir(parents=True)
    elif not create and not holds_data(directory):
        if not _known_store(store):
            open_store(store, data_dir=directory, caller="lab")  # refuses it by name, before making anything
        kind = "embedded" if store == "embedded" else "neo4j"
        return Workspace(
            None, directory, open_store=lambda: open_store(store, data_dir=directory, caller="lab"), store_name=kind
        )
    return Workspace(open_store(store, data_dir=directory, caller="lab"), directory)


def _known_store(spec: str) -> bool:
    # graphsiem.store.open_store's names and schemes: another spec is refused there
    return spec in ("embedded", "neo4j") or spec.startswith(("bolt://", "neo4j://", "bolt+s://", "neo4j+s://"))
