"""Where a spread spray's address logged on: the hosts that refused nothing (task CRED8 item 1).

:func:`analytics.credential_spread.spread_sprays` pools the refusals of every host that logged one in
the window, and the successes of those hosts.  A sprayer that found a password may use it on a host
that refused nothing: a server it never tried, or one whose 4625s were never collected.  What it cannot
hide is where it logged on from: the 4624 names the spray's address, which the projection makes
``ip LOGGED_ON host`` (:meth:`ingest.projection_endpoint.EndpointRules._logon_source`).  So, for each
address a spread spray came from, :func:`logons_from_addresses` asks the graph which other hosts it
logged on to in the window and reads, on each, the log-ons *from that address* only (another
address's log-ons there, a user's at their own machine, are none of the spray's).  The spread read then
pairs them as any: the account's failure anywhere in the spray, then its log-on from the spray's address
at most ``credential_burst_minutes`` after the spray's last failure.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Set

from analytics.credential_attempts import Attempt, read_attempts
from graphsiem.model import EntityType, RelationType
from graphsiem.store.base import GraphStore

__all__ = ["LANDING_HOSTS_LIMIT", "logons_from_addresses"]

LANDING_HOSTS_LIMIT = 500
"""Most hosts read per address: a spray source that logged on to more is a gateway or a scanner, and the
edges the store gives first (most evidenced) are read."""


def logons_from_addresses(store: GraphStore, connection: sqlite3.Connection, addresses: Collection[str],
                          start: float, end: float, skip: Set[str] = frozenset()) -> dict[str, list[Attempt]]:
    """The log-ons from ``addresses`` in ``[start, end]`` on the hosts the graph says they logged on to.

    Parameters
    ----------
    store : GraphStore
        Embedded or Neo4j store: the ``ip LOGGED_ON host`` edges of each address.
    connection : sqlite3.Connection
        The journal's.
    addresses : collection of str
        The spread sprays' addresses (:func:`analytics.credential_spread.spray_addresses`).
    start, end : float
        The detection window.
    skip : set of str
        Hosts already read (every success of theirs is pooled already).

    Returns
    -------
    dict
        Host -> its successful log-ons from one of ``addresses``, oldest first (hosts with none left out).
    """
    wanted = set(addresses)
    hosts: set[str] = set()
    for address in sorted(wanted):
        for neighbour in store.neighbors(EntityType.IP.value, address, direction="out",
                                         relation_types=[RelationType.LOGGED_ON.value],
                                         entity_types=[EntityType.HOST.value], limit=LANDING_HOSTS_LIMIT):
            edge = neighbour.relation
            # an edge is all time: only one active in the window can hold a log-on of this spray
            if edge.last_seen >= start and edge.first_seen <= end and edge.dst[1] not in skip:
                hosts.add(edge.dst[1])
    found: dict[str, list[Attempt]] = {}
    for host in sorted(hosts):
        logons = [a for a in read_attempts(connection, host, [], start, end, every_success=True)
                  if a.outcome == "success" and a.source_ip in wanted]
        if logons:
            found[host] = logons
    return found
