"""Per-run state and the emission helpers actions share (processes, DNS, connections).

A *run* is one execution of an activity's steps on one host at one time.  The
:class:`RunContext` carries the run's clock, random generator, the processes
it created, and writes through the :class:`~graphsiem.simulator.sink.Sink`.
Endpoint events carry the host's skewed clock; Zeek records the sensor's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache

from graphsiem.simulator import winevents
from graphsiem.simulator.catalog import STANDING, Binary, binary_for, domain_ip
from graphsiem.simulator.fleet import NETBIOS_DOMAIN, Host
from graphsiem.simulator.randomness import derive_seed, rng_for, zeek_id
from graphsiem.simulator.sink import Sink
from graphsiem.simulator.truth import TruthRecorder

RESOLVER_IP = "10.1.0.53"
SYSTEM_USER = "NT AUTHORITY\\SYSTEM"


@dataclass(slots=True)
class Proc:
    """A process instance on one host."""

    image: str
    command_line: str
    guid: str
    pid: int
    user: str
    integrity: str
    current_directory: str
    binary: Binary

    @property
    def account(self) -> tuple[str, str, str]:
        return account_of(self.user)


def account_of(user: str) -> tuple[str, str, str]:
    """``(domain, name, sid)`` of a ``DOMAIN\\name`` account, its SID stable across runs."""
    domain, _, name = user.partition("\\")
    sid = "S-1-5-18" if user == SYSTEM_USER else f"S-1-5-21-3623811015-3361044348-30300820-{derive_seed(0, user) % 90000 + 10000}"
    return domain, name, sid


def process_guid(host: Host, ts: float) -> str:
    """A Sysmon-style GUID: machine part, creation-time part, per-host sequence."""
    counter = host.next_count("process-guid")
    seconds = int(ts)
    return "{" + f"{_machine_part(host.short)}-{(seconds >> 16) & 0xFFFF:04x}-{seconds & 0xFFFF:04x}-{counter & 0xFFFF:04x}-{counter:012x}" + "}"


@lru_cache(maxsize=65536)
def _machine_part(short: str) -> str:
    return f"{derive_seed(0, 'machine', short) & 0xFFFFFFFF:08x}"


def standing_process(seed: int, host: Host, name: str, day: int) -> Proc:
    """A long-running parent (explorer, services, lsass...) of ``host`` on ``day``."""
    return _standing(seed, host.short, host.user, name, day)


@lru_cache(maxsize=8192)
def _standing(seed: int, short: str, user: str, name: str, day: int) -> Proc:
    spec = STANDING[name]
    # explorer and userinit restart with each daily logon; services keep running
    epoch = day if not spec.is_system else 0
    rng = rng_for(seed, "standing", short, name, epoch)
    machine = _machine_part(short)
    guid = "{" + f"{machine}-{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}-{rng.getrandbits(48):012x}" + "}"
    account = SYSTEM_USER if spec.is_system else f"{NETBIOS_DOMAIN}\\{user}"
    return Proc(spec.image, spec.command_line, guid, rng.randrange(500, 9000, 4), account,
                "System" if spec.is_system else "Medium", "C:\\Windows\\system32\\",
                binary_for(spec.image))


def default_parent(host: Host, *, system: bool) -> str:
    """The standing process (:data:`~graphsiem.simulator.catalog.STANDING`) a step with no process
    of its run acts as on ``host``.

    A SYSTEM process is started by services.exe.  A user's is the logged-on user's explorer.exe
    on a workstation; a server has no interactive logon in the simulated roles, so a user's
    process there is started by the Task Scheduler service (as a task run as that account is).
    """
    if system:
        return "services"
    return "schedule" if host.group == "servers" else "explorer"


_EVENT_WRITERS = {winevents.SECURITY.name: "lsass", winevents.SERVICE_CONTROL_MANAGER.name: "services"}
"""Provider -> the standing process that writes its events (the event's execution pid): the
Security log is written by LSASS, the Service Control Manager's events by services.exe."""


@dataclass(slots=True)
class RunContext:
    """One run of an activity on a target host (and maybe a source host)."""

    seed: int
    day: int
    ts: float
    rng: random.Random
    sink: Sink
    target: Host
    source: Host | None
    truth: TruthRecorder | None
    variables: dict[str, str]
    density: float
    processes: dict[int, list[Proc]] = field(default_factory=dict)
    domain_controller: Host | None = None
    """The DC that validates domain accounts (:func:`~graphsiem.simulator.fleet.domain_controller`)."""
    fleet: tuple[Host, ...] = ()
    """The member hosts, in index order (a spray picks its accounts among their users)."""

    # -- processes ---------------------------------------------------------
    def current(self, host: Host, *, system: bool = False) -> Proc:
        """The last process this run created on ``host``, else the standing process that fits
        the host's role (:func:`default_parent`)."""
        stack = self.processes.get(host.index)
        if stack:
            return stack[-1]
        return standing_process(self.seed, host, default_parent(host, system=system), self.day)

    def push(self, host: Host, proc: Proc) -> None:
        self.processes.setdefault(host.index, []).append(proc)

    def mark(self, host: Host, kind: str, value: str, step) -> None:
        """Record ``host`` (and an indicator) into the ground truth of the scenario."""
        if self.truth is not None:
            self.truth.observe(host.short, self.ts, kind if step.is_indicator else None, value)

    # -- endpoint and network emission -------------------------------------
    def endpoint(self, host: Host, event: winevents.WinEvent) -> None:
        if event.process_id is None:
            writer = _EVENT_WRITERS.get(event.provider.name)
            if writer is not None:
                event.process_id = standing_process(self.seed, host, writer, self.day).pid
        self.sink.endpoint(host, event)

    def resolve(self, host: Host, proc: Proc, domain: str) -> str:
        """DNS as both sides see it: Sysmon 22 on the host, Zeek dns + conn at the sensor."""
        ip = domain_ip(domain)
        self.endpoint(host, winevents.dns_query(self.ts + host.skew, proc, name=domain, answers=[ip]))
        client = host.ip_at(self.ts)
        port = self.rng.randrange(49152, 65535)
        uid = zeek_id(self.rng, "C")
        rtt = self.rng.uniform(0.0005, 0.03)
        self.sink.network("conn", self.ts, {
            "ts": self.ts, "uid": uid, "id.orig_h": client, "id.orig_p": port,
            "id.resp_h": RESOLVER_IP, "id.resp_p": 53, "proto": "udp", "service": "dns",
            "duration": rtt, "orig_bytes": 30 + len(domain), "resp_bytes": 46 + len(domain),
            "conn_state": "SF", "local_orig": True, "local_resp": True, "missed_bytes": 0,
            "history": "Dd", "orig_pkts": 1, "orig_ip_bytes": 58 + len(domain), "resp_pkts": 1,
            "resp_ip_bytes": 74 + len(domain), "tunnel_parents": [],
        })
        self.sink.network("dns", self.ts, {
            "ts": self.ts, "uid": uid, "id.orig_h": client, "id.orig_p": port,
            "id.resp_h": RESOLVER_IP, "id.resp_p": 53, "proto": "udp",
            "trans_id": self.rng.randrange(1, 65535), "rtt": rtt, "query": domain, "qclass": 1,
            "qclass_name": "C_INTERNET", "qtype": 1, "qtype_name": "A", "rcode": 0,
            "rcode_name": "NOERROR", "AA": False, "TC": False, "RD": True, "RA": True, "Z": 0,
            "answers": [ip], "TTLs": [float(self.rng.choice((60, 300, 3600)))], "rejected": False,
        })
        self.ts += rtt + 0.001
        return ip

    def connect(self, host: Host, proc: Proc, *, ip: str, port: int, protocol: str = "tcp",
                hostname: str = "", bytes_out: int = 800, bytes_in: int = 4000,
                service: str | None = None) -> tuple[str, str, int]:
        """Sysmon 3 on the host and a Zeek conn record; returns ``(uid, client ip, client port)``."""
        client = host.ip_at(self.ts)
        client_port = self.rng.randrange(49152, 65535)
        self.endpoint(host, winevents.network_connect(
            self.ts + host.skew, proc, protocol=protocol, source_ip=client, source_port=client_port,
            destination_ip=ip, destination_port=port, destination_hostname=hostname))
        uid = zeek_id(self.rng, "C")
        duration = self.rng.uniform(0.05, 4.0)
        packets_out, packets_in = max(1, bytes_out // 500 + 3), max(1, bytes_in // 1400 + 2)
        self.sink.network("conn", self.ts, {
            "ts": self.ts, "uid": uid, "id.orig_h": client, "id.orig_p": client_port,
            "id.resp_h": ip, "id.resp_p": port, "proto": protocol,
            "service": service or {443: "ssl", 80: "http", 445: "smb"}.get(port),
            "duration": duration, "orig_bytes": bytes_out, "resp_bytes": bytes_in,
            "conn_state": "SF", "local_orig": True, "local_resp": ip.startswith("10."),
            "missed_bytes": 0, "history": "ShADadFf", "orig_pkts": packets_out,
            "orig_ip_bytes": bytes_out + 40 * packets_out, "resp_pkts": packets_in,
            "resp_ip_bytes": bytes_in + 40 * packets_in, "tunnel_parents": [],
        })
        return uid, client, client_port
