"""A behaviour signature's hosts as what a detection holds of it (:mod:`analytics.behaviour_pivots`).

:class:`BehaviourPivots` is what :func:`analytics.behaviour_pivots.behaviour_pivots` returns: per
signature, an incidence column extended into the window's incidence as a registered-domain rollup is
(:class:`analytics.registered_domains.Rollups`), the processes behind its facts (credited to the pivot
as linked processes) and its synthetic entity; :func:`add_pivot` makes the three of one group of
hosts.  Moved out of :mod:`analytics.behaviour_pivots`, which re-exports both names and
:data:`MAX_LINKED`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.behaviour_pairs import HostPairs
from analytics.behaviour_words import (
    FACT_WORDS,
    PIVOT_RECORD,
    behaviour_key,
    describe,
    pivot_record,
)
from analytics.incidence import Incidence
from analytics.registered_domains import Rollup, Rollups
from graphsiem.model import Entity, EntityKey
from graphsiem.store.base import EntityPrevalence

__all__ = ["MAX_LINKED", "BehaviourPivots", "add_pivot"]

MAX_LINKED = 500
"""Most processes handed to the credit per signature (its hosts' first facts first)."""


@dataclass(slots=True)
class BehaviourPivots:
    """The behaviour pivots of one detection: their incidence columns and the processes behind them."""

    columns: Rollups = field(default_factory=Rollups)
    """One :class:`~analytics.registered_domains.Rollup` per signature (``registered``: its words;
    no subdomains), extended into the incidence as rollups are."""
    links: dict[EntityKey, dict[EntityKey, float]] = field(default_factory=dict)
    """Pivot -> the processes behind its facts -> the fact's time (credited as linked processes)."""
    recurring: int = 0
    """Signatures on ``min_hosts`` window hosts left out: established before the window (a daily benign pair)."""
    routine_hosts: int = 0
    """Window hosts left out of a signature they showed (summed over signatures on ``min_hosts`` window hosts):
    each completed its pair on :data:`ROUTINE_DAYS` distinct days before the window."""
    history_reads: int = 0
    """Processes whose sightings :func:`earlier_facts` read from the store (not in the window)."""
    pair_lookups: int = 0
    """Index look-ups made to pair facts (window and history): the pairing's work, near-linear in facts."""
    facts_capped: int = 0
    """Facts left out of pairing by the per-host caps (:data:`analytics.behaviour_pairs.MAX_FACTS_PER_KIND`)."""
    history_truncated: bool = False
    """More processes than :data:`MAX_READ` needed reading: some history was not read (errs towards a pivot)."""
    carried: list[dict[str, Any]] = field(default_factory=list)
    """The benign verdicts carried to a new build (:func:`analytics.behaviour_verdicts.carry_record`): said in the
    detection's stats (``verdicts_carried``), as a carry is weaker than a verdict given."""
    refused: list[dict[str, Any]] = field(default_factory=list)
    """The carries the builds' signers stopped (the same records with ``refused``: why): ``verdicts_refused``."""
    entities: dict[EntityKey, Entity] = field(default_factory=dict)
    """Pivot -> its synthetic entity (the shown value; props: its kinds and :data:`PIVOT_RECORD`, what this
    detection made of it), the one a cluster grown from it carries."""

    def __bool__(self) -> bool:
        return bool(self.columns.items)


def add_pivot(
    pivots: BehaviourPivots, incidence: Incidence, kinds: tuple[str, str], shape: tuple[str, str] | None,
    hosts: Mapping[int, HostPairs], *, processes: Mapping[EntityKey, Entity],
    images: Mapping[EntityKey, str], minutes: float,
) -> None:
    """One signature's group of hosts as an incidence column, its linked processes and its entity."""
    rows = np.array(sorted(hosts), dtype=np.int64)
    first = np.array([hosts[int(r)].first[0] for r in rows])
    # per host, the facts of the group's pairs there (an admin's encoded command hours later, of no
    # pair, is another matter): the cells' counts and the processes credited
    mine = [sorted(hosts[int(r)].facts, key=lambda f: (f.at, f.kind, f.process)) for r in rows]
    count = np.array([float(len(found)) for found in mine])
    last = np.array([max(f.at for f in found) for found in mine])
    key = behaviour_key(kinds, None if shape is None else shape[0])
    example_row = int(rows[int(np.argmin(first))])
    value = describe(kinds, hosts[example_row].first, host=incidence.hosts[example_row], processes=processes,
                     images=images, minutes=minutes, shape=shape)
    prevalence = EntityPrevalence(
        entity=key, value=value, hosts=len(rows), first_seen=float(first.min()), last_seen=float(last.max()),
        count=int(count.sum()), host_first_seen=tuple(sorted(first.tolist())),
    )
    words = " + ".join(FACT_WORDS[k] for k in kinds)
    pivots.columns.items[key] = Rollup(key, words, (), (), rows, first, count, last, prevalence)
    linked: dict[EntityKey, float] = {}
    for fact in sorted((f for found in mine for f in found), key=lambda f: (f.at, f.process)):
        if len(linked) >= MAX_LINKED:
            break
        linked.setdefault(fact.process, fact.at)
    pivots.links[key] = linked
    cells = zip((incidence.hosts[int(r)] for r in rows), first.tolist(), last.tolist(), count.tolist(), strict=True)
    pivots.entities[key] = Entity(key[0], key[1], value,
                                  {"behaviour": list(kinds), PIVOT_RECORD: pivot_record(cells, linked)})
