"""The fleet's own networks: the default private space, plus what the operator declares.

One definition that ingest and analytics share (red-team T8, finding 6: each had
its own hard-coded list, and a fleet whose own ranges are public space could
declare neither):

* :data:`DEFAULT_INTERNAL_NETWORKS`: RFC 1918, shared CGN space (RFC 6598),
  link-local and IPv6 unique-local.  Always internal.
* the operator's networks, ``GRAPHSIEM_INTERNAL_NETWORKS`` (a comma- or
  space-separated CIDR list: a university's ``/16``, a company's
  provider-independent block such as ``198.51.100.0/24``), read by ingest and
  by detection alike; ``graphsiem detect --internal-network CIDR`` and
  :attr:`analytics.config.DetectionConfig.internal_networks` add networks for
  one detection run.

Who asks (:func:`fleet_networks`):

* analytics (:func:`analytics.external_addresses.is_external_ip`): a download
  from a declared network is from the organisation's own server, not "from a new
  external address";
* ingest's parsers (:func:`ingest.normalize_ip.is_internal`): a name beside a
  declared address is a fleet machine's (a CEF ``shost``, a Sysmon 3 host name),
  so the IP map learns that address -> host.  Parsers run when a record is
  ingested and the journal keeps their fields, so a network declared later
  applies to records ingested from then on (``graphsiem rebuild`` replays the
  journal's fields, it does not parse again).

Declare only networks whose addresses are the organisation's machines: beside a
declared address, a CEF device's host name is read as a fleet host's name, and a
download from any address in it is no longer "from a new external address".  Not
a CDN's or a cloud's range: other tenants share it, and an attacker's stager
there would lose that evidence (review T10, finding 6: a co-tenant's stager on
the CDN /24 an updater used went from risk 47.4 to 41.6).  Ownership cannot be
checked, so each declared network of public address space is logged once per
process at WARNING when parsed (:func:`public_networks`): at the start of
``graphsiem detect``, ``ingest`` and ``serve``, which all parse the setting
first.  A source to vouch for is not a network to declare.

The environment is read when first asked, never at import time, and read again
when it changes (tests set their own).  :func:`declared_internal_networks` puts
a run's networks in a context variable, so a detection run in one thread does
not change another's.

Examples
--------
>>> space = parse_internal_networks("198.51.100.0/24, 2001:db8:1::/48")
>>> [str(n) for n in space]
['198.51.100.0/24', '2001:db8:1::/48']
>>> from ipaddress import ip_address
>>> with declared_internal_networks(space):
...     fleet_networks().contains(ip_address("198.51.100.20")), fleet_networks().contains(ip_address("198.51.101.1"))
(True, False)
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = [
    "DEFAULT_INTERNAL_NETWORKS",
    "INTERNAL_NETWORKS_ENV",
    "FleetNetworks",
    "Network",
    "declared_internal_networks",
    "fleet_networks",
    "internal_networks_from_environment",
    "parse_internal_networks",
    "public_network_warning",
    "public_networks",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

INTERNAL_NETWORKS_ENV = "GRAPHSIEM_INTERNAL_NETWORKS"
"""The environment variable of the operator's extra internal networks (a CIDR list)."""

DEFAULT_INTERNAL_NETWORKS: tuple[Network, ...] = tuple(ipaddress.ip_network(net) for net in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
    "fc00::/7", "fe80::/10",
))
"""Addresses of the fleet's own machines in any fleet: RFC 1918, shared CGN space (RFC 6598),
link-local, IPv6 unique-local.  Not loopback: no other machine (:mod:`graphsiem.addresses`)."""

_WIDEST_PREFIX = {4: 8, 6: 16}
"""Shortest prefix accepted per IP version: a wider network (``0.0.0.0/0``, ``2000::/3``) is a
typo or a way to turn off the "new external address" evidence for the whole internet."""

_SEPARATORS = re.compile(r"[\s,;]+")

_log = logging.getLogger(__name__)
_warned: set[Network] = set()
"""The public networks already warned about in this process: each once (a run parses its setting several times)."""


class FleetNetworks:
    """An immutable set of internal networks: the defaults and the declared ones.

    Hashable with its hash computed once.  ``answers`` is for callers' per-address
    answers under these networks (:func:`analytics.external_addresses.is_external_ip`):
    one dict read, where a cache keyed on the networks hashed them on every call.

    Parameters
    ----------
    declared : iterable of Network
        The operator's networks, added to :data:`DEFAULT_INTERNAL_NETWORKS`.
    """

    __slots__ = ("_hash", "answers", "declared", "networks")

    def __init__(self, declared: Iterable[Network] = ()) -> None:
        self.declared: tuple[Network, ...] = tuple(dict.fromkeys(declared))
        self.networks: tuple[Network, ...] = DEFAULT_INTERNAL_NETWORKS + tuple(
            n for n in self.declared if n not in DEFAULT_INTERNAL_NETWORKS)
        self._hash = hash(self.networks)
        self.answers: dict[str, bool] = {}

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FleetNetworks) and self.networks == other.networks

    def __repr__(self) -> str:
        return f"FleetNetworks({[str(n) for n in self.declared]!r})"

    def contains(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        """Whether ``address`` (IPv4-mapped IPv6 already unwrapped by the caller) is in one of the networks."""
        return any(address in network for network in self.networks)


def parse_internal_networks(value: object, *, origin: str = "internal_networks") -> tuple[Network, ...]:
    """The operator's internal networks, checked.

    Parameters
    ----------
    value : str, iterable of str, or None
        CIDR networks, as text separated by commas, semicolons or spaces
        (``"198.51.100.0/24,2001:db8:1::/48"``) or as a list; a bare address is
        its ``/32`` (``/128``).  ``None`` or ``""`` is none.
    origin : str
        What the value came from (a variable, an option), named in errors.

    Returns
    -------
    tuple of IPv4Network or IPv6Network
        The networks, in the order given, without repeats.

    Raises
    ------
    ValueError
        Naming ``origin``, the value and the reason: not a network, host bits
        set (with the network meant), or wider than a ``/8`` (IPv6 ``/16``).

    Examples
    --------
    >>> parse_internal_networks("130.59.0.0/16 130.59.1.20")
    (IPv4Network('130.59.0.0/16'), IPv4Network('130.59.1.20/32'))
    >>> parse_internal_networks("130.59.1.0/16")
    Traceback (most recent call last):
    ...
    ValueError: internal_networks: '130.59.1.0/16' has host bits set (the network is 130.59.0.0/16)
    """
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: list[object] = [part for part in _SEPARATORS.split(value.strip()) if part]
    elif isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        items = list(value)
    else:
        raise ValueError(f"{origin}: must be a list of CIDR networks such as 198.51.100.0/24, got {value!r:.80}")
    networks: list[Network] = []
    for item in items:
        network = _network(item, origin)
        if network not in networks:
            networks.append(network)
    for network in public_networks(networks):
        if network not in _warned:
            _warned.add(network)
            _log.warning("%s", public_network_warning(network, origin))
    return tuple(networks)


def public_networks(networks: Iterable[Network]) -> tuple[Network, ...]:
    """The networks of ``networks`` that reach into public address space.

    Public: not within the defaults (:data:`DEFAULT_INTERNAL_NETWORKS`) nor within
    space no one on the internet holds (loopback, the documentation ranges such as
    198.51.100.0/24 and 2001:db8::/32: Python's ``is_private``).

    Examples
    --------
    >>> [str(n) for n in public_networks(parse_internal_networks("10.20.0.0/16 198.51.100.0/24 fd00:1::/48"))]
    []
    """
    return tuple(n for n in networks if not (n.is_private or any(
        n.version == d.version and n.subnet_of(d) for d in DEFAULT_INTERNAL_NETWORKS)))  # type: ignore[arg-type]


def public_network_warning(network: Network, origin: str) -> str:
    """What is logged when ``network`` (public address space) is declared internal through ``origin``."""
    return (f"{origin}: {network} is public address space, declared internal: a download from any "
            f"address in it no longer counts as from an external address (the 'download from a new "
            "domain or address' evidence), whoever holds that address. Declare only addresses the "
            "organisation's own machines hold, not a CDN's or a cloud provider's range that other "
            "tenants share")


def _network(item: object, origin: str) -> Network:
    """One CIDR network, or a ``ValueError`` naming ``origin``, the value and why."""
    if isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
        network: Network = item
    else:
        text = str(item).strip()
        shown = repr(text[:80])
        try:
            network = ipaddress.ip_network(text)
        except ValueError as exc:
            if "host bits set" in str(exc):
                meant = ipaddress.ip_network(text, strict=False)
                raise ValueError(f"{origin}: {shown} has host bits set (the network is {meant})") from None
            raise ValueError(f"{origin}: {shown} is not a CIDR network such as 198.51.100.0/24 "
                             "or 2001:db8:1::/48") from None
    if network.prefixlen < _WIDEST_PREFIX[network.version]:
        raise ValueError(f"{origin}: {str(network)!r} is wider than a /{_WIDEST_PREFIX[network.version]}: "
                         "declare the organisation's own networks, not a share of the internet")
    return network


def internal_networks_from_environment(environ: Mapping[str, str] | None = None) -> tuple[Network, ...]:
    """The operator's networks from :data:`INTERNAL_NETWORKS_ENV` (none when unset); ``ValueError`` when invalid."""
    env = os.environ if environ is None else environ
    return parse_internal_networks(env.get(INTERNAL_NETWORKS_ENV), origin=INTERNAL_NETWORKS_ENV)


_run_networks: ContextVar[FleetNetworks | None] = ContextVar("graphsiem_internal_networks", default=None)
"""A detection run's networks (:func:`declared_internal_networks`); None: the environment's."""

_from_environment: dict[str, FleetNetworks] = {}
"""The environment's networks, by the variable's text: parsed once per value."""

_service: FleetNetworks | None = None
"""The service's networks (:func:`use_service_networks`); None: the environment's."""


def use_service_networks(networks: Iterable[Network | str]) -> None:
    """Make ``networks`` the process's networks in place of ``GRAPHSIEM_INTERNAL_NETWORKS``.

    The HTTP service takes its settings (:attr:`graphsiem.settings.Settings.internal_networks`),
    which the environment fills but a caller may set: ingest through the API and syslog
    (:func:`ingest.normalize_ip.is_internal`) must then read the same networks as the
    service's detections do (review R18: a ``Settings`` built with networks ingested as if
    none were declared).  An empty ``networks`` goes back to the environment's.

    Parameters
    ----------
    networks : iterable of Network or str
        The service's declared networks, added to the defaults.
    """
    global _service
    declared = parse_internal_networks(list(networks), origin="internal_networks")
    _service = FleetNetworks(declared) if declared else None


def fleet_networks() -> FleetNetworks:
    """The internal networks in force: the run's (:func:`declared_internal_networks`), else the
    service's (:func:`use_service_networks`), else the environment's.

    A detection run declares its networks (:func:`analytics.detect.detect`), so its
    many calls read the context variable; reading the environment costs a few
    microseconds a call, paid only outside a run (ingest's parsers, rarely).

    Raises
    ------
    ValueError
        When ``GRAPHSIEM_INTERNAL_NETWORKS`` is invalid (the commands check it at start).
    """
    declared = _run_networks.get()
    if declared is not None:
        return declared
    if _service is not None:
        return _service
    text = os.environ.get(INTERNAL_NETWORKS_ENV, "")
    known = _from_environment.get(text)
    if known is None:
        known = FleetNetworks(parse_internal_networks(text, origin=INTERNAL_NETWORKS_ENV))
        if len(_from_environment) > 16:  # a test changing the variable many times
            _from_environment.clear()
        _from_environment[text] = known
    return known


@contextmanager
def declared_internal_networks(networks: Iterable[Network | str], *, with_environment: bool = True) -> Iterator[FleetNetworks]:
    """Within the block (this thread or task), :func:`fleet_networks` is the defaults plus ``networks``.

    Parameters
    ----------
    networks : iterable of Network or str
        The run's networks (a detection config's, ``--internal-network``).
    with_environment : bool
        Keep ``GRAPHSIEM_INTERNAL_NETWORKS``'s networks too (the default: the
        run's add to the fleet's, they do not replace them).

    Yields
    ------
    FleetNetworks
        The networks in force in the block.
    """
    run = parse_internal_networks(list(networks), origin="internal_networks")
    base = fleet_networks().declared if with_environment else ()
    space = FleetNetworks((*base, *run))
    token = _run_networks.set(space)
    try:
        yield space
    finally:
        _run_networks.reset(token)
