"""The accumulator's one-host paths (issue #3 cost): the same aggregates as the general ones.

``EventContext.fill_one`` and ``Accumulator.sight_one`` are what the projector runs for
every event of a named host; they must leave exactly what ``fill(acc, event, host, (host,))``
and ``sight((host,), ...)`` leave.  ``Accumulator.remap`` re-keys only the relations and
sightings that name a placeholder; the rest keep their keys, order and aggregates.
"""

from __future__ import annotations

import pytest

from graphsiem.model import Event
from ingest.projection_accumulator import (
    DOMAIN,
    FILE,
    HOST,
    IP,
    PROCESS,
    URL,
    Accumulator,
    EventContext,
)
from ingest.receipt import RECEIVED_AT

_REFS = [
    (PROCESS, "p1"), (HOST, "ws-1"), (DOMAIN, "evil.example"), (FILE, "f1"), (IP, "10.0.0.9"),
    (URL, "http://evil.example/a"), (PROCESS, "p1"), (DOMAIN, "evil.example"),
]


def _event(n: int, ts: float, **fields: object) -> Event:
    return Event(f"e{n}", "sysmon:image_load", ts, "ws-1", "test", dict(fields), "live")


def _state(acc: Accumulator) -> tuple:
    return (list(acc.entities.items()), list(acc.sightings.items()), list(acc.contact_times.items()),
            list(acc.relations.items()))


@pytest.mark.parametrize("times", [[5.0], [5.0, 3.0, 9.0, 9.0], [7.0, 1.0]])
def test_sight_one_leaves_what_sight_with_one_host_leaves(times):
    one, general = Accumulator(), Accumulator()
    for ts in times:
        one.sight_one("ws-1", _REFS, ts)
        general.sight(("ws-1",), _REFS, ts)
    assert _state(one) == _state(general)
    assert ("ws-1", (HOST, "ws-1")) not in one.sightings  # a host is not sighted by itself
    assert one.contact_times[("ws-1", (DOMAIN, "evil.example"))] == set(times)  # timed types keep their times
    assert ("ws-1", (PROCESS, "p1")) not in one.contact_times


@pytest.mark.parametrize("fields", [{}, {RECEIVED_AT: 1_000.0}, {RECEIVED_AT: 10.0, "process.guid": "g"}])
def test_fill_one_leaves_what_fill_with_one_host_leaves(fields):
    event = _event(1, 20.0, **fields)
    one_acc, general_acc = Accumulator(), Accumulator()
    one, general = EventContext.__new__(EventContext), EventContext.__new__(EventContext)
    one.fill_one(one_acc, event, "ws-1")
    general.fill(general_acc, event, "ws-1", ("ws-1",))
    assert one.acc is one_acc
    for name in EventContext.__slots__:
        if name != "acc":
            assert getattr(one, name) == getattr(general, name), name
    assert _state(one_acc) == _state(general_acc)


def test_fill_one_keeps_a_hosts_entity_and_starts_a_new_touched_set():
    acc = Accumulator()
    acc.entity(HOST, "ws-1", "WS-1", {"os": "windows"})
    ctx = EventContext.__new__(EventContext)
    ctx.fill_one(acc, _event(1, 1.0), "ws-1")
    ctx.touch((FILE, "f1"))
    first_touched = ctx.touched
    ctx.fill_one(acc, _event(2, 2.0), "ws-1")
    assert acc.entities[(HOST, "ws-1")].value == "WS-1"
    assert acc.entities[(HOST, "ws-1")].props == {"os": "windows"}
    assert ctx.touched == set() and ctx.touched is not first_touched


def test_remap_moves_only_placeholders_and_keeps_the_rest_in_order():
    acc = Accumulator()
    host, placeholder, process, file = (HOST, "ws-1"), (PROCESS, "?pending:x"), (PROCESS, "p1"), (FILE, "f1")
    acc.relate(host, "RAN", process, 1.0, "e1")
    acc.relate(process, "LOADED", file, 2.0, "e2")
    acc.relate(host, "RAN", placeholder, 3.0, "e3")
    acc.relate(placeholder, "LOADED", file, 4.0, "e4")
    acc.relate(file, "SERVED_BY", (IP, "10.0.0.9"), 5.0, "e5")
    acc.sight_one("ws-1", [process, file], 1.0)
    acc.sight_one("ws-1", [placeholder], 3.0)
    before = list(acc.relations)
    acc.remap({placeholder: process})
    assert list(acc.relations) == [before[0], before[1], before[4]]
    assert acc.relations[(host, "RAN", process)][:4] == [1.0, 3.0, 2, ["e1", "e3"]]
    assert acc.relations[(process, "LOADED", file)][:4] == [2.0, 4.0, 2, ["e2", "e4"]]
    assert acc.relations[(file, "SERVED_BY", (IP, "10.0.0.9"))][:4] == [5.0, 5.0, 1, ["e5"]]
    assert acc.sightings == {("ws-1", process): [1.0, 3.0, 2], ("ws-1", file): [1.0, 1.0, 1]}
