"""The IP map's treap against a plain list of intervals that spells out its rules (hypothesis).

:class:`ListMap` is the map as it was before the treap, each rule a scan of
every interval: a new lease ends other hosts' leases that started before it
and hold past it (their endpoint intervals stay whole); a lease or observation widens the first interval (by start,
then by age) of the same host and source that it touches, else it is added;
a lookup takes the interval holding the time that started last (learnt last
among those starting together, a widened one whose start moved learnt when it moved), passing over a device's
claim (CEF ``shost``) when a lease or sighting holds the time, a lease gives way to
the last other host's endpoint interval holding the time whose last sighting came after the lease began,
and a NetBIOS-truncated name gives way to the
one full name beginning it held at that time.  Random sequences (times out of
order, renewals, one host on many addresses, leases of no length) must give
the same intervals and the same answers at every edge.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.ipmap import ENDPOINT_SLACK, NETBIOS_LENGTH, IpHostMap
from ingest.journal import Journal

FULL_NAME = "laptop-verylongname01"
HOSTS = ("ws-1", "ws-2", "ws-3", FULL_NAME[:NETBIOS_LENGTH], FULL_NAME, FULL_NAME[:NETBIOS_LENGTH] + "x")
IPS = ("10.0.0.1", "10.0.0.2", "10.0.0.3")


class ListMap:
    """The rules of :class:`ingest.ipmap.IpHostMap`, each a scan of a list: the reference model."""

    def __init__(self) -> None:
        self.intervals: dict[str, list[list]] = {}  # [start, end, host, source, seq]
        self.made = 0

    def add_lease(self, ip: str, host: str, start: float, seconds: float) -> None:
        for interval in self.intervals.get(ip, []):
            if interval[2] != host and interval[3] == "dhcp" and interval[0] < start < interval[1]:
                interval[1] = start
        self._merge(ip, start, start + max(seconds, 0.0), host, "dhcp")

    def add_endpoint(self, ip: str, host: str, ts: float) -> None:
        self._merge(ip, ts - ENDPOINT_SLACK, ts + ENDPOINT_SLACK, host, "endpoint")

    def add_claim(self, ip: str, host: str, ts: float) -> None:
        self._merge(ip, ts - ENDPOINT_SLACK, ts + ENDPOINT_SLACK, host, "device")

    def _merge(self, ip: str, start: float, end: float, host: str, source: str) -> None:
        intervals = self.intervals.setdefault(ip, [])
        for interval in sorted(intervals, key=lambda i: (i[0], i[4])):
            if interval[2] == host and interval[3] == source and interval[0] <= end and start <= interval[1]:
                if start < interval[0]:  # a moved start is learnt anew: the latest among those starting then
                    self.made += 1
                    interval[4] = self.made
                interval[0], interval[1] = min(interval[0], start), max(interval[1], end)
                return
        self.made += 1
        intervals.append([start, end, host, source, self.made])

    def ordered(self, ip: str) -> list[tuple[float, float, str, str]]:
        return [(i[0], i[1], i[2], i[3]) for i in sorted(self.intervals.get(ip, []), key=lambda i: (i[0], i[4]))]

    def lookup(self, ip: str, ts: float) -> str | None:
        holding = [i for i in self.intervals.get(ip, []) if i[0] <= ts <= i[1]]
        if not holding:
            return None
        latest = max(holding, key=lambda i: (i[0], i[4]))
        own = [i for i in holding if i[3] != "device"]
        if latest[3] == "device" and own:
            latest = max(own, key=lambda i: (i[0], i[4]))
        host = latest[2]
        if latest[3] == "dhcp":
            sighted = [i for i in sorted(holding, key=lambda i: (i[0], i[4]))
                       if i[3] == "endpoint" and i[2] != host and i[1] - ENDPOINT_SLACK > latest[0]]
            if sighted:
                host = sighted[-1][2]
        if len(host) == NETBIOS_LENGTH and len(self.intervals[ip]) > 1:
            longer = {i[2] for i in holding if len(i[2]) > NETBIOS_LENGTH and i[2].startswith(host)}
            if len(longer) == 1:
                return longer.pop()
        return host


times = st.integers(0, 40).map(lambda t: t * 900.0)  # quarter hours: ties and touching ends are common
steps = st.one_of(
    st.tuples(st.just("lease"), st.sampled_from(IPS), st.sampled_from(HOSTS), times,
              st.sampled_from((0.0, 900.0, 1800.0, 3600.0, 5000.0, 86400.0))),
    st.tuples(st.just("endpoint"), st.sampled_from(IPS), st.sampled_from(HOSTS), times, st.just(0.0)),
    st.tuples(st.just("device"), st.sampled_from(IPS), st.sampled_from(HOSTS), times, st.just(0.0)),
    st.tuples(st.just("save"), st.just(""), st.just(""), st.just(0.0), st.just(0.0)),
)


def edges(reference: ListMap, ip: str) -> list[float]:
    """Every start and end of ``ip``'s intervals, and just before and after each."""
    points = {point for i in reference.intervals.get(ip, []) for point in (i[0], i[1])}
    return sorted({p + d for p in points for d in (-0.5, 0.0, 0.5)}) or [0.0]


def learn(ipmap: IpHostMap, reference: ListMap | None, step: tuple) -> None:
    kind, ip, host, ts, seconds = step
    for target in (ipmap, reference) if reference is not None else (ipmap,):
        if kind == "lease":
            target.add_lease(ip, host, ts, seconds)
        elif kind == "endpoint":
            target.add_endpoint(ip, host, ts)
        elif kind == "device":
            target.add_claim(ip, host, ts)


def assert_same_as_the_list(sequence: list[tuple]) -> None:
    ipmap, reference = IpHostMap(), ListMap()
    for step in sequence:
        learn(ipmap, reference, step)
    for ip in IPS:
        assert [(i.start, i.end, i.host, i.source) for i in ipmap.intervals(ip)] == reference.ordered(ip)
        for ts in edges(reference, ip):
            assert ipmap.lookup(ip, ts) == reference.lookup(ip, ts), (ip, ts)
    assert len(ipmap) == sum(len(v) for v in reference.intervals.values())


@settings(max_examples=400, deadline=None)
@given(st.lists(steps, max_size=60))
def test_the_treap_gives_the_lists_intervals_and_answers(sequence):
    assert_same_as_the_list(sequence)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(steps.map(lambda step: (step[0], step[1] and IPS[0], *step[2:])), min_size=100, max_size=400))
def test_one_address_held_hundreds_of_times_gives_the_same(sequence):
    """Deeper trees: one address, hundreds of leases and observations."""
    assert_same_as_the_list(sequence)


@settings(max_examples=200, deadline=None)
@given(st.lists(steps, max_size=40), st.lists(st.tuples(st.sampled_from(IPS), times), max_size=12))
def test_a_watch_that_has_not_changed_answers_as_the_map(sequence, looked_up):
    """While ``changed`` is False, every answer given through the watch is still the map's answer."""
    ipmap = IpHostMap()
    watch = ipmap.watch()
    answers = {(ip, ts): watch.lookup(ip, ts) for ip, ts in looked_up}
    for step in sequence:
        learn(ipmap, None, step)
        if watch.changed:
            break
        assert {(ip, ts): ipmap.lookup(ip, ts) for ip, ts in looked_up} == answers


@pytest.fixture(scope="module")
def shared_journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    """One journal for every example of a test (its map table emptied by each): a real SQLite file."""
    with Journal(tmp_path_factory.mktemp("ipmap") / "journal.sqlite") as journal:
        yield journal


@settings(max_examples=100, deadline=None)
@given(sequence=st.lists(steps, max_size=40))
def test_saving_changes_no_answer_and_a_loaded_map_keeps_the_intervals(shared_journal, sequence):
    """Saves between steps leave the live map as without them; the journal holds its intervals."""
    db = shared_journal.connection
    db.execute("DELETE FROM ip_hosts")
    saved, unsaved = IpHostMap(), IpHostMap()
    for step in sequence:
        learn(saved, None, step)
        learn(unsaved, None, step)
        if step[0] == "save":
            saved.save(db)
    saved.save(db)
    loaded = IpHostMap().load(db)
    for ip in IPS:
        assert saved.intervals(ip) == unsaved.intervals(ip)
        # the table keeps one row per (ip, start, host): the interval learnt last of those
        kept = {(i.start, i.host): i for i in saved.intervals(ip)}
        assert sorted(loaded.intervals(ip), key=lambda i: (i.start, i.host)) == [kept[key] for key in sorted(kept)]


def table(db) -> dict[tuple[str, float, str], tuple[float, str]]:
    """The ``ip_hosts`` rows: ``(ip, start, host) -> (end, source)``."""
    return {(ip, start, host): (end, source)
            for ip, start, end, host, source in db.execute("SELECT ip, start, end, host, source FROM ip_hosts")}


def rows_of(ipmap: IpHostMap) -> dict[tuple[str, float, str], tuple[float, str]]:
    """The rows a save of every interval writes: per ``(ip, start, host)`` the interval learnt last."""
    return {(ip, i.start, i.host): (i.end, i.source) for ip in IPS for i in ipmap.intervals(ip)}


def model_of(ipmap: IpHostMap) -> ListMap:
    """A list model holding ``ipmap``'s intervals in its order (the order of ``seq`` among equal starts)."""
    reference = ListMap()
    for ip in IPS:
        for i in ipmap.intervals(ip):
            reference.made += 1
            reference.intervals.setdefault(ip, []).append([i.start, i.end, i.host, i.source, reference.made])
    return reference


SAVE, RELOAD = ("save", "", "", 0.0, 0.0), ("reload", "", "", 0.0, 0.0)
# fewer addresses and hosts than ``steps``: a change between two saves often
# touches an interval saved before (a renewal moving its start, a cut)
round_trip_steps = st.one_of(
    st.tuples(st.just("lease"), st.sampled_from(IPS[:2]), st.sampled_from(HOSTS[2:5]), times,
              st.sampled_from((0.0, 900.0, 3600.0, 5000.0))),
    st.tuples(st.just("endpoint"), st.sampled_from(IPS[:2]), st.sampled_from(HOSTS[2:5]), times, st.just(0.0)),
    st.just(SAVE), st.just(RELOAD),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=st.lists(round_trip_steps, max_size=50))
@example(sequence=[("lease", IPS[0], "ws-1", 3600.0, 3600.0), SAVE, ("lease", IPS[0], "ws-1", 1800.0, 3600.0), SAVE])
@example(sequence=[("lease", IPS[0], "ws-1", 0.0, 3600.0), RELOAD, ("lease", IPS[0], "ws-2", 900.0, 900.0),
                   ("endpoint", IPS[0], "ws-2", 0.0, 0.0), SAVE, ("lease", IPS[0], "ws-2", 0.0, 900.0), RELOAD])
@example(sequence=[("lease", IPS[0], "ws-1", 0.0, 900.0), SAVE, ("endpoint", IPS[0], "ws-1", 3600.0, 0.0), SAVE,
                   ("lease", IPS[0], "ws-1", 0.0, 1800.0), SAVE, RELOAD])  # one key, a lease and an observation
def test_saves_and_reloads_between_steps_keep_the_lists_map(shared_journal, sequence):
    """Save/reload round trips: after each save the table holds the map's rows, a reload gives them back.

    A save writes only the rows changed since the last one (``ingest.ipmap_store``); the table
    must still be what a save of every interval would write, and a map loaded from it, going on
    learning, must answer as the list model loaded from the same rows.
    """
    db = shared_journal.connection
    db.execute("DELETE FROM ip_hosts")
    ipmap, reference = IpHostMap(), ListMap()
    for step in sequence:
        if step[0] == "save":
            ipmap.save(db)
            assert table(db) == rows_of(ipmap)
        elif step[0] == "reload":
            ipmap.save(db)
            ipmap = IpHostMap().load(db)
            assert rows_of(ipmap) == table(db) and len(ipmap) == len(table(db))
            reference = model_of(ipmap)
        else:
            learn(ipmap, reference, step)
    ipmap.save(db)
    assert table(db) == rows_of(ipmap)
    for ip in IPS:
        assert [(i.start, i.end, i.host, i.source) for i in ipmap.intervals(ip)] == reference.ordered(ip)
        for ts in edges(reference, ip):
            assert ipmap.lookup(ip, ts) == reference.lookup(ip, ts), (ip, ts)
