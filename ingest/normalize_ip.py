"""IP addresses: canonical text, and whether an address is the fleet's or can be one machine's.

Part of :mod:`ingest.normalize` (which re-exports every public name).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from ingest.normalize_text import is_unset

INTERNAL_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
    "fc00::/7", "fe80::/10",
))
"""Addresses of the fleet's own machines (RFC 1918, shared CGN space, link-local, IPv6 ULA)."""


def is_internal(address: str | None) -> bool:
    """Whether ``address`` is one of :data:`INTERNAL_NETWORKS` (``False`` for no or no valid address).

    >>> is_internal("10.0.0.5"), is_internal("203.0.113.9"), is_internal("fw01")
    (True, False, False)
    """
    ip = canonical_ip(address, strict=False) if address else None
    if ip is None:
        return False
    parsed = ipaddress.ip_address(ip)
    return any(parsed in network for network in INTERNAL_NETWORKS)


@lru_cache(maxsize=4096)
def can_be_a_host(ip: str) -> bool:
    """Whether ``ip`` can be one machine's address: not a group or no address (multicast,
    broadcast, unspecified), nor text that is no address.

    An SSDP packet to ``239.255.255.250:1900`` has the group on the listening side.

    >>> can_be_a_host("10.0.0.5"), can_be_a_host("239.255.255.250"), can_be_a_host("0.0.0.0"), can_be_a_host("x")
    (True, False, False, False)
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return not (address.is_multicast or address.is_unspecified or ip == "255.255.255.255")


@lru_cache(maxsize=65536)
def canonical_ip(value: str | None, *, strict: bool = True) -> str | None:
    """Canonical text of an IPv4/IPv6 address (``::ffff:1.2.3.4`` -> ``1.2.3.4``).

    With ``strict=False`` a non-IP returns ``None`` instead of raising.
    """
    if value is None:
        return None
    text = str(value).strip()
    if is_unset(text):
        return None
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        if strict:
            raise ValueError(f"not an IP address: {text[:64]!r}") from None
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


@lru_cache(maxsize=65536)
def ip_or_none(text: str) -> str | None:
    """``canonical_ip(text, strict=False)`` for hot paths: one positional argument is a cheaper cache key.

    >>> ip_or_none("::ffff:10.0.0.1"), ip_or_none("ws-0042")
    ('10.0.0.1', None)
    """
    return canonical_ip(text, strict=False)
