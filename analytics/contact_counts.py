"""How often each host contacted a candidate pivot: each contact once, whichever sensors logged it.

A host's sighting count of a domain is the number of *events* that named it,
and one contact is logged more than once: the endpoint's DNS query (Sysmon 22)
and the network sensor's (Zeek ``dns.log``), or the endpoint's connection
(Sysmon 3) and Zeek's ``conn.log`` for an address.  The beacon check said "about
275 times a day (about every 6 minutes)" where each host made 136–139 contacts
about 10 minutes apart (review R4, finding 1), and the ``repeat_contacts``
feature the forest sees was doubled the same way.

The graph keeps no sensor per event, but it keeps who made each relation: an
endpoint sensor relates the *process* to the destination (``process RESOLVED
domain``, ``process CONNECTED ip``) as well as the host, a network sensor only
the host.  So for a pivot, ``E`` = the events of its process relations (the
endpoint's view) and ``N`` = the events of its host relations minus ``E`` (the
network's view).  Either view alone counts each contact once; the busier one is
taken, as the share ``max(E, N) / (E + N)`` of each host's events: 0.5 when both
sensors saw every contact, 1 when one sensor saw everything.  One neighbour read
per candidate pivot (a domain, an address or a URL new in the window).
"""

from __future__ import annotations

from collections.abc import Iterable

from graphsiem.model import EntityKey, EntityType, RelationType
from graphsiem.store.base import GraphStore

CONTACT_TYPES = frozenset({EntityType.DOMAIN.value, EntityType.IP.value, EntityType.URL.value})
"""Pivots whose repeats are contacts (a destination); a process or file repeats by running."""
CONTACT_RELATIONS = (RelationType.RESOLVED.value, RelationType.CONNECTED.value, RelationType.REQUESTED.value)
"""How a host or a process contacts a destination."""
MAX_NEIGHBOURS = 5000
"""Most host and process neighbours read per pivot (the most-evidenced first)."""


def contact_share(endpoint_events: float, host_events: float) -> float:
    """The share of a host's events that are distinct contacts: ``max(E, N) / (E + N)``, with
    ``E`` the endpoint's events and ``N = host_events - E`` the network sensor's.

    Examples
    --------
    >>> contact_share(824, 1648)  # Sysmon 22 and Zeek dns.log both logged every query
    0.5
    >>> contact_share(0, 300), contact_share(300, 300)  # one sensor only
    (1.0, 1.0)
    """
    if host_events <= 0:
        return 1.0
    endpoint = min(max(endpoint_events, 0.0), host_events)
    network = host_events - endpoint
    return max(endpoint, network) / host_events


def read_contact_shares(store: GraphStore, pivots: Iterable[EntityKey]) -> dict[EntityKey, float]:
    """:func:`contact_share` of each destination pivot (domains, addresses, URLs; others are left out).

    One :meth:`GraphStore.neighbors` read per pivot: its host and process neighbours
    through :data:`CONTACT_RELATIONS`.
    """
    shares: dict[EntityKey, float] = {}
    for kind, key in pivots:
        if kind not in CONTACT_TYPES:
            continue
        endpoint = hosts = 0.0
        for neighbour in store.neighbors(kind, key, relation_types=list(CONTACT_RELATIONS),
                                         entity_types=["host", "process"], limit=MAX_NEIGHBOURS):
            if neighbour.entity.type == EntityType.HOST.value:
                hosts += neighbour.relation.count
            else:
                endpoint += neighbour.relation.count
        shares[(kind, key)] = contact_share(endpoint, hosts)
    return shares
