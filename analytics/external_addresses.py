"""Which IP addresses are outside the fleet: a download or a beacon "from the internet".

An address is **external** when it names another machine
(:func:`graphsiem.addresses.names_no_other_machine`: not loopback, link-local,
multicast, unspecified or the broadcast) and is not one of the fleet's own
networks (:func:`graphsiem.internal_networks.fleet_networks`: RFC 1918, the
carrier-grade NAT space, IPv6 unique-local, and the networks the operator
declares in ``GRAPHSIEM_INTERNAL_NETWORKS`` or the detection config's
``internal_networks``).  Ingest calls the same networks the fleet's
(:func:`ingest.normalize_ip.is_internal`).

Python's ``is_private`` is not that rule: it counts the documentation ranges
(``192.0.2.0/24``, ``198.51.100.0/24``, ``203.0.113.0/24``, ``2001:db8::/32``)
and other reserved blocks as private, so a stager fetched from
``http://203.0.113.7/a.png`` was an "internal server" and its cluster had no
external destination (review T7 #4); and it counts ``100.64.0.0/10`` (a
provider's NAT, or a fleet's overlay network) as public.  And a fleet whose own
servers are on public space (a university's ``/16``) declares it: a download
from there is a deployment server's, not one "from a new external address"
(red-team T8 #6: a raw-address updater on 74 hosts rose from risk 60.6 to 71.8).
"""

from __future__ import annotations

import ipaddress

from graphsiem.addresses import names_no_other_machine
from graphsiem.internal_networks import FleetNetworks, fleet_networks

__all__ = ["is_external_ip"]


def is_external_ip(value: str) -> bool:
    """True for an IP address of a machine outside the fleet; False for any other text.

    Examples
    --------
    >>> [is_external_ip(a) for a in ("203.0.113.7", "8.8.8.8", "2001:db8::1", "::ffff:52.1.2.3")]
    [True, True, True, True]
    >>> [is_external_ip(a) for a in ("10.1.2.3", "100.64.0.9", "192.168.1.1", "127.0.0.1", "169.254.169.254",
    ...                              "fd00::1", "fe80::1%eth0", "0.0.0.0", "dl.example")]
    [False, False, False, False, False, False, False, False, False]
    >>> from graphsiem.internal_networks import declared_internal_networks
    >>> with declared_internal_networks(["203.0.113.0/24"]):
    ...     is_external_ip("203.0.113.7"), is_external_ip("8.8.8.8")
    (False, True)
    """
    networks = fleet_networks()
    answer = networks.answers.get(value)
    if answer is None:
        if len(networks.answers) >= _ANSWERS_KEPT:
            networks.answers.clear()
        answer = networks.answers[value] = _is_external(value, networks)
    return answer


_ANSWERS_KEPT = 65536
"""Addresses whose answer is kept per set of networks (a fleet's distinct addresses in a window)."""


def _is_external(value: str, networks: FleetNetworks) -> bool:
    text = value.split("%", 1)[0].strip("[]")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if names_no_other_machine(text):
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not networks.contains(address)
