"""IP addresses: canonical text, and whether an address is the fleet's or can be one machine's.

Part of :mod:`ingest.normalize` (which re-exports every public name).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from graphsiem.internal_networks import DEFAULT_INTERNAL_NETWORKS, fleet_networks
from ingest.normalize_text import is_unset

INTERNAL_NETWORKS = DEFAULT_INTERNAL_NETWORKS
"""The default networks of the fleet's own machines (:mod:`graphsiem.internal_networks` owns them);
:func:`is_internal` adds the operator's (``GRAPHSIEM_INTERNAL_NETWORKS``)."""


def is_internal(address: str | None) -> bool:
    """Whether ``address`` is one of the fleet's networks (``False`` for no or no valid address).

    The networks are :func:`graphsiem.internal_networks.fleet_networks`: the
    defaults and the operator's.  Ingest follows the operator's networks too, as
    analytics do: a parser asks this to tell a fleet machine's address from an
    outside one (a CEF ``shost`` beside an internal address is a fleet host's
    name, which the IP map learns; beside an outside one it is a DNS name; a
    Sysmon 3 host name alone maps only an internal address to the computer), and
    a fleet on public space (a university's ``/16``) expects its own hosts'
    addresses mapped to them as a fleet on RFC 1918 has.  The answer is written
    into the journaled fields when a record is parsed: a network declared later
    applies to records ingested from then on (no projection change, so no
    projection version: ``graphsiem rebuild`` replays the same fields).

    >>> is_internal("10.0.0.5"), is_internal("203.0.113.9"), is_internal("fw01")
    (True, False, False)
    """
    ip = canonical_ip(address, strict=False) if address else None
    if ip is None:
        return False
    return fleet_networks().contains(ipaddress.ip_address(ip))


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


_ADDRESS_CHARS = "0123456789abcdefABCDEF:."
"""Every character an IPv4 or IPv6 address may be written with (its zone, after ``%``, aside)."""


def _is_canonical_ipv4(text: str) -> bool:
    """Whether ``text`` is a dotted quad as ``str(IPv4Address)`` writes it: four ASCII decimal octets up to
    255, no leading zero (which ipaddress refuses).

    >>> _is_canonical_ipv4("10.0.0.1"), _is_canonical_ipv4("10.0.0.01"), _is_canonical_ipv4("256.0.0.1")
    (True, False, False)
    """
    octets = text.split(".")
    if len(octets) != 4:
        return False
    for octet in octets:
        if not (octet.isdigit() and octet.isascii() and len(octet) <= 3) or (octet[0] == "0" and len(octet) > 1):
            return False
        if int(octet) > 255:
            return False
    return True


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
    address_text = text.split("%", 1)[0]
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    # A character no address spelling has (a domain's letters past f, a hyphen, a blank) is refused
    # before ipaddress, whose refusal raises and formats errors: most of what a new domain name cost
    # normalize_domain, which asks first (callgrind: 54k -> 14k instructions a new name).
    if not address_text.strip(_ADDRESS_CHARS):
        if _is_canonical_ipv4(address_text):
            return address_text  # what str(IPv4Address) gives back: ~30k instructions less a new address
        try:
            address = ipaddress.ip_address(address_text)
        except ValueError:
            pass
    if address is None:
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
