"""The host a cluster's network log-ons came from, named through the IP map, and what it ran at them.

A Windows 4624 of a network log-on names the client's address (``source.ip``); the projection keeps
it an IP (``ip:10.32.2.82 LOGGED_ON srv-0001``, :meth:`ingest.projection_endpoint.EndpointRules._logon_source`:
mapping it there would make a graph a replay does not).  A lateral-movement cluster then showed
its source as a bare address, while the journal's time-aware IP map held ``10.32.2.82 -> it-0001``
at the log-ons' time, and it-0001's own ``wmic /node:SRV-0001 ...`` was nowhere in the cluster
(review U2 #1).

:func:`lateral_sources` reads, for each address member that ``LOGGED_ON`` a cluster host, the
log-on events' times, asks the IP map (:class:`analytics.evidence_addresses.AddressHolders`) which
host held the address then, and, for a host outside the cluster, the processes that host ran in the
detection window whose command line names a cluster host as its remote target (WMIC ``/node:``,
PsExec and ``sc``/``reg``/``schtasks`` ``\\\\host`` or ``/s``, WinRS ``-r:``, PowerShell
``-ComputerName``/``-cn``).  A target written as an address (``wmic /node:10.32.1.21``,
``psexec \\\\10.32.1.21``, ``\\\\10.32.1.21\\c$``) is resolved by the same IP map at the times the
source host ran the command (:func:`remote_addresses`; one host for all of them, else nobody), and the
process record says which address named which host (``addresses``).  Those processes are the cluster's
**evidence** and named in its
summary and checks, not members: members are what the forest scored on the cluster's hosts (their
host sets, prevalence and lineage); the source host's processes ran on another host, and scoring
them would move every lateral cluster's risk by a rule nobody measured.  An address the map does
not place at the log-ons' time, or places on two hosts, names nobody (the record keeps the address).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from analytics.evidence import EventLookup
from analytics.evidence_addresses import AddressHolders, address_holders
from analytics.explain import Check
from graphsiem.model import RelationType, entity_uid, epoch_to_iso

_TARGET_PATTERNS = (
    re.compile(r"/node:\s*((?:\"[^\"]+\"|'[^']+'|[^\s/,\"']+)(?:,(?:\"[^\"]+\"|'[^']+'|[^\s/,\"']+))*)",
               re.IGNORECASE),  # wmic /node:a,"b.corp"
    re.compile(r"(?:^|[\s\"'])\\\\([A-Za-z0-9][\w.-]*)"),  # psexec \\host, sc \\host, reg query \\host\HKLM
    re.compile(r"\s-r(?:emote)?:\s*([^\s\"']+)", re.IGNORECASE),  # winrs -r:host
    re.compile(r"\s-(?:ComputerName|cn)\s+(\"[^\"]+\"|'[^']+'|[^\s;|]+)", re.IGNORECASE),  # Invoke-Command
    re.compile(r"\s/s\s+([^\s/]+)", re.IGNORECASE),  # schtasks /s host, tasklist /s host
)
"""Where a remote-execution command line names its target host(s)."""
MAX_PROCESSES = 20
"""Processes of one source host kept on a record (the targets are a cluster's few hosts)."""
NEIGHBOR_LIMIT = 20_000
"""Processes of the source host read from the store (a busy admin workstation runs thousands)."""


@dataclass(slots=True)
class LateralSource:
    """A host the cluster's network log-ons came from, as the IP map placed the address.

    Attributes
    ----------
    ip : str
        The log-ons' source address (a cluster member).
    host : str or None
        The host the IP map held the address on at the log-ons' time; ``None`` when it held none
        or not one host for all of them.
    first_seen, last_seen : float
        The first and last log-on from the address on a cluster host (epoch seconds).
    targets : list of str
        The cluster hosts the address logged on to.
    processes : list of dict
        ``{"key", "value", "targets", "first_seen"}`` of the source host's remote-execution
        processes that name a cluster host.
    event_ids : list of str
        The journal events of those processes on the source host (the cluster's evidence).
    """

    ip: str
    host: str | None
    first_seen: float
    last_seen: float
    targets: list[str]
    processes: list[dict[str, Any]] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ip": self.ip, "host": self.host, "first_seen": epoch_to_iso(self.first_seen),
                "last_seen": epoch_to_iso(self.last_seen), "targets": list(self.targets),
                "processes": [dict(p) for p in self.processes]}


def _written_targets(command_line: str) -> Iterable[str]:
    """Each target a remote-execution command line writes, unquoted, as written."""
    for pattern in _TARGET_PATTERNS:
        for match in pattern.finditer(command_line or ""):
            for name in match.group(1).strip("\"'").split(","):
                name = name.strip().strip("\"'")
                if name:
                    yield name


def remote_addresses(command_line: str) -> set[str]:
    r"""The addresses a remote-execution command line targets (canonical text): the IP map names their hosts.

    Examples
    --------
    >>> sorted(remote_addresses('wmic /node:10.32.1.21,"10.32.1.22" process call create "x"'))
    ['10.32.1.21', '10.32.1.22']
    >>> remote_addresses(r'PsExec.exe \\10.1.2.3 -s cmd'), remote_addresses(r'copy x.exe \\10.1.2.3\c$\x.exe')
    ({'10.1.2.3'}, {'10.1.2.3'})
    >>> remote_addresses('wmic /node:SRV-0001 process call create x'), remote_addresses('wmic /node:10.1.2 x')
    (set(), set())
    """
    found: set[str] = set()
    for name in _written_targets(command_line):
        try:
            found.add(str(ipaddress.ip_address(name)))
        except ValueError:
            continue
    return found


def remote_targets(command_line: str) -> set[str]:
    """The host names a remote-execution command line targets (short, lower case).

    Examples
    --------
    >>> sorted(remote_targets('wmic /node:SRV-0001,"srv-0002.corp.example" process call create "x"'))
    ['srv-0001', 'srv-0002']
    >>> sorted(remote_targets(r'PsExec.exe \\\\SRV-7 -s cmd')), sorted(remote_targets('winrs -r:srv-9 cmd'))
    (['srv-7'], ['srv-9'])
    >>> sorted(remote_targets('powershell Invoke-Command -ComputerName web1,web2 -ScriptBlock {x}'))
    ['web1', 'web2']
    >>> remote_targets('cmd.exe /c dir')
    set()
    """
    found: set[str] = set()
    for name in _written_targets(command_line):
        short = name.split(".", 1)[0].lower()
        if short and not short[0].isdigit():  # an address names no host here: the map does (remote_addresses)
            found.add(short)
    return found


def lateral_sources(
    store: Any,
    graph: nx.MultiDiGraph,
    members: Iterable[tuple[str, str]],
    hosts: Iterable[str],
    *,
    window: tuple[float, float],
    journal: EventLookup | None,
) -> list[LateralSource]:
    """The source hosts of the cluster's network log-ons from its address members.

    Parameters
    ----------
    store : GraphStore
        Read for the source host's processes (``host RAN process``).
    graph : networkx.MultiDiGraph
        The store subgraph around the cluster's members (the ``LOGGED_ON`` edges and their events).
    members : iterable of (type, key)
    hosts : iterable of str
        The cluster's hosts.
    window : (start, end)
        The detection window, epoch seconds.
    journal : object with ``get(ids)`` and a ``connection``, optional
        The log-ons' times and the IP map; without its map no host is named.

    Returns
    -------
    list of LateralSource
        One per address member that logged on to a cluster host, by address.
    """
    host_names = set(hosts)
    holders = address_holders(journal)
    out: list[LateralSource] = []
    for kind, key in sorted(set(members)):
        if kind != "ip":
            continue
        logons = _logon_times(graph, entity_uid("ip", key), host_names, window, journal)
        if not logons:
            continue
        times = [ts for ts, _ in logons]
        placed = {holders.holder(key, ts) for ts in times} if holders is not None else {None}
        source = placed.pop() if len(placed) == 1 else None
        if source in host_names and {host for _, host in logons} <= {source}:
            # a cluster host's own address logging on to itself only: no other machine to name.  One
            # that logged on to other cluster hosts is their source, in the cluster or not (an admin
            # workstation that PsExec'd most of the fleet, itself included: task OLD2 #2)
            source = None
        record = LateralSource(ip=key, host=source, first_seen=min(times), last_seen=max(times),
                               targets=sorted({host for _, host in logons}))
        if source is not None:
            _add_remote_processes(record, store, host_names, window, journal, holders)
        out.append(record)
    return out


def _logon_times(graph: nx.MultiDiGraph, ip_uid: str, hosts: set[str], window: tuple[float, float],
                 journal: EventLookup | None) -> list[tuple[float, str]]:
    """``(time, target host)`` of the address's log-ons on cluster hosts in the window."""
    found: list[tuple[float, str]] = []
    if ip_uid not in graph:
        return found
    for _, dst, data in graph.out_edges(ip_uid, data=True):
        target = dst.split(":", 1)[1] if dst.startswith("host:") else None
        if data.get("type") != RelationType.LOGGED_ON or target not in hosts:
            continue
        ids = [str(i) for i in data.get("evidence", ()) or ()]
        events = journal.get(ids) if journal is not None and ids else []
        times = [float(e.ts) for e in events if e.host in (None, target)]
        if not events:  # not journaled: the relation's own span
            times = [float(t) for t in (data.get("first_seen"), data.get("last_seen")) if t is not None]
        found.extend((ts, target) for ts in times if window[0] <= ts <= window[1])
    return found


def _add_remote_processes(record: LateralSource, store: Any, hosts: set[str], window: tuple[float, float],
                          journal: EventLookup | None, holders: AddressHolders | None) -> None:
    """The source host's processes in the window whose command line targets a cluster host, by name or by an
    address the IP map placed on one then."""
    neighbours = store.neighbors("host", str(record.host), direction="out",
                                 relation_types=[RelationType.RAN], entity_types=["process"],
                                 limit=NEIGHBOR_LIMIT)
    for neighbour in neighbours:
        relation, process = neighbour.relation, neighbour.entity
        if relation.last_seen < window[0] or relation.first_seen > window[1]:
            continue
        text = " ".join(str(v) for v in (process.value, process.props.get("command_line")) if v)
        named, addresses = remote_targets(text) & hosts, remote_addresses(text)
        if not named and (not addresses or holders is None):
            continue
        ids = [str(i) for i in relation.evidence]
        times = [max(relation.first_seen, window[0]), min(relation.last_seen, window[1])]
        if journal is not None and ids:  # the source host's events in the window (a relation is all time)
            events = [e for e in journal.get(ids) if e.host == record.host and window[0] <= float(e.ts) <= window[1]]
            ids = [e.id for e in events]
            times = [float(e.ts) for e in events] or times
        addressed = _addressed_hosts(addresses, times, holders, hosts) if holders is not None else {}
        targets = sorted(named | set(addressed.values()))
        if not targets:
            continue
        row: dict[str, Any] = {"key": process.key, "value": process.value, "targets": targets,
                               "first_seen": epoch_to_iso(max(relation.first_seen, window[0]))}
        if addressed:
            row["addresses"] = addressed
        record.processes.append(row)
        record.event_ids.extend(i for i in ids if i not in record.event_ids)
    record.processes.sort(key=lambda p: (p["first_seen"], p["value"]))
    del record.processes[MAX_PROCESSES:]


def _addressed_hosts(addresses: Iterable[str], times: list[float], holders: AddressHolders,
                     hosts: set[str]) -> dict[str, str]:
    """Each address the IP map placed on one cluster host at every time the command ran: address -> host.

    An address it placed on nobody, or not on one host all along, names nobody, as a log-on's does.
    """
    addressed: dict[str, str] = {}
    for address in sorted(addresses):
        placed = {holders.holder(address, ts) for ts in times}
        host = placed.pop() if len(placed) == 1 else None
        if host is not None and host in hosts:
            addressed[address] = host
    return addressed


def lateral_summary(records: Iterable[LateralSource]) -> str:
    """The summary's clause naming the named sources: ``logged on from it-0001 (10.32.2.82), which ran …``."""
    parts = []
    for record in records:
        if record.host is None:
            continue
        text = f"logged on from {record.host} ({record.ip})"
        if record.processes:
            named = sorted({t for p in record.processes for t in p["targets"]})
            text += (f", which ran {_count(len(record.processes), 'remote-execution command line')} "
                     f"naming {len(named)} of these hosts")
        parts.append(text)
    return "; ".join(parts)


def lateral_check(records: Iterable[LateralSource]) -> Check | None:
    """The analyst's step for the named sources: who used the source host then, what it ran."""
    named = [r for r in records if r.host is not None]
    if not named:
        return None
    steps = []
    for record in named:
        first, last = str(epoch_to_iso(record.first_seen)), str(epoch_to_iso(record.last_seen))
        span = f"{first[:10]} {first[11:16]}–{last[11:16]}Z"
        step = (f"the network log-ons on {_hosts(record.targets)} came from {record.ip}, which the IP map "
                f"placed on {record.host} at {span}: check who was logged on to {record.host} then")
        if record.processes:
            step += f" and its remote-execution command lines ({_shown(record.processes)})"
        steps.append(step)
    text = "; ".join(steps)
    return Check(feature=None, check=text[0].upper() + text[1:],
                 benign_if="planned remote administration from that host (a change ticket naming the "
                           "account, the host and these targets) accounts for the log-ons and the commands")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _hosts(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    return shown if len(names) <= 3 else f"{shown} and {len(names) - 3} more"


def _shown(processes: list[dict[str, Any]]) -> str:
    first = str(processes[0]["value"])
    first = first if len(first) <= 100 else first[:99] + "…"
    shown = first if len(processes) == 1 else f"{first} and {len(processes) - 1} more"
    addressed = sorted({(ip, host) for p in processes for ip, host in (p.get("addresses") or {}).items()})
    if addressed:  # a target written as an address: the host the IP map placed it on
        shown += "; the IP map placed " + ", ".join(f"{ip} on {host}" for ip, host in addressed[:3]) + \
            (" and more" if len(addressed) > 3 else "") + " then"
    return shown


def with_lateral_sources(cluster: Any, sources: list[LateralSource], pairs: list[tuple[str, str]],
                         *, limit: int) -> list[tuple[str, str]]:
    """Name ``sources`` on ``cluster`` (record, summary, a check) and put their processes' events first
    in its evidence ``pairs`` (at most ``limit``; half of it at most, the members' own events keep the rest)."""
    cluster.lateral_sources = [s.to_dict() for s in sources]
    clause, check = lateral_summary(sources), lateral_check(sources)
    explanation = cluster.explanation
    if clause:
        explanation = replace(explanation, summary=f"{explanation.summary}; {clause}" if explanation.summary
                              else clause)
    if check is not None:
        explanation = replace(explanation, checks=(*explanation.checks, check))
    cluster.explanation = explanation
    own = {i for _, i in pairs}
    first = [(str(RelationType.RAN), i) for s in sources for i in s.event_ids if i not in own][: max(1, limit // 2)]
    return (first + pairs)[:limit]


def label_source_addresses(graph: nx.MultiDiGraph, records: Iterable[dict[str, Any]] | None) -> None:
    """Mark each named source's address node in a cluster's drawn ``graph`` with the host the IP map
    held it on at the log-ons' time (node attributes ``mapped_host``, ``mapped_from``, ``mapped_until``),
    from the cluster's ``lateral_sources`` records; an address it named nobody for stays as it is."""
    for record in records or ():
        uid = entity_uid("ip", str(record.get("ip", "")))
        if record.get("host") and uid in graph:
            graph.nodes[uid].update(mapped_host=str(record["host"]), mapped_from=record.get("first_seen"),
                                    mapped_until=record.get("last_seen"))
