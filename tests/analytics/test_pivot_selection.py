"""Pivot order (analytics.pivot_selection): a build a process ran names a cluster after its process (task T16B)."""

from __future__ import annotations

import numpy as np

from analytics.entity_stats import Window, entity_stats
from analytics.incidence import build_incidence
from analytics.pivot_selection import pivot_order
from graphsiem.store.base import HostSighting

NEW_PROGRAM = [("file", "b0" * 32), ("process", "implant.exe -k"), ("domain", "c2.example")]
"""A new program on five hosts: its build, its process, the domain it calls."""


def _order(image_builds: frozenset) -> list:
    sightings = [HostSighting(h, key, 100.0, 100.0, 1) for h in "abcde" for key in NEW_PROGRAM]
    sightings += [HostSighting(h, ("process", "filler"), 10.0, 100.0, 1) for h in "abcdefghijkl"]
    inc = build_incidence(sightings)
    stats = entity_stats(inc, [], window=Window(50.0, 150.0))
    stats.image_builds = image_builds
    order = pivot_order(inc, stats, np.array([inc.entities.index(k) for k in NEW_PROGRAM]))
    return [inc.entities[j] for j in order]


def test_a_build_a_process_ran_ranks_after_the_process_and_the_domain() -> None:
    assert _order(frozenset({NEW_PROGRAM[0]})) == [("domain", "c2.example"), ("process", "implant.exe -k"),
                                                  NEW_PROGRAM[0]]


def test_a_file_the_hosts_got_otherwise_keeps_its_file_rank() -> None:
    assert _order(frozenset()) == [("domain", "c2.example"), NEW_PROGRAM[0], ("process", "implant.exe -k")]
