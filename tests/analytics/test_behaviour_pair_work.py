"""Behaviour pairs (task H1, red-team T10 findings 3, 1 and 2): bounded work, trees through shared processes,
routine per shape.

1. Every linked pair of facts was enumerated and stored: one host whose per-host dropper starts
   thousands of encoded PowerShell children, each opening LSASS, cost minutes and gigabytes
   (T10 finding 3).  Pairing now looks partners up in per-host indexes (counted in
   ``pair_lookups``) and keeps the earliest :data:`~analytics.behaviour_pairs.MAX_FACTS_PER_KIND`
   facts of a kind per host (the rest counted in ``facts_capped``).
2. A fleet-wide ``cmd.exe`` between the dropper and its encoded PowerShell ended the tree walk,
   so a campaign spacing its steps through a shell made no cluster (T10 finding 1).
3. A host was routine for a pair of *kinds*: a benign product's daily pair made a campaign of
   the same kinds but another shape invisible on the product's hosts (T10 finding 2).

On :func:`analytics.behaviour_pivots.behaviour_pivots` directly (the function a detection calls),
with the process entities, ``SPAWNED`` parents and history it is given in a detection.
"""

from __future__ import annotations

from analytics.behaviour_pairs import MAX_FACTS_PER_KIND
from analytics.behaviour_pivots import (
    ROUTINE_SPAN_DAYS,
    Fact,
    behaviour_kinds,
    behaviour_pivots,
    behaviour_shape,
)
from analytics.incidence import build_incidence
from graphsiem.model import Entity
from graphsiem.store.base import HostSighting

H = 3600.0
DAY = 24 * H
START = 1_780_000_000.0
HOSTS = [f"ws-{i:03d}" for i in range(40)]
KINDS = ("encoded_powershell", "lsass_access")
EXPLORER = ("process", "explorer")
CMD = ("process", "cmd-plain")
VENDOR = ("process", "vendorsvc")
PS_IMAGE = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
SHARED = {EXPLORER: 40, CMD: 40, VENDOR: 40}
"""Fleet-wide processes: on every host."""


def incidence():
    return build_incidence([HostSighting(h, ("host", h), START, START, 1) for h in HOSTS], exclude_types=())


class Fleet:
    """Process entities, parents and facts of a crafted fleet (host rows index ``HOSTS``)."""

    def __init__(self) -> None:
        self.processes: dict = {
            EXPLORER: Entity(*EXPLORER, "C:\\Windows\\explorer.exe", {"image": "C:\\Windows\\explorer.exe"}),
            CMD: Entity(*CMD, "C:\\Windows\\system32\\cmd.exe", {"image": "C:\\Windows\\System32\\cmd.exe"}),
            VENDOR: Entity(*VENDOR, '"C:\\Program Files\\Vendor\\vendorsvc.exe" -service',
                           {"image": "C:\\Program Files\\Vendor\\vendorsvc.exe"}),
        }
        self.parents: dict = {}
        self.facts: list[Fact] = []
        self.earlier: dict[str, list[Fact]] = {}

    def process(self, key: str, image: str, parent: tuple[str, str]) -> tuple[str, str]:
        ref = ("process", key)
        self.processes[ref] = Entity("process", key, f'"{image}" {key}', {"image": image})
        self.parents.setdefault(ref, set()).add(parent)
        return ref

    def fact(self, kind: str, process: tuple[str, str], row: int, at: float, *, history: bool = False) -> None:
        if history:
            self.earlier.setdefault(HOSTS[row], []).append(Fact(kind, process, -1, at))
        else:
            self.facts.append(Fact(kind, process, row, at))

    def pivots(self, **kw):
        return behaviour_pivots(incidence(), self.facts, processes=self.processes, images={}, min_hosts=3,
                                cooccurrence_minutes=30, parents=self.parents, fleet_hosts=SHARED,
                                earlier=self.earlier or None, **kw)


def campaign(fleet: Fleet, rows, *, at: float, gap: float = 120.0, through_cmd: bool = False) -> None:
    """A per-host dropper under explorer.exe reads LSASS; its encoded PowerShell runs ``gap`` s later
    (started by the dropper, or by a fleet-wide cmd.exe the dropper started)."""
    for row in rows:
        t = at + 60 * row
        drop = fleet.process(f"drop-{row}", f"C:\\Users\\Public\\upd{row:04x}.exe", EXPLORER)
        if through_cmd:
            fleet.parents.setdefault(CMD, set()).add(drop)  # the store's edge is fleet-wide: every dropper
        ps = fleet.process(f"enc-{row}", PS_IMAGE, CMD if through_cmd else drop)
        fleet.fact("lsass_access", drop, row, t)
        fleet.fact("encoded_powershell", ps, row, t + gap)


def hosts_of(found) -> list[tuple[tuple[str, str] | None, list[str]]]:
    inc = incidence()
    return sorted((behaviour_kinds(*key), sorted(inc.hosts[int(r)] for r in rollup.rows))
                  for key, rollup in found.columns.items.items())


def test_one_host_with_thousands_of_linked_facts_costs_lookups_not_pairs():
    """T10 finding 3: 5,000 encoded PowerShell children of one host's dropper over 20 h, each opening
    LSASS (10,001 facts, 25 million linked pairs).  The signature still shows on that host, the work is a
    few look-ups per kept fact, and the facts past the per-kind cap are counted."""
    fleet = Fleet()
    campaign(fleet, range(1, 10), at=START + DAY)
    n = 5000
    drop = fleet.process("drop-0", "C:\\Users\\Public\\upd0000.exe", EXPLORER)
    fleet.fact("lsass_access", drop, 0, START + DAY)
    for j in range(n):
        ps = fleet.process(f"many-{j}", PS_IMAGE, drop)
        t = START + DAY + 120 + j * (20 * H / n)
        fleet.fact("encoded_powershell", ps, 0, t)
        fleet.fact("lsass_access", ps, 0, t + 5)

    found = fleet.pivots()

    assert hosts_of(found) == [(KINDS, HOSTS[:10])]
    assert found.facts_capped == 2 * n + 1 - 2 * MAX_FACTS_PER_KIND  # kept: the earliest 500 of each kind
    kept = 2 * MAX_FACTS_PER_KIND + 2 * 9
    assert found.pair_lookups <= 20 * kept, found.pair_lookups  # ~6,500 measured; pairs would be 250,000+


def test_a_dropper_starting_its_powershell_through_a_fleet_wide_cmd_is_one_tree():
    """T10 finding 1: dropper -> cmd.exe (one command line on every host) -> encoded PowerShell 35 min
    after the dropper read LSASS, on 10 hosts: one cluster, as when the dropper starts it itself."""
    fleet = Fleet()
    campaign(fleet, range(10), at=START + DAY, gap=35 * 60, through_cmd=True)

    found = fleet.pivots()

    assert hosts_of(found) == [(KINDS, HOSTS[:10])]


def test_two_unrelated_children_of_a_fleet_wide_cmd_hours_apart_stay_apart():
    """The walk past cmd.exe joins only the host's own fact processes it reaches: a per-host tool under
    cmd.exe reading LSASS and an encoded PowerShell under cmd.exe 3 h later (neither started the other)
    make no pair, although cmd.exe's fleet-wide parents include every host's tools."""
    fleet = Fleet()
    for row in range(10):
        t = START + DAY + 60 * row
        tool = fleet.process(f"tool-{row}", f"C:\\Users\\Public\\tool{row:04x}.exe", CMD)
        ps = fleet.process(f"enc-{row}", PS_IMAGE, CMD)
        fleet.parents.setdefault(CMD, set()).add(("process", f"other-{row}"))
        fleet.fact("lsass_access", tool, row, t)
        fleet.fact("encoded_powershell", ps, row, t + 3 * H)

    assert hosts_of(fleet.pivots()) == []


def product_history(fleet: Fleet, rows, days) -> None:
    """A benign daily vendor pair: vendorsvc starts a per-host temporary updater that reads LSASS and a
    minute later starts an encoded PowerShell, on ``rows``, each of ``days`` (the last is the window)."""
    window = max(days)
    for day in days:
        for row in rows:
            t = START + day * DAY + 3 * H + 90 * row
            up = fleet.process(f"upd-{day}-{row}", f"C:\\ProgramData\\Vendor\\tmp\\upd-{day}x{row:04x}.exe", VENDOR)
            ps = fleet.process(f"inv-{day}-{row}", PS_IMAGE, up)
            fleet.fact("lsass_access", up, row, t + 5, history=day < window)
            fleet.fact("encoded_powershell", ps, row, t + 60, history=day < window)


def test_a_campaign_on_a_benign_products_hosts_is_not_made_routine_by_the_products_pair():
    """T10 finding 2: the product's daily pair (days 0-8, hosts 0-29) stays routine (no product pivot on
    day 8), and the campaign of the same two kinds but another shape on hosts 0-9 on day 8 is a pivot."""
    fleet = Fleet()
    product_history(fleet, range(30), days=range(ROUTINE_SPAN_DAYS + 2))
    campaign(fleet, range(10), at=START + (ROUTINE_SPAN_DAYS + 1) * DAY + 12 * H)

    found = fleet.pivots()

    assert hosts_of(found) == [(KINDS, HOSTS[:10])]
    (key,) = found.columns.items
    assert "c:\\users\\public" in found.entities[key].value  # the campaign's shape, not the product's
    assert behaviour_shape(key) is not None
    assert found.routine_hosts == 30 and found.recurring == 1


def test_the_products_own_daily_pair_stays_routine():
    """Dated per shape, the product's pair on day 8 is still its hosts' routine: no pivot at all."""
    fleet = Fleet()
    product_history(fleet, range(30), days=range(ROUTINE_SPAN_DAYS + 2))

    found = fleet.pivots()

    assert hosts_of(found) == [] and found.routine_hosts == 30
