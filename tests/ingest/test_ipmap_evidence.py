"""Evidence rows of sensor events name the host the IP -> host map held (:mod:`ingest.ipmap_evidence`, review T11 F10).

The look-up reads the map's table in a real journal database, written by the
real map (:class:`ingest.ipmap.IpHostMap`): its answer must be the in-memory
map's own (:meth:`~ingest.ipmap.IpHostMap.lookup`), the one the projection used,
and a page of evidence is read in one statement, not one per row.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from graphsiem.model import Event
from ingest.ipmap import IpHostMap
from ingest.ipmap_evidence import PAIRS_PER_STATEMENT, holders, mapped_hosts
from ingest.journal import Journal


def _flow(n: int, ts: float, src: str, dst: str, host: str | None = None) -> Event:
    return Event(id=f"e{n}", kind="zeek:conn", ts=ts, host=host, source="zeek",
                 fields={"source.ip": src, "destination.ip": dst})


def _saved(tmp_path: Path, learn) -> tuple[IpHostMap, sqlite3.Connection]:
    journal = Journal(tmp_path / "journal.sqlite")
    ipmap = IpHostMap()
    learn(ipmap)
    ipmap.save(journal.connection)
    return ipmap, journal.connection


def test_the_answer_is_the_maps_own_lookup_at_every_time(tmp_path: Path) -> None:
    # Leases handed over between hosts, endpoint sightings overlapping them: 3 addresses, 12 hosts.
    rng = random.Random(7)
    addresses = ["10.1.0.1", "10.1.0.2", "fe80::1"]

    def learn(ipmap: IpHostMap) -> None:
        for _ in range(120):
            ip, host, at = rng.choice(addresses), f"ws-{rng.randrange(12)}", rng.uniform(0, 50_000)
            if rng.random() < 0.6:
                ipmap.add_lease(ip, host, at, rng.uniform(300, 9000))
            else:
                ipmap.add_endpoint(ip, host, at)

    ipmap, db = _saved(tmp_path, learn)
    events = [_flow(n, rng.uniform(-2000, 60_000), rng.choice(addresses), rng.choice(addresses)) for n in range(600)]
    found = mapped_hosts(db, events)
    for event in events:
        expected = [(side, ipmap.lookup(event.fields[name], event.ts))
                    for side, name in (("src", "source.ip"), ("dst", "destination.ip"))]
        got = {m.side: m.host for m in found.get(event.id, [])}
        assert [(side, got.get(side)) for side, _ in expected] == expected, event
    assert sum(len(v) for v in found.values()) > 300  # most times are held: the comparison is not vacuous


def test_a_page_is_one_statement_however_many_rows(tmp_path: Path) -> None:
    _, db = _saved(tmp_path, lambda m: m.add_lease("10.1.0.1", "ws-1", 0.0, 86_400.0))
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    found = mapped_hosts(db, [_flow(n, 100.0 + n, "10.1.0.1", f"10.2.0.{n % 250}") for n in range(200)])
    db.set_trace_callback(None)
    assert len(found) == 200 and {m[0].host for m in found.values()} == {"ws-1"}
    # one for the holders, one for whether another host was sighted over the leases (ipmap_sightings)
    assert len([s for s in statements if "ip_hosts" in s]) == 2, statements
    # Past PAIRS_PER_STATEMENT distinct (address, time) pairs, a statement per chunk.
    statements.clear()
    db.set_trace_callback(statements.append)
    holders(db, [("10.1.0.1", float(t)) for t in range(PAIRS_PER_STATEMENT + 1)])
    db.set_trace_callback(None)
    assert len([s for s in statements if "ip_hosts" in s]) == 4  # the holders' two chunks, the leases' two


def test_an_event_naming_its_host_is_not_looked_up_and_the_event_stays_as_recorded(tmp_path: Path) -> None:
    _, db = _saved(tmp_path, lambda m: m.add_lease("10.1.0.1", "ws-1", 0.0, 86_400.0))
    own = _flow(1, 50.0, "10.1.0.1", "10.9.9.9", host="ws-1")
    sensor = _flow(2, 50.0, "::ffff:10.1.0.1", "10.9.9.9")
    before = dict(sensor.fields)
    found = mapped_hosts(db, [own, sensor])
    assert list(found) == ["e2"]
    [mapped] = found["e2"]
    assert (mapped.host, mapped.side, mapped.ip, mapped.source, mapped.start, mapped.end) == (
        "ws-1", "src", "10.1.0.1", "dhcp", 0.0, 86_400.0)
    assert sensor.host is None and sensor.fields == before


def test_a_netbios_name_gives_way_to_the_full_name_holding_the_address(tmp_path: Path) -> None:
    def learn(ipmap: IpHostMap) -> None:
        ipmap.add_endpoint("10.1.0.1", "laptop-verylongname01", 1000.0)  # the endpoint's own events
        ipmap.add_endpoint("10.1.0.1", "laptop-verylong", 1500.0)  # a Kerberos request by LAPTOP-VERYLONG$

    ipmap, db = _saved(tmp_path, learn)
    found = mapped_hosts(db, [_flow(1, 1600.0, "10.1.0.1", "10.9.9.9")])
    assert [m.host for m in found["e1"]] == [ipmap.lookup("10.1.0.1", 1600.0)] == ["laptop-verylongname01"]


def test_a_journal_without_the_map_maps_nothing(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "bare.sqlite")
    assert mapped_hosts(db, [_flow(1, 1.0, "10.1.0.1", "10.1.0.2")]) == {}
    assert mapped_hosts(None, [_flow(1, 1.0, "10.1.0.1", "10.1.0.2")]) == {}
