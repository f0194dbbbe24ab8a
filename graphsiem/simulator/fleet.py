"""The simulated fleet: hosts, their names as each source writes them, users, DHCP leases.

A host's IP address is time-aware: workstations renew a DHCP lease every day
and some of them get a new address at renewal, so joining a Zeek record (which
only knows IPs) to a host needs the lease in force at the record's time.
Servers have static addresses and no DHCP traffic.
"""

from __future__ import annotations

import bisect
import ipaddress
from dataclasses import dataclass, field

from graphsiem.simulator.catalog import FIRST_NAMES, LAST_NAMES
from graphsiem.simulator.randomness import derive_seed, rng_for

DOMAIN = "corp.example"
NETBIOS_DOMAIN = "CORP"
GROUPS = ("workstations", "servers", "it")
DOMAIN_CONTROLLER_GROUP = "domain_controllers"
"""The domain controller's group: not in :data:`GROUPS`, so no scenario's host selection (``any``
included) picks it; credential actions write its events (:mod:`.credential_actions`)."""
DOMAIN_CONTROLLER_IP = "10.1.0.11"
"""The DC's static address: the KDC every Kerberos request goes to and the NTLM validator."""
_CLIENT_POOL = int(ipaddress.IPv4Address("10.32.0.0"))  # 10.32.0.0/11, room for 2M leases
_SERVER_POOL = int(ipaddress.IPv4Address("10.1.10.2"))
_SECONDS_PER_DAY = 86400
_ADDRESS_CHANGE_PROBABILITY = 0.3


@dataclass(slots=True)
class Lease:
    """A DHCP lease: ``ip`` from ``start`` (epoch seconds, network clock)."""

    start: float
    ip: str
    is_new_address: bool


@dataclass(slots=True)
class Host:
    """One simulated machine.

    Attributes
    ----------
    short : str
        Normalised name (``ws-0001``), what ground truth and the graph use.
    computer_name : str
        The name endpoint logs carry: ``WS-0001.corp.example`` or ``WS-0001``.
    collector : str
        ``"winlogbeat"`` or ``"nxlog"``: the agent that ships its Windows events.
    skew : float
        Seconds the endpoint clock is ahead of the network sensor's (constant).
    leases : list of Lease
        Sorted by start; static hosts have one lease starting at 0 and no DHCP.
    """

    index: int
    short: str
    computer_name: str
    group: str
    collector: str
    mac: str
    skew: float
    user: str
    user_sid: str
    leases: list[Lease]
    has_dhcp: bool
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def upper(self) -> str:
        return self.short.upper()

    @property
    def fqdn(self) -> str:
        return f"{self.upper}.{DOMAIN}"

    @property
    def domain_user(self) -> str:
        """``CORP\\alice.smith``, as Sysmon's ``User`` field writes it."""
        return f"{NETBIOS_DOMAIN}\\{self.user}"

    def ip_at(self, ts: float) -> str:
        """The address the host held at ``ts`` (the first lease before any renewal)."""
        starts = [lease.start for lease in self.leases]
        position = bisect.bisect_right(starts, ts) - 1
        return self.leases[max(position, 0)].ip

    def next_count(self, counter: str, start: int = 1000) -> int:
        """A per-host monotonically increasing number (record ids, logon ids...)."""
        value = self.counters.get(counter, start) + 1
        self.counters[counter] = value
        return value


def build_fleet(hosts: int, days: int, start: float, seed: int) -> list[Host]:
    """``hosts`` machines: ~8 % servers (at least 3), ~2 % IT workstations (at least 2).

    Parameters
    ----------
    hosts : int
        Fleet size, at least 5.
    days : int
        Days simulated (one DHCP renewal per client per day).
    start : float
        Epoch seconds of the first simulated midnight.
    seed : int
        Run seed.
    """
    if hosts < 5:
        raise ValueError(f"a fleet needs at least 5 hosts, got {hosts}")
    servers = max(3, round(hosts * 0.08))
    it = max(2, round(hosts * 0.02))
    workstations = hosts - servers - it
    width = max(4, len(str(hosts)))
    plan = [("workstations", "WS", n) for n in range(1, workstations + 1)]
    plan += [("servers", "SRV", n) for n in range(1, servers + 1)]
    plan += [("it", "IT", n) for n in range(1, it + 1)]
    fleet = []
    for index, (group, prefix, number) in enumerate(plan):
        short = f"{prefix}-{number:0{width}d}".lower()
        rng = rng_for(seed, "host", short)
        is_fqdn = rng.random() < 0.5
        upper = short.upper()
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        user = f"{first}.{last}{number % 100:02d}"
        sid_tail = 1100 + index
        static = group == "servers"
        host = Host(
            index=index,
            short=short,
            computer_name=f"{upper}.{DOMAIN}" if is_fqdn else upper,
            group=group,
            collector="nxlog" if rng.random() < 0.2 else "winlogbeat",
            mac=_mac(seed, short),
            skew=round(rng.uniform(-4.0, 4.0), 3),
            user=user,
            user_sid=f"S-1-5-21-3623811015-3361044348-30300820-{sid_tail}",
            leases=_leases(index, len(plan), days, start, static, rng),
            has_dhcp=not static,
        )
        fleet.append(host)
    return fleet


def _leases(index: int, size: int, days: int, start: float, static: bool, rng) -> list[Lease]:
    if static:
        return [Lease(0.0, str(ipaddress.IPv4Address(_SERVER_POOL + index)), False)]
    leases = []
    address = _CLIENT_POOL + index
    for day in range(days):
        # a new address is unique to (day, host): no two hosts ever share one at a time
        is_new = day > 0 and rng.random() < _ADDRESS_CHANGE_PROBABILITY
        if is_new:
            address = _CLIENT_POOL + day * size + index
        renewal = start + day * _SECONDS_PER_DAY + rng.uniform(5.0, 1200.0)
        leases.append(Lease(round(renewal, 6), str(ipaddress.IPv4Address(address)), is_new))
    return leases


def _mac(seed: int, short: str) -> str:
    """A stable unicast, globally-administered-looking MAC address."""
    octets = bytearray(derive_seed(seed, "mac", short).to_bytes(8, "big")[:6])
    octets[0] &= 0xFC
    return ":".join(f"{b:02x}" for b in octets)


def domain_controller(fleet_size: int, seed: int) -> Host:
    """The fleet's domain controller ``DC-01``: it validates every domain account (Security 4776).

    It is not one of the ``hosts`` members (:func:`build_fleet`) and never runs scenario activities:
    its index follows the members' so no member's address, SID or draw moves, and its events come
    from the members' runs (a log-on checked by NTLM, a spray against it).

    Parameters
    ----------
    fleet_size : int
        Number of member hosts (its index).
    seed : int
        Run seed.

    Examples
    --------
    >>> dc = domain_controller(300, 7)
    >>> dc.short, dc.computer_name, dc.ip_at(0.0), dc.group
    ('dc-01', 'DC-01.corp.example', '10.1.0.11', 'domain_controllers')
    """
    short = "dc-01"
    rng = rng_for(seed, "host", short)
    return Host(index=fleet_size, short=short, computer_name=f"{short.upper()}.{DOMAIN}",
                group=DOMAIN_CONTROLLER_GROUP, collector="winlogbeat", mac=_mac(seed, short),
                skew=round(rng.uniform(-1.0, 1.0), 3), user="administrator",
                user_sid="S-1-5-21-3623811015-3361044348-30300820-500",
                leases=[Lease(0.0, DOMAIN_CONTROLLER_IP, False)], has_dhcp=False)
