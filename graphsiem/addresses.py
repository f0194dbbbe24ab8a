"""Which IP addresses name another machine: the one rule ingest and analytics share.

Loopback, link-local (the cloud metadata service at ``169.254.169.254``, IPv6
``fe80::``), multicast (mDNS, SSDP), unspecified and the limited broadcast are
addresses every host has or sends to: a download "from" one, or many hosts
"sharing" one, says nothing about a machine.  Ingest keeps them out of a file's
origin (:func:`ingest.projection_transfers.origin_address`); analytics keep them
out of clusters (:func:`analytics.inputs.names_no_remote_machine`).
"""

from __future__ import annotations

import ipaddress

_LIMITED_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def names_no_other_machine(address: str) -> bool:
    """True for an address that names no other machine; False for any other text.

    An IPv4-mapped IPv6 address is judged as its IPv4 address; a zone
    (``fe80::1%eth0``) and brackets are ignored.

    Examples
    --------
    >>> [names_no_other_machine(a) for a in ("::1", "ff02::c", "169.254.3.4", "0.0.0.0", "::ffff:127.0.0.1")]
    [True, True, True, True, True]
    >>> [names_no_other_machine(a) for a in ("10.0.0.5", "8.8.8.8", "dl.example")]
    [False, False, False]
    """
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0].strip("[]"))
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return (parsed.is_loopback or parsed.is_link_local or parsed.is_multicast or parsed.is_unspecified
            or parsed == _LIMITED_BROADCAST)
