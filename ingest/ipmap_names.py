"""Which host names the IP -> host map (:mod:`ingest.ipmap`) trusts, and the NetBIOS-truncated names it joins.

A DHCP lease to a name many devices send (``iPhone``, ``localhost``) teaches
nothing (:func:`is_generic_host_name`); a 15-character NetBIOS name gives way
to the one full host name it begins that holds the same address at the same
time (:func:`full_name`).
"""

from __future__ import annotations

from collections.abc import Iterable

from ingest.normalize import canonical_ip

NETBIOS_LENGTH = 15
"""Windows' NetBIOS computer names (and so machine accounts ``NAME$``) are host names cut to this length."""

PLACEHOLDER_HOST_NAMES = frozenset({"localhost", "unknown", "none", "null", "nil", "undefined", "n/a", "default",
                                    "(none)"})
"""Names written where a machine's name is missing (or for the machine itself): they name no machine."""

GENERIC_HOST_NAMES = PLACEHOLDER_HOST_NAMES | frozenset({
    # the factory names of whole device families (each phone of a kind says the same)
    "iphone", "ipad", "ipod", "android", "espressif", "raspberrypi", "chromecast",
    "macbook", "macbook-pro", "macbook-air", "imac", "mac",
    # distributions' installer defaults
    "ubuntu", "debian", "kali", "linux",
})
"""Host names many devices send in DHCP (as :func:`ingest.normalize.normalize_host` gives them).

A lease to one of them teaches the IP map nothing (:func:`is_generic_host_name`):
two iPhones leasing two addresses as ``iPhone`` would otherwise be one host
``iphone``.  Names made unique by the device (``Johns-iPhone``,
``android-3f2a9c...``, ``DESKTOP-7H2K9QX``) are names."""


def is_generic_host_name(name: str) -> bool:
    """Whether a DHCP host name names no one device: a placeholder, a family default, an address.

    ``name`` is normalised (:func:`ingest.normalize.normalize_host`).  Generic
    are :data:`GENERIC_HOST_NAMES`, a name with no letter or digit (``-``,
    ``?``), and an IP address written as the name.  No MAC rule is added: one
    laptop leases with several MACs (Wi-Fi and a dock, a randomised Wi-Fi
    address per network or per day), which looks the same as two devices
    sharing a name.

    >>> [is_generic_host_name(n) for n in ("iphone", "localhost", "-", "10.1.6.10", "johns-iphone", "ws-0300")]
    [True, True, True, True, False, False]
    """
    return name in GENERIC_HOST_NAMES or is_placeholder_host_name(name)


def is_placeholder_host_name(name: str) -> bool:
    """Whether ``name`` stands where a machine's name is missing: a placeholder
    (:data:`PLACEHOLDER_HOST_NAMES`, any case), no letter or digit, or an IP address.

    >>> [is_placeholder_host_name(n) for n in ("LOCALHOST", "-", "10.1.6.10", "kali", "ws-0300")]
    [True, True, True, False, False]
    """
    if name.lower() in PLACEHOLDER_HOST_NAMES or not any(char.isalnum() for char in name):
        return True
    return canonical_ip(name, strict=False) is not None


TOOL_WORKSTATION_NAMES = frozenset({"workstation"})
"""Workstation names attack tools declare by default in NTLM (Metasploit's and Impacket-based clients
write ``WORKSTATION``): every such tool, whoever runs it, would be one "host"."""


def is_placeholder_workstation_name(name: str) -> bool:
    """Whether a workstation name a client declared (NTLM ``hostname``, 4624 ``WorkstationName``) names
    no machine: a placeholder (:func:`is_placeholder_host_name`) or a tool's default
    (:data:`TOOL_WORKSTATION_NAMES`).  Such a name makes no host; the event keeps it.

    >>> [is_placeholder_workstation_name(n) for n in ("WORKSTATION", "-", "", "kali", "ws-0300")]
    [True, True, True, False, False]
    """
    return name.lower() in TOOL_WORKSTATION_NAMES or is_placeholder_host_name(name)


def full_name(holding: Iterable[str], host: str) -> str:
    """The one longer name that ``host`` (15 characters, NetBIOS-truncated) begins among ``holding``.

    ``holding`` are the host names of the address's intervals that hold the time looked up.

    A machine account (``LAPTOP-VERYLONG$``, Zeek Kerberos) is the computer's
    NetBIOS name, its host name cut to 15 characters; the endpoint's own
    events name it in full (``laptop-verylongname01``).  Both holding the same
    address at the same time, they are one machine: an Active Directory domain
    allows one computer per NetBIOS name.  Only the intervals of this address
    covering the time are read, so the answer is the same whatever the order
    the evidence came in (live = replay); with no such name, or two, ``host``
    stays.  Outside the endpoint's intervals the truncated name is a host of
    its own (``docs/fields.md``).

    >>> full_name(["laptop-verylong", "laptop-verylongname01"], "laptop-verylong")
    'laptop-verylongname01'
    >>> full_name(["accounting-srv-", "accounting-srv-01", "accounting-srv-02"], "accounting-srv-")
    'accounting-srv-'
    """
    longer = {name for name in holding if len(name) > NETBIOS_LENGTH and name.startswith(host)}
    return longer.pop() if len(longer) == 1 else host
