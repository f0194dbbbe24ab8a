"""The notebook-facing library API: one import, one ``open`` call, DataFrames out.

A thin facade over the layers below (simulator, ingest pipeline and journal,
graph stores, analytics); it adds no detection logic of its own, only
conversions to pandas and a few plotting conveniences.  pandas and matplotlib
come with the optional ``[notebooks]`` extra and are imported lazily, so the
rest of GraphSIEM never needs them.

Examples
--------
>>> from graphsiem import lab
>>> ws = lab.open("embedded", data_dir="lab-data", create=True)  # doctest: +SKIP
>>> telemetry = ws.simulate(hosts=120, days=2, seed=7)        # doctest: +SKIP
>>> ws.ingest(telemetry).total.accepted                       # doctest: +SKIP
24231
>>> clusters = ws.detect()                                    # doctest: +SKIP
>>> clusters[0].explanation.summary                           # doctest: +SKIP
'22 hosts first contacted domain cdn-img-delivery.example within 4 minutes; ...'
>>> ws.evaluate(telemetry / "ground_truth.json", clusters)    # doctest: +SKIP

Modules: :mod:`~graphsiem.lab.workspace` (store + journal, the entry point),
:mod:`~graphsiem.lab.clusters` (``ClusterView``), :mod:`~graphsiem.lab.evaluation`
(ground-truth tables), :mod:`~graphsiem.lab.drawing` (subgraph plots) and
:mod:`~graphsiem.lab.optional` (lazy pandas / matplotlib imports).
"""

from __future__ import annotations

import os

from analytics.baselines import BASELINES
from analytics.config import DetectionConfig
from analytics.features import FEATURE_DESCRIPTIONS, SCORED_FEATURES
from graphsiem import paths
from graphsiem.lab.clusters import ClusterView
from graphsiem.lab.drawing import draw_subgraph
from graphsiem.lab.evaluation import compare, evaluate, pr_curve
from graphsiem.lab.workspace import Workspace
from graphsiem.store import open_store

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
        empty workspace, and every detection in it would find nothing.

    Raises
    ------
    FileNotFoundError
        ``data_dir`` does not exist and ``create`` is false.

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
    return Workspace(open_store(store, data_dir=directory), directory)
