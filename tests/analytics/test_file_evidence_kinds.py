"""Which kinds of evidence a file is (task F8): ``source_kinds`` on hand-built clusters.

The graph does not record which sensor saw a file; a file is endpoint evidence only when an
endpoint event names it in a relation detect reads (a driver the hosts installed or the kernel
loaded), and otherwise counts for neither kind.  Domains, IPs and URLs are the network side.
"""

from __future__ import annotations

import numpy as np

from analytics.entity_stats import Window, entity_stats
from analytics.features import FeatureContext, cluster_features
from analytics.incidence import build_incidence
from graphsiem.store.base import HostSighting

DAY = 86400.0
END = 30 * DAY
HOSTS = [f"ws-{i:02d}" for i in range(8)]
DRIVER = ("file", "c:\\windows\\temp\\rtcore64.sys")
DOWNLOAD = ("file", "5" * 64)
URL = ("url", "http://203.0.113.9/x.bin")
OLD = ("process", "explorer")


def _kinds(members: list[tuple[str, str]], drivers: frozenset[tuple[str, str]] = frozenset()) -> float:
    """source_kinds of the cluster of ``members`` (all new, on every host), with ``drivers`` the kernel drivers."""
    sightings = [HostSighting(h, OLD, END - 5 * DAY, END, 9) for h in HOSTS]  # a history before the window
    sightings += [HostSighting(h, key, END - 3600 + 10 * i, END - 600, 1) for i, h in enumerate(HOSTS) for key in members]
    incidence = build_incidence(sightings)
    stats = entity_stats(incidence, [], window=Window(END - DAY, END), n_hosts=len(HOSTS))
    columns = incidence.column_index()
    member_columns = np.array([columns[key] for key in members], dtype=np.int64)
    context = FeatureContext(incidence, stats, drivers=drivers)
    facts = cluster_features(context, member_columns[0], member_columns, np.arange(len(HOSTS)))
    return facts.features["source_kinds"]


def test_a_driver_the_hosts_installed_is_endpoint_evidence_beside_a_network_destination():
    assert _kinds([DRIVER, URL], drivers=frozenset({DRIVER})) == 2.0


def test_a_file_no_endpoint_relation_names_is_neither_kind():
    """A download only a network sensor may have seen (a file and its URL): one kind, the URL's."""
    assert _kinds([DOWNLOAD, URL]) == 1.0
    assert _kinds([DOWNLOAD]) == 0.0
