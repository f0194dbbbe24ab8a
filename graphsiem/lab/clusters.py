"""``ClusterView``: a scored cluster bound to the workspace it came from."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from analytics.config import DetectionConfig
from analytics.evidence import evidence_ids
from analytics.explain import Explanation
from analytics.result import Cluster
from graphsiem.lab.drawing import draw_subgraph
from graphsiem.lab.optional import pandas, timestamps
from graphsiem.model import Entity
from ingest.ipmap_evidence import mapped_hosts, preferred

if TYPE_CHECKING:
    import pandas as pd

    from graphsiem.lab.workspace import Workspace


@dataclass(slots=True)
class ClusterView:
    """A scored cluster bound to the workspace it came from.

    Attributes mirror :class:`analytics.result.Cluster` (``id``, ``score``,
    ``hosts``, ``entities``, ``pivot``, ``features``, ``explanation``); the
    methods fetch what lives in the store or the journal.
    """

    cluster: Cluster
    workspace: Workspace
    window: tuple[float, float] | None = None
    """The detection window ``(start, end)`` the cluster was found in (epoch seconds), if known."""
    config: DetectionConfig | None = None
    """The settings of the detection (or baseline) that made it: :meth:`Workspace.rescore` scores with its scorer's."""
    reference: np.ndarray | None = None
    """The earlier windows' candidate rows (:data:`analytics.features.SCORED_FEATURES` columns) the
    detection's scorer was fitted on besides this run's candidates; ``None`` when none were."""
    baseline: str | None = None
    """The naive ranking that made it (``"host-count"``, ``"new-terms"``), or ``None`` for the scorer's."""

    @property
    def id(self) -> str:
        return self.cluster.id

    @property
    def score(self) -> float:
        """Risk 0–100, higher = more suspicious; for a :attr:`baseline` row, what the baseline
        ranks by (the host count), not a risk."""
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
        """``summary`` (one line), ``features`` (value, baseline, contribution) and ``checks`` (next steps)."""
        return self.cluster.explanation

    def __repr__(self) -> str:
        score = f"risk={self.score:.1f}" if self.baseline is None else f"{self.baseline}={self.score:g}"
        return f"<ClusterView {score} hosts={len(self.hosts)} pivot={self.pivot.type}:{self.pivot.value[:60]!r}>"

    def to_dict(self) -> dict[str, Any]:
        """The PRODUCT.md cluster contract (what ``graphsiem detect --json`` writes)."""
        return self.cluster.to_contract()

    def explanation_frame(self) -> pd.DataFrame:
        """The explanation's features as a table, largest contribution first."""
        pd = pandas()
        return pd.DataFrame([f.to_dict() for f in self.explanation.features])

    def checks_frame(self) -> pd.DataFrame:
        """What to check next, most contributing feature first: ``feature``, ``check``, ``benign_if``."""
        pd = pandas()
        return pd.DataFrame([c.to_dict() for c in self.explanation.checks], columns=["feature", "check", "benign_if"])

    def subgraph(self, radius: int = 1, limit: int = 5000) -> nx.MultiDiGraph:
        """The store's graph around the members (nodes ``type:key``, edges by relation type)."""
        return self.cluster.subgraph(self.workspace.store, radius=radius, limit=limit)

    def evidence(self, limit: int = 50) -> pd.DataFrame:
        """The journaled events behind the cluster's relations, one row per event.

        Detection attaches at most ``DetectionConfig.evidence_per_cluster``
        references (20) to each of its ``evidence_top`` clusters; those come
        first.  When ``limit`` asks for more (or the cluster has none attached:
        past ``evidence_top``, a baseline row), the rest are looked up the same
        way (:func:`analytics.evidence.evidence_ids`, on the cluster's hosts and
        inside its detection window), so up to ``limit`` rows come back; fewer
        only when the graph holds fewer.

        Parameters
        ----------
        limit : int
            Most events returned (at least 1).

        Returns
        -------
        pandas.DataFrame
            ``event_id, time, kind, host, source, origin, fields, raw,
            mapped_host, mapped_from, mapped_source`` (``fields`` holds the
            normalised field dictionary, ``raw`` the record as received: a
            mapped Windows event's rendered message is only there), oldest
            first.  An event that names no host (a Zeek or Suricata record)
            gets in ``mapped_host`` the host the ingest's IP -> host map held
            for one of its addresses at its time (:mod:`ingest.ipmap_evidence`):
            an address mapped to one of the cluster's hosts first, the source
            before the destination; ``mapped_from`` says which (``"src"``,
            ``"dst"``) and ``mapped_source`` how the map learnt it (``"dhcp"``,
            ``"endpoint"``).  ``host`` stays the event's own (missing); the
            three are missing (None, or NaN in a text column) when nothing is
            mapped.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit!r}")
        pd = pandas()
        ids = [ref["event_id"] for ref in self.cluster.evidence][:limit]
        if len(ids) < limit:
            graph = self.subgraph()
            pairs = evidence_ids(graph, [e.ref for e in self.entities], self.hosts, limit=limit,
                                 window=self.window, journal=self.workspace.journal)
            held = set(ids)
            ids += [event_id for _, event_id in pairs if event_id not in held][: limit - len(ids)]
        journal = self.workspace.journal
        events = journal.get(ids)
        # which of the cluster's hosts a sensor record is about (review T11 F10): one map read for the frame
        found = mapped_hosts(journal.connection, events)
        mapped = [preferred(found.get(e.id, []), self.hosts) for e in events]
        frame = pd.DataFrame(
            {
                "event_id": [e.id for e in events],
                "time": timestamps([e.ts for e in events]),
                "kind": [e.kind for e in events],
                "host": [e.host for e in events],
                "source": [e.source for e in events],
                "origin": [e.origin for e in events],
                "fields": [e.fields for e in events],
                "raw": [e.raw for e in events],
                "mapped_host": [m.host if m else None for m in mapped],
                "mapped_from": [m.side if m else None for m in mapped],
                "mapped_source": [m.source if m else None for m in mapped],
            }
        )
        return frame.sort_values("time", kind="stable").reset_index(drop=True)

    def draw(self, ax: Any = None, *, radius: int = 1, seed: int = 0) -> Any:
        """Draw :meth:`subgraph` with the members highlighted (see :func:`draw_subgraph`)."""
        ax = draw_subgraph(self.subgraph(radius=radius), ax, highlight=[e.uid for e in self.entities], seed=seed)
        score = f"risk {self.score:.1f}" if self.baseline is None else f"{self.baseline} {self.score:g}"
        ax.set_title(f"{score}: {len(self.hosts)} hosts, {len(self.entities)} members")
        return ax

    def with_score(self, score: float) -> ClusterView:
        """A copy with another risk and the explanation unchanged: it then explains the old
        risk (:meth:`Workspace.rescore` re-explains instead)."""
        return replace(self, cluster=replace(self.cluster, score=float(score)))
