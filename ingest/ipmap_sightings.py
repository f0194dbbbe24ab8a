"""A lease gives way to another host seen using its address after it began (red team T17).

A DHCP lease names its address's holder by the client's own claim (option 12),
and the map's rule is that the interval started last holds the address.  A
compromised workstation that renews its lease under another machine's name
(one DHCP packet, no log forged) therefore had every network-sensor record of
its own traffic attributed to that machine for the lease's day, while its own
Sysmon network events went on proving it used the address: its C2 flows framed
an innocent host and left its own graph empty.

The rule here: an endpoint interval of another host holding the time, whose
last sighting (its end less :data:`ENDPOINT_SLACK`) came after the lease
started, outranks the lease.  A host seen using the address only before the
lease began (an address that moved) still gives way to it.  The answer depends
only on the intervals, never on the order they were learnt, because a lease no
longer ends other hosts' endpoint intervals (:meth:`ingest.ipmap.IpHostMap.add_lease`):
an endpoint interval is the plain union of its sightings.  Every reader of the
map applies it: the in-memory lookup, the evidence read back
(:mod:`ingest.ipmap_evidence`) and a host's timeline (:mod:`ingest.journal_mapped_events`).

A network device's name for the machine at an address (a CEF ``shost``, a LEEF
``identHostName``: source :data:`DEVICE`) is a claim of the same kind (task
T17B): any machine on the network can send a syslog line naming any host, and
one forged line counted as that host's own sighting for an hour either side, so
it moved a host's sensor traffic for two hours and, by this rule, outranked even
its lease.  A claim is held as a sighting is (:data:`ENDPOINT_SLACK` either side)
but ranks below every lease and endpoint interval holding the time: it names the
holder only where nothing else does (a static address no endpoint reports, the
case it was made for).  Only a sensor record that proves its sender (a Zeek
Kerberos request by the machine account, :data:`SENDER_PROVEN_KINDS`) counts as
an endpoint sighting.
"""

from __future__ import annotations

from collections.abc import Iterable

ENDPOINT_SLACK = 3600.0
"""How long (s) either side of an endpoint network event its address is trusted."""

ENDPOINT = "endpoint"
"""The source of a host's own sighting (its endpoint network events, a sender-proving sensor record)."""

DEVICE = "device"
"""The source of a network device's claim naming the machine at an address (CEF ``shost``)."""

SENDER_PROVEN_KINDS = frozenset({"zeek:kerberos"})
"""Hostless event kinds whose ``source.hostname`` proves the sender (a machine account's ticket): sightings.

Every other hostless event naming ``source.hostname`` is a :data:`DEVICE` claim."""


def sighted_after(lease_start: float, end: float, source: str) -> bool:
    """Whether an interval ending at ``end`` is an endpoint's, last sighted after a lease started at ``lease_start``.

    >>> sighted_after(1000.0, 1000.0 + ENDPOINT_SLACK + 1, "endpoint"), sighted_after(1000.0, 1000.0 + ENDPOINT_SLACK, "endpoint")
    (True, False)
    >>> sighted_after(1000.0, 9999.0, "dhcp")
    False
    """
    return source == ENDPOINT and end - ENDPOINT_SLACK > lease_start


def sighted_holder(lease_host: str, lease_start: float,
                   holding: Iterable[tuple[str, float, float, str]]) -> str | None:
    """The host that outranks a lease of ``lease_host`` from ``lease_start``, or None (module docstring).

    Parameters
    ----------
    lease_host : str
        The host the lease names.
    lease_start : float
        When the lease began (epoch seconds).
    holding : iterable of (host, start, end, source)
        The address's intervals holding the time looked up, in the order lookups
        try them (by start, then learnt last): the last one that qualifies wins.

    Returns
    -------
    str or None
        The other host sighted using the address after the lease began.

    Examples
    --------
    >>> sighted_holder("ws-v", 100.0, [("ws-a", 0.0, 100.0 + 2 * ENDPOINT_SLACK, "endpoint")])
    'ws-a'
    >>> sighted_holder("ws-v", 100.0, [("ws-a", 0.0, 100.0 + ENDPOINT_SLACK, "endpoint")]) is None
    True
    """
    found = None
    for host, _start, end, source in holding:
        if host != lease_host and sighted_after(lease_start, end, source):
            found = host
    return found
