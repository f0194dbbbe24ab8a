"""Which hosts each live ingest channel may speak for: the operator's table, and its judgement of a record.

Anyone who can send a line to the syslog listener, or who holds an ingest key,
can send a Sysmon record naming *another* host.  Such a record teaches what a
host's own records teach: its clock (:mod:`ingest.host_clocks`, up to 14 h for
a host with no Sysmon of its own), an address for an hour either side
(:meth:`ingest.ipmap.IpHostMap.observe`) and a sensor clock gap
(:mod:`ingest.sensor_clock_gaps`).  The operator's table binds each channel to
the hosts it may speak for (``GRAPHSIEM_CHANNEL_HOSTS``, a file)::

    # channel                 hosts (names as the graph writes them, * and ? wildcards)
    syslog:10.20.0.5          dc-01 dc-02
    syslog:10.20.1.0/24       ws-*
    key:3f2a9c1e              *
    key:*                     ws-*       # every key not on a line of its own (a rotated one)

A channel is ``syslog:<peer address or network>`` (the listener's sender,
the address it rate-limits by) or ``key:<key id>`` (``POST /v1/events`` and
``/v1/files``: the id ``graphsiem keys list`` shows).  A record of a bound
channel that names a host outside its patterns teaches none of the three
learners; it is still accepted, journaled and projected, carries
:data:`UNBOUND_CHANNEL` (the channel's name) in its fields, and is counted per
channel in the ingest report.  The mark is journaled with the event, so the IP
map that ``graphsiem rebuild`` learns again from the journal leaves it out as
the live ingest did; a changed table applies to records received from then on.
A channel not in the table keeps today's trust, so nothing changes until the
table exists; ``key:*`` binds every key without a line of its own (a key made
by rotation is not trusted by default), and ``syslog:0.0.0.0/0`` and
``syslog:::/0`` every peer without a narrower line.  Files read by ``graphsiem
ingest`` have no channel (the operator vouches for them).

A DHCP ACK that names no host is lent by the IP map to the host its
transaction's request named (:mod:`ingest.ipmap_dhcp`), which the channel's
judgement cannot see: it teaches only from a channel that may speak for every
host (a ``*`` pattern, the device role), and is marked and counted otherwise.

Examples
--------
>>> table = parse_channel_hosts("syslog:10.20.0.5 dc-01\\nkey:k1 ws-*\\n")
>>> table.binding("syslog:10.20.0.5").allows("dc-01"), table.binding("syslog:10.20.0.5").allows("ws-7")
(True, False)
>>> table.binding("key:k1").allows("ws-7"), table.binding("key:k2") is None
(True, True)
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from graphsiem.model import Event
from ingest.normalize_hosts import normalize_host

__all__ = [
    "ANY_KEY", "CHANNEL_HOSTS_ENV", "UNBOUND_CHANNEL", "ChannelBinding", "ChannelHosts", "ChannelHostsError",
    "channel_hosts_from_environment", "key_channel", "mark_unbound", "parse_channel_hosts",
    "read_channel_hosts", "syslog_channel",
]

CHANNEL_HOSTS_ENV = "GRAPHSIEM_CHANNEL_HOSTS"
"""The variable naming the table's file (unset or empty: no table, every channel trusted)."""

UNBOUND_CHANNEL = "graphsiem.unbound_channel"
"""The field of an event whose channel may not speak for a host it names: the channel's name.

Set by the ingest session only (a record's own keys land under parser prefixes); the IP map
learns nothing from an event that carries it, live or on ``graphsiem rebuild``."""

_NAMING_FIELDS = ("dhcp.hostname", "source.hostname")
"""Fields of a host-less record whose host name the IP map binds an address to (a lease, a device's claim)."""

ANY_KEY = "key:*"
"""The table's line for every key without a line of its own."""

_PATTERN = re.compile(r"[a-z0-9_*?][a-z0-9_.*?-]*")
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,128}|\*")
_BINDINGS_CACHED = 4096


class ChannelHostsError(ValueError):
    """The table cannot be read: names the file, the line and the reason."""


@dataclass(frozen=True, slots=True)
class ChannelBinding:
    """One channel's hosts: the patterns a record's host must match for the channel to speak for it."""

    channel: str
    """The table's name for it: ``key:<id>``, ``syslog:<address>`` or ``syslog:<network>``."""
    patterns: tuple[str, ...]

    def allows(self, host: str) -> bool:
        """Whether the channel may speak for ``host`` (a normalised host name).

        Parameters
        ----------
        host : str
            The host a record names, as the graph writes it (lower case, short).

        Returns
        -------
        bool
            True when one of the channel's patterns matches it.
        """
        return any(fnmatchcase(host, pattern) for pattern in self.patterns)

    @property
    def allows_every_host(self) -> bool:
        """Whether a pattern of the channel is all ``*``: it may speak for hosts it cannot name (a sensor)."""
        return any(not pattern.strip("*") for pattern in self.patterns)


@dataclass(slots=True)
class ChannelHosts:
    """The operator's table: channel -> the hosts it may speak for (module docstring)."""

    keys: dict[str, ChannelBinding] = field(default_factory=dict)
    """``key:<id>`` channels by their name."""
    any_key: ChannelBinding | None = None
    """The ``key:*`` line: the binding of every key not in :attr:`keys` (``None``: they are trusted)."""
    peers: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ChannelBinding]] = field(default_factory=list)
    """``syslog:`` channels by the network their peers are in, most specific first."""
    _by_peer: dict[str, ChannelBinding | None] = field(default_factory=dict)

    def binding(self, channel: str | None) -> ChannelBinding | None:
        """The binding of ``channel`` (``None``: not in the table, or no channel: trusted as today).

        Parameters
        ----------
        channel : str or None
            ``syslog:<peer address>`` or ``key:<key id>``; ``None`` for a file.

        Returns
        -------
        ChannelBinding or None
            The table's line for the channel; for a syslog peer, its address's or
            the narrowest network holding it; for a key without a line, ``key:*``'s.
        """
        if channel is None:
            return None
        if channel.startswith("key:"):
            return self.keys.get(channel, self.any_key)
        if not channel.startswith("syslog:") or not self.peers:
            return None
        found = self._by_peer.get(channel, False)
        if found is not False:
            return found  # type: ignore[return-value]
        address = _address(channel[len("syslog:"):])
        binding = None if address is None else next(
            (bound for network, bound in self.peers
             if network.version == address.version and address in network), None)
        if len(self._by_peer) >= _BINDINGS_CACHED:
            self._by_peer.clear()  # peers are senders' addresses: bounded memory whoever sends
        self._by_peer[channel] = binding
        return binding


def syslog_channel(peer: str | None) -> str | None:
    """The channel of a syslog message from ``peer`` (its address), ``None`` without one.

    >>> syslog_channel("::ffff:10.20.0.5"), syslog_channel(None)
    ('syslog:10.20.0.5', None)
    """
    if not peer:
        return None
    address = _address(peer)
    return f"syslog:{address if address is not None else peer}"


def key_channel(key_id: str | None) -> str | None:
    """The channel of an API body or upload sent with the key ``key_id`` (``None`` without a key).

    >>> key_channel("3f2a9c1e")
    'key:3f2a9c1e'
    """
    return f"key:{key_id}" if key_id else None


def mark_unbound(events: Iterable[Event], binding: ChannelBinding, channel: str) -> bool:
    """Mark each event of one record naming a host ``binding`` may not speak for; True when one was.

    A host is named by the event's ``host``, or for a host-less record by the host
    name the IP map would bind an address to (a DHCP lease's, a device's ``shost``).

    Parameters
    ----------
    events : iterable of Event
        One record's events, just parsed; a marked one gets :data:`UNBOUND_CHANNEL`.
    binding : ChannelBinding
        The line of the table that binds the record's channel.
    channel : str
        The record's channel (``syslog:10.20.1.7``), the mark's value.

    Returns
    -------
    bool
        Whether any event was marked (the record counts once in the report).
    """
    marked = False
    for event in events:
        fields: Any = event.fields
        if not isinstance(fields, dict):
            continue  # check_events rejects the record, with the reason (it takes any dict)
        if _names_beyond(binding, event, fields):
            fields[UNBOUND_CHANNEL] = channel
            marked = True
        else:
            fields.pop(UNBOUND_CHANNEL, None)  # never a record's own claim
    return marked


def _names_beyond(binding: ChannelBinding, event: Event, fields: dict[str, Any]) -> bool:
    """Whether ``event`` names a host ``binding`` does not allow, or one it cannot see."""
    if "dhcp.assigned_ip" in fields and not fields.get("dhcp.hostname") and "dhcp.transaction_id" in fields:
        # the IP map lends the address to whoever the transaction's request named, maybe
        # sent by another channel (ingest.ipmap_dhcp): only a channel bound to every host may
        if not binding.allows_every_host:
            return True
    return any(not binding.allows(host) for host in _named_hosts(event, fields))


def _named_hosts(event: Event, fields: dict[str, Any]) -> list[str]:
    """The hosts ``event`` speaks for: its own, and the host a lease in it names (the IP map's)."""
    if event.host:
        named = [event.host]
        # a lease is the DHCP host's whatever host the event is (ingest.ipmap observe)
        keys: tuple[str, ...] = ("dhcp.hostname",) if "dhcp.assigned_ip" in fields else ()
    else:
        named, keys = [], _NAMING_FIELDS
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str) and (host := normalize_host(value)):
            named.append(host)
    return named


def parse_channel_hosts(text: str, *, origin: str = CHANNEL_HOSTS_ENV) -> ChannelHosts:
    """The table from its text: a channel and its host patterns per line, ``#`` comments.

    Parameters
    ----------
    text : str
        The file's text.
    origin : str
        What it came from (the file), named in errors.

    Returns
    -------
    ChannelHosts
        The bindings; syslog networks ordered narrowest first.

    Raises
    ------
    ChannelHostsError
        Naming ``origin``, the line's number, the reason and the line: a channel
        that is neither ``syslog:<address or network>`` nor ``key:<id>``, no hosts,
        a pattern with characters no host name has, a pattern with a domain
        (host names are short), a channel given twice.

    Examples
    --------
    >>> parse_channel_hosts("syslog:10.0.0.5", origin="t")
    Traceback (most recent call last):
    ...
    ingest.channel_hosts.ChannelHostsError: t line 1: no hosts after the channel (syslog:10.0.0.5 HOST-PATTERN ...): 'syslog:10.0.0.5'
    """
    table = ChannelHosts()
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue

        def fail(reason: str, number: int = number, line: str = line) -> ChannelHostsError:
            return ChannelHostsError(f"{origin} line {number}: {reason}: {line.strip()[:200]!r}")

        channel, patterns = words[0], tuple(word.lower() for word in words[1:])
        if not patterns:
            raise fail(f"no hosts after the channel ({channel[:80]} HOST-PATTERN ...)")
        for pattern in patterns:
            if not _PATTERN.fullmatch(pattern):
                raise fail(f"{pattern[:80]!r} is not a host name or pattern (letters, digits, '.', '-', '_', '*', '?')")
            if "." in pattern and any(char.isalpha() for char in pattern):
                # the graph writes a host short (normalize_host): such a pattern would match nothing
                raise fail(f"{pattern[:80]!r} has a domain: host names are short (dc-01, not dc-01.corp.local)")
        if channel.startswith("key:"):
            if not _KEY_ID.fullmatch(channel[4:]):
                raise fail(f"{channel[:80]!r} names no key id (key:<id>, as `graphsiem keys list` shows it, or key:* for every other key)")
            name = channel
        elif channel.startswith("syslog:"):
            try:
                network = _ipv4_of_mapped(ipaddress.ip_network(channel[7:], strict=True))
            except ValueError:
                raise fail(f"{channel[:80]!r} names no peer address or network (syslog:10.20.0.5, "
                           "syslog:10.20.1.0/24)") from None
            name = f"syslog:{network if network.num_addresses > 1 else network.network_address}"
        else:
            raise fail(f"{channel[:80]!r} is no channel: syslog:<peer address or network> or key:<key id>")
        if name in seen:
            raise fail(f"{name} is bound on an earlier line too")
        seen.add(name)
        binding = ChannelBinding(name, patterns)
        if name == ANY_KEY:
            table.any_key = binding
        elif name.startswith("key:"):
            table.keys[name] = binding
        else:
            table.peers.append((network, binding))
    table.peers.sort(key=lambda item: -item[0].prefixlen)
    return table


def read_channel_hosts(path: str | Path) -> ChannelHosts:
    """The table in the file ``path`` (:func:`parse_channel_hosts`); errors name the file and the line.

    Raises
    ------
    ChannelHostsError
        When the file cannot be read (naming it and why) or a line is wrong.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChannelHostsError(f"{CHANNEL_HOSTS_ENV}: cannot read {str(path)!r}: {exc}") from None
    return parse_channel_hosts(text, origin=f"{CHANNEL_HOSTS_ENV} {path}")


def channel_hosts_from_environment(environ: dict[str, str] | None = None) -> ChannelHosts | None:
    """The table of the file :data:`CHANNEL_HOSTS_ENV` names (``None`` when unset or empty)."""
    path = (os.environ if environ is None else environ).get(CHANNEL_HOSTS_ENV, "").strip()
    return read_channel_hosts(path) if path else None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``text`` as an address; an IPv4-mapped IPv6 address (a dual-stack listener's) as its IPv4 one."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _ipv4_of_mapped(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An IPv4-mapped network (``::ffff:10.20.0.0/120``) as its IPv4 one: peers are named so (:func:`_address`)."""
    mapped = network.network_address.ipv4_mapped if isinstance(network, ipaddress.IPv6Network) else None
    if mapped is None or network.prefixlen < 96:
        return network
    return ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
