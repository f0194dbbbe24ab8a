"""Two naive rankings to beat, in the same contract shape as the scorer's clusters.

* ``host-count``: every entity active in the window on at least ``k`` hosts,
  ranked by host count ("alert on anything on >= k hosts").
* ``new-terms``: every entity first seen by the fleet inside the window on at
  least ``k`` hosts, ranked by host count (Elastic-style "new terms" rule).

Each row is one entity (a one-member cluster) whose hosts are the hosts that
saw it in the window; ``score`` is the host count.  Both read the same inputs as
the scorer (:func:`analytics.inputs.load_inputs`), so the comparison is fair.
"""

from __future__ import annotations

import time

import numpy as np

from analytics.config import DetectionConfig
from analytics.explain import Explanation, FeatureContribution
from analytics.inputs import DetectionInputs, load_inputs
from analytics.result import Cluster, DetectionResult, cluster_id
from graphsiem.model import Entity
from graphsiem.store.base import GraphStore

BASELINES = ("host-count", "new-terms")


def baseline_ranking(inputs: DetectionInputs, name: str, *, k: int) -> list[Cluster]:
    """Rank entities by host count under baseline ``name``.

    Parameters
    ----------
    inputs : DetectionInputs
    name : {"host-count", "new-terms"}
    k : int
        Fewest window hosts.

    Returns
    -------
    list of Cluster
        One-entity clusters, most hosts first (ties by key).
    """
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}: expected one of {', '.join(BASELINES)}")
    inc, st = inputs.incidence, inputs.stats
    keep = st.window_hosts >= k
    if name == "new-terms":
        keep &= st.is_new
    columns = sorted(np.flatnonzero(keep).tolist(), key=lambda j: (-int(st.window_hosts[j]), inc.entities[j]))
    out = []
    for j in columns:
        type_, key = inc.entities[j]
        entity = inputs.processes.get((type_, key)) or Entity(type_, key, st.values[j])
        rows = inc.hosts_of(j)
        n = int(st.window_hosts[j])
        feature = FeatureContribution("host_count", float(n), float(k), 1.0, "hosts that saw it in the window")
        out.append(
            Cluster(
                id=cluster_id(type_, key),
                pivot=entity,
                score=float(n),
                hosts=sorted(inc.hosts[r] for r in rows),
                entities=[entity],
                first_seen=float(inc.first_seen_of(j).min()),
                last_seen=float(st.last_seen[j]),
                features={"host_count": float(n)},
                explanation=Explanation(f"{n} hosts saw {type_} {entity.value[:80]} ({name} baseline)", (feature,)),
            )
        )
    return out


def run_baseline(
    store: GraphStore, name: str, *, config: DetectionConfig | None = None, now: float | None = None
) -> DetectionResult:
    """Run baseline ``name`` over ``store`` with ``k = config.min_hosts``."""
    config = config or DetectionConfig()
    started, t0 = time.time(), time.perf_counter()
    inputs = load_inputs(store, config, now=now)
    clusters = [] if inputs is None else baseline_ranking(inputs, name, k=config.min_hosts)
    return DetectionResult(clusters, started, time.perf_counter() - t0, {"baseline": name, "clusters": len(clusters)})
