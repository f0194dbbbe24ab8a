"""Process connections on endpoints (Sysmon 3, Security 5156), one connection counted once.

:class:`ConnectionRules` is a base of :class:`ingest.projection_endpoint.EndpointRules`:
a connection relates its process and host to the peer address (or the peer to them, for
an inbound one).  A 5156 waits for the batch's end, where it is dropped when a Sysmon 3 of
the batch logged the same connection (a host auditing both logs each connection twice).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphsiem.model import Event
from ingest.ipmap import connection_ends
from ingest.projection_accumulator import Accumulator, EventContext, R
from ingest.projection_entities import NO_PEER, EntityBuilders
from ingest.projection_processes import PROCESS_FIELDS

WFP_CONNECT = "winsec:network_connect"
"""Security 5156, the Windows Filtering Platform's "connection permitted"."""
WFP_MATCH_SECONDS = 2.0
"""How far apart a 5156 and the Sysmon 3 of the same connection may be logged (1.1 to 1.5 s on the
OTRF empire_enable_rdp host HR001, WFP first)."""


def _connection_key_of(fields: Mapping[str, Any], host: str) -> tuple[Any, ...] | None:
    """What one connection is in both Sysmon 3 and 5156: host, pid and both ends (None without a pid)."""
    pid = fields.get("process.pid")
    if pid is None:
        return None
    return (host, str(pid), fields.get("source.ip"), fields.get("source.port"),
            fields.get("destination.ip"), fields.get("destination.port"))


def _corroborates(times: list[float] | None, ts: float, with_port: bool) -> bool:
    """Whether one of ``times`` (Sysmon 3s of a 5156's connection) is the 5156 at ``ts``: the
    nearest (the earliest on a tie) is taken from ``times``, so it corroborates no other.

    With its source port, the pid and both ends are one connection in a batch (an ephemeral port
    recurs only after thousands of others), and the two clocks need not agree (OTRF HR001's Sysmon
    is 11 days behind its Security log); without it, they must be :data:`WFP_MATCH_SECONDS` apart.
    """
    if not times:
        return False
    nearest = min(range(len(times)), key=lambda i: (abs(times[i] - ts), times[i]))
    if not with_port and abs(times[nearest] - ts) > WFP_MATCH_SECONDS:
        return False
    del times[nearest]
    return True


class ConnectionRules(EntityBuilders):
    """The connection rules of :class:`ingest.projection.Projector` (a mixin: its ``__init__`` makes the state)."""

    _note_failure: Callable[[Event], None]  # the projector's (a failed 5156 is counted as a failed event)

    def _network_connect(self, ctx: EventContext) -> None:
        """A process's connection (Sysmon 3, and the ECS and MDE events mapped to it; Security 5156).

        A 5156 waits for the batch's end (:meth:`_settle_wfp`): Windows Filtering Platform and
        Sysmon log the same connection on a host auditing both, and it is counted once.
        """
        if ctx.event.kind == WFP_CONNECT:
            ctx.acc.wfp_connections.append((ctx.event, ctx.hosts[0]))
            return
        key = _connection_key_of(ctx.fields, ctx.hosts[0])
        if key is not None:
            ctx.acc.connections.setdefault(key, []).append(ctx.ts)
        self._connect(ctx)

    def _settle_deferred(self, acc: Accumulator) -> None:
        """The batch's 5156 connections (:meth:`_settle_wfp`), then its process placeholders."""
        self._settle_wfp(acc)
        super()._settle_deferred(acc)

    def _settle_wfp(self, acc: Accumulator) -> None:
        """Project the batch's Security 5156 connections that no Sysmon 3 of the batch logged.

        A 5156 is the connection a Sysmon 3 of the batch with the same host, pid and ends
        (source and destination address and port) logged, each Sysmon 3 matching one 5156 (the
        nearest in time, :func:`_corroborates`): that 5156 only corroborates and adds no count to
        ``process CONNECTED ip``, ``host CONNECTED ip`` nor to the sightings (the beacon
        features read them).  Any other 5156 is the connection itself, projected here (its
        process placeholder is settled next).  Only the batch is compared, as the process join
        is: a 5156 and its Sysmon 3 in two batches or two ingest calls count twice, and a live
        graph and its replay differ there when they cut batches differently.
        """
        pending = acc.wfp_connections
        if not pending:
            return
        seen = acc.connections
        ctx: EventContext | None = None
        for event, host in sorted(pending, key=lambda item: (item[0].ts, item[0].id)):
            key = _connection_key_of(event.fields, host)
            if key is not None and _corroborates(seen.get(key), event.ts, key[3] is not None):
                continue
            try:
                if ctx is None:
                    ctx = EventContext(acc, event, host, (host,))
                else:
                    ctx.fill(acc, event, host, (host,))
                self._connect(ctx)
                acc.sight(ctx.hosts, ctx.touched, ctx.seen)
            except Exception:  # noqa: BLE001 - as Projector.project: one odd event must not stop the graph
                self._note_failure(event)
        pending.clear()
        seen.clear()

    def _connect(self, ctx: EventContext) -> None:
        fields = ctx.fields
        inbound = fields.get("network.direction") == "inbound"
        peer = connection_ends(fields)[1]
        remote = None if peer in NO_PEER else self._ip(ctx, peer)
        process = self._process(ctx, PROCESS_FIELDS)
        ctx.rel(ctx.host, R.RAN, process)
        domain = self._domain(ctx, fields.get("destination.domain"))
        if inbound:  # the peer connected to this host's process (RDP, SMB, WinRM: lateral movement)
            ctx.rel(remote, R.CONNECTED, process)
            ctx.rel(remote, R.CONNECTED, ctx.host)
            return
        ctx.rel(process, R.CONNECTED, remote)
        ctx.rel(ctx.host, R.CONNECTED, remote)
        ctx.rel(domain, R.RESOLVES_TO, remote)
