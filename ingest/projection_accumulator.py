"""Per-batch aggregation for the projection: entities, relations, sightings, and one event's context.

:class:`Accumulator` collects one batch (one :class:`Relation` per ``(src, type, dst)``,
one :class:`Sighting` per ``(host, entity)``); :class:`EventContext` is the event being
projected, whose ``rel`` and ``touch`` the rules of the sibling ``projection_*`` modules
call.  Both are on the ingest hot path: their loops are written out, not delegated.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from graphsiem.contact_times import TIMED_TYPES, merge_times
from graphsiem.evidence_keep import EVIDENCE_HEAD, keep_ends
from graphsiem.model import (
    EVIDENCE_CAP,
    Entity,
    EntityKey,
    EntityType,
    Event,
    Projection,
    Relation,
    RelationType,
    Sighting,
    add_signatures,
    add_tally,
)
from ingest.receipt import RECEIVED_AT, LatenessPolicy

HOST, USER, PROCESS, SCRIPT, FILE, DOMAIN, IP, URL = (
    EntityType.HOST.value,
    EntityType.USER.value,
    EntityType.PROCESS.value,
    EntityType.SCRIPT.value,
    EntityType.FILE.value,
    EntityType.DOMAIN.value,
    EntityType.IP.value,
    EntityType.URL.value,
)
# plain str values (not enum members), so stores and JSON see "RAN", never RelationType.RAN
R = SimpleNamespace(**{t.name: t.value for t in RelationType})


class Accumulator:
    """Per-batch aggregation of entities, relations and sightings.

    ``lateness``: how long before its receipt an event received live may date its
    sightings, per channel (:mod:`ingest.receipt`; :attr:`EventContext.seen`).
    """

    __slots__ = ("connections", "contact_times", "deferred", "entities", "lateness", "relations", "sightings",
                 "signatures", "tallies", "wfp_connections")

    def __init__(self, lateness: LatenessPolicy | None = None) -> None:
        self.lateness = LatenessPolicy() if lateness is None else lateness
        self.entities: dict[EntityKey, Entity] = {}
        self.relations: dict[tuple[EntityKey, str, EntityKey], list[Any]] = {}
        self.sightings: dict[tuple[str, EntityKey], list[float]] = {}
        self.contact_times: dict[tuple[str, EntityKey], set[float]] = {}
        """The times of this batch's contacts per host and destination (:mod:`graphsiem.contact_times`)."""
        self.deferred: dict[EntityKey, list[Any]] = {}
        """Placeholder process refs of this batch, resolved at its end (see ``EntityBuilders._settle_deferred``)."""
        self.connections: dict[tuple[Any, ...], list[float]] = {}
        """The times of this batch's Sysmon 3 connections by host, pid and ends (see ``EndpointRules._settle_wfp``)."""
        self.wfp_connections: list[tuple[Event, str]] = []
        """This batch's Security 5156 events and their hosts, projected at its end unless Sysmon 3 logged them."""
        self.signatures: dict[tuple[EntityKey, str, EntityKey], list[Any]] = {}
        """This batch's IDS signatures by ``ALERTED`` relation: ``[{signature: alerts}, alerts dropped]``."""
        self.tallies: dict[tuple[EntityKey, str, EntityKey], tuple[dict[str, dict[str, int]], dict[str, int]]] = {}
        """This batch's tallies by relation (``VALIDATED_AT``'s outcomes and claimed workstations):
        ``({tally: {label: count}}, {tally: dropped})``."""

    def tally(self, src: EntityKey, type_: str, dst: EntityKey, name: str, label: str) -> None:
        """Count one observation of ``label`` in the tally ``name`` of ``src -[type]-> dst`` (related already)."""
        kept = self.tallies.get((src, type_, dst))
        if kept is None:
            kept = self.tallies[(src, type_, dst)] = ({}, {})
        lost = add_tally(kept[0].setdefault(name, {}), {label: 1})
        if lost:
            kept[1][name] = kept[1].get(name, 0) + lost

    def signature(self, src: EntityKey, type_: str, dst: EntityKey, signature: str) -> None:
        """Count one alert of ``signature`` on the relation ``src -[type]-> dst`` (related already)."""
        kept = self.signatures.get((src, type_, dst))
        if kept is None:
            self.signatures[(src, type_, dst)] = [{signature: 1}, 0]
        else:
            kept[1] += add_signatures(kept[0], {signature: 1})

    def entity(self, type_: str, key: str, value: str, props: dict[str, Any] | None = None) -> EntityKey:
        """Add (or merge props into) an entity; returns its ``(type, key)``."""
        ref = (type_, key)
        known = self.entities.get(ref)
        if known is None:
            self.entities[ref] = Entity(type_, key, value, props or {})
        elif props:
            # the last value wins, as the stores merge props across batches: the
            # result is the same wherever batches happen to be cut (live ingest
            # cuts by records, a replay by events)
            known.props.update(props)
        return ref

    def relate(self, src: EntityKey, type_: str, dst: EntityKey, ts: float, event_id: str) -> None:
        """Count one observation of ``src -[type]-> dst``."""
        key = (src, type_, dst)
        agg = self.relations.get(key)
        if agg is None:
            self.relations[key] = [ts, ts, 1, [event_id], event_id]
            return
        if ts < agg[0]:
            agg[0] = ts
        if ts > agg[1]:
            agg[1] = ts
        # one event relates a pair at most once; its relations are added together,
        # so comparing with the last event seen is enough (O(1), not a list scan)
        if agg[4] != event_id:
            agg[4] = event_id
            agg[2] += 1
            kept = agg[3]
            if len(kept) >= EVIDENCE_CAP:  # full: the oldest of the recent half makes room (evidence_keep)
                del kept[EVIDENCE_HEAD]
            kept.append(event_id)

    def sight(self, hosts: tuple[str, ...], refs: Iterable[EntityKey], ts: float) -> None:
        """Count one event of each of ``hosts`` touching each entity of ``refs`` but hosts.

        One call per event, not per sighting: this runs for every entity every event touches.
        Host by host (:meth:`sight_one`): each host's sightings of a ref come in ``hosts`` order,
        as the stores keep them, and every aggregate (times, counts) is order-free.
        """
        if len(hosts) > 1 and not isinstance(refs, (set, list, tuple)):
            refs = tuple(refs)  # read once per host
        for host in hosts:
            self.sight_one(host, refs, ts)

    def sight_one(self, host: str, refs: Iterable[EntityKey], ts: float) -> None:
        """:meth:`sight` for one host: an endpoint event's (the projector's every event with a host).

        Written out without the loop over hosts: a one-host tuple's loop was a third of a sighting.
        """
        sightings = self.sightings
        for ref in refs:
            ref_type = ref[0]
            if ref_type == HOST:
                continue
            key = (host, ref)
            if ref_type in TIMED_TYPES:  # a set: the batch's times are trimmed once, in projection()
                times = self.contact_times.get(key)
                if times is None:
                    self.contact_times[key] = {ts}
                else:
                    times.add(ts)
            agg = sightings.get(key)
            if agg is None:
                sightings[key] = [ts, ts, 1]
                continue
            if ts < agg[0]:
                agg[0] = ts
            if ts > agg[1]:
                agg[1] = ts
            agg[2] += 1

    def remap(self, mapping: dict[EntityKey, EntityKey]) -> None:
        """Move every relation and sighting of an entity of ``mapping`` to the entity it maps to.

        Two aggregates that become one keep the earliest first and latest last time, and the
        events of both: evidence joined in order without repeats (capped), the count that of
        the distinct events when the evidence lists are complete, else the sum.  Sightings have
        no event ids, so their counts add (an event that touched both placeholders and their
        target counts twice: a process that accessed itself through two names).
        """
        if not mapping:
            return
        relations: dict[tuple[EntityKey, str, EntityKey], list[Any]] = {}
        for key, agg in self.relations.items():
            # most relations name no placeholder: a containment test each end, and the key kept
            src, type_, dst = key
            if src in mapping or dst in mapping:
                key = (mapping.get(src, src), type_, mapping.get(dst, dst))
            known = relations.get(key)
            if known is None:
                relations[key] = agg
                continue
            _widen(known, agg)
            seen = set(known[3])
            extra = [event_id for event_id in agg[3] if event_id not in seen]
            complete = known[2] == len(known[3]) and agg[2] == len(agg[3])
            known[2] = len(known[3]) + len(extra) if complete else known[2] + agg[2]
            known[3].extend(extra)
            keep_ends(known[3])
        self.relations = relations
        sightings: dict[tuple[str, EntityKey], list[float]] = {}
        for sighting, counts in self.sightings.items():
            if sighting[1] in mapping:
                sighting = (sighting[0], mapping[sighting[1]])
            known_counts = sightings.get(sighting)
            if known_counts is None:
                sightings[sighting] = counts
                continue
            _widen(known_counts, counts)
            known_counts[2] += counts[2]
        self.sightings = sightings
        contact_times: dict[tuple[str, EntityKey], set[float]] = {}
        for (host, ref), times in self.contact_times.items():
            contact_times.setdefault((host, mapping.get(ref, ref)), set()).update(times)
        self.contact_times = contact_times

    def projection(self) -> Projection:
        """The aggregated batch as a :class:`Projection`."""
        relations = [
            Relation(src, type_, dst, first, last, count, evidence)
            for (src, type_, dst), (first, last, count, evidence, _) in self.relations.items()
        ]
        if self.signatures:  # alerts only: a few relations of a batch
            for relation in relations:
                kept = self.signatures.get((relation.src, relation.type, relation.dst))
                if kept is not None:
                    relation.signatures, relation.signatures_dropped = kept
        if self.tallies:  # credential validations only: a few relations of a batch
            for relation in relations:
                tallied = self.tallies.get((relation.src, relation.type, relation.dst))
                if tallied is not None:
                    relation.tallies, relation.tallies_dropped = tallied[0], tallied[1] or None
        return Projection(
            entities=list(self.entities.values()),
            relations=relations,
            sightings=[
                Sighting(host, ref, first, last, int(count), self._kept_times((host, ref)))
                for (host, ref), (first, last, count) in self.sightings.items()
            ],
        )

    def _kept_times(self, key: tuple[str, EntityKey]) -> tuple[float, ...]:
        """The batch's contact times of a sighting, trimmed as the stores keep them (empty: no destination)."""
        times = self.contact_times.get(key)
        return () if times is None else merge_times(times)


def _widen(span: list[Any], other: list[Any]) -> None:
    """Widen the ``[first, last, ...]`` of an aggregate to cover ``other``'s."""
    span[0] = min(span[0], other[0])
    span[1] = max(span[1], other[1])


class EventContext:
    """One event being projected: its hosts, and the entities it touched.

    ``ts`` is the event's time (its relations', and the process joins'); ``seen`` the time
    its sightings take: ``ts``, or for an event received live, not before its receipt
    minus its channel's allowed lateness (:meth:`ingest.receipt.LatenessPolicy.sighting_time`).
    """

    __slots__ = ("acc", "event", "fields", "ts", "seen", "host", "hosts", "touched")

    def __init__(self, acc: Accumulator, event: Event, host: str | None, hosts: tuple[str, ...]):
        self.fill(acc, event, host, hosts)

    def fill(self, acc: Accumulator, event: Event, host: str | None, hosts: tuple[str, ...]) -> None:
        """Point the context at ``event`` (the projector refills one for endpoint events:
        building one was ~0.5 us of every endpoint event, measured)."""
        self.fill_one(acc, event, host)
        for other in hosts:
            if other != host:  # the event's own host was added by fill_one
                acc.entity(HOST, other, other)
        self.hosts = hosts

    def fill_one(self, acc: Accumulator, event: Event, host: str | None) -> None:
        """:meth:`fill` for an event of one named host or none (``hosts`` is ``(host,)`` or empty).

        The projector's path for every endpoint event: no loop over hosts (issue #3 cost).
        """
        self.acc = acc
        self.event = event
        fields = self.fields = event.fields
        ts = self.ts = event.ts
        received = fields.get(RECEIVED_AT)
        self.seen = ts if received is None else acc.lateness.sighting_time(ts, received, event.origin)
        self.touched: set[EntityKey] = set()
        if not host:
            self.host: EntityKey | None = None
            self.hosts = ()
            return
        ref = self.host = (HOST, host)
        entities = acc.entities
        if ref not in entities:  # as acc.entity(HOST, host, host), without the call
            entities[ref] = Entity(HOST, host, host, {})
        self.hosts = (host,)

    def rel(self, src: EntityKey | None, type_: str, dst: EntityKey | None) -> None:
        if src is None or dst is None:
            return
        # Accumulator.relate, inlined: this runs for every relation of every event
        key = (src, type_, dst)
        ts = self.ts
        event_id = self.event.id
        relations = self.acc.relations
        agg = relations.get(key)
        if agg is None:
            relations[key] = [ts, ts, 1, [event_id], event_id]
        else:
            if ts < agg[0]:
                agg[0] = ts
            if ts > agg[1]:
                agg[1] = ts
            if agg[4] != event_id:  # see Accumulator.relate
                agg[4] = event_id
                agg[2] += 1
                kept = agg[3]
                if len(kept) >= EVIDENCE_CAP:  # as in Accumulator.relate, written out (hot path)
                    del kept[EVIDENCE_HEAD]
                kept.append(event_id)
        touched = self.touched
        touched.add(src)
        touched.add(dst)

    def touch(self, ref: EntityKey | None) -> None:
        if ref is not None:
            self.touched.add(ref)
