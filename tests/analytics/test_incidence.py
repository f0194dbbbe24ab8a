"""Incidence matrix: packing sightings, merging duplicates, column selection."""

from __future__ import annotations

import numpy as np

from analytics.incidence import build_incidence
from graphsiem.store.base import HostSighting


def test_duplicate_cells_merge_min_first_and_sum_count():
    inc = build_incidence(
        [
            HostSighting("a", ("domain", "x"), 20.0, 30.0, 2),
            HostSighting("a", ("domain", "x"), 10.0, 15.0, 3),
            HostSighting("b", ("domain", "x"), 12.0, 12.0, 1),
        ]
    )
    assert inc.host_counts().tolist() == [2]
    assert inc.first_seen_of(0).tolist() == [10.0, 12.0]
    assert inc.count[:, 0].toarray().ravel().tolist() == [5.0, 1.0]


def test_labels_are_sorted_whatever_the_stream_order():
    s = [HostSighting(h, ("ip", k), 1.0, 1.0, 1) for h, k in [("z", "2"), ("a", "1"), ("m", "2")]]
    forward, backward = build_incidence(s), build_incidence(s[::-1])
    assert forward.hosts == backward.hosts == ["a", "m", "z"]
    assert forward.entities == backward.entities == [("ip", "1"), ("ip", "2")]
    assert (forward.seen != backward.seen).nnz == 0


def test_host_sightings_are_not_columns():
    inc = build_incidence([HostSighting("a", ("host", "a"), 1.0, 1.0, 1)])
    assert inc.shape == (0, 0)


def test_select_keeps_chosen_columns_in_order():
    s = [HostSighting("a", ("ip", str(k)), float(k), float(k), 1) for k in range(3)]
    inc = build_incidence(s).select(np.array([2, 0]))
    assert inc.entities == [("ip", "2"), ("ip", "0")]
    assert inc.first_seen_of(0).tolist() == [2.0]
