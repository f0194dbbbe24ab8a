"""Scenario actions that check passwords: a failed log-on and a password spray.

Both write where Windows does: the member machine that refused a log-on writes 4625, the domain
controller that checked the password by NTLM writes 4776 (:mod:`.credential_events`).  A log-on that
succeeds after the failures writes 4776 ``0x0`` on the DC and 4624 on the machine, so the detection
sees the user recover (a mistype is not a spray).  Every draw comes from the run's generator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphsiem.simulator import winevents
from graphsiem.simulator.context import RunContext, account_of, standing_process
from graphsiem.simulator.credential_events import (
    credential_validation,
    logon_failed,
    service_ticket,
    special_privileges,
)
from graphsiem.simulator.fleet import DOMAIN, NETBIOS_DOMAIN, Host
from graphsiem.simulator.randomness import rng_for, windows_guid
from graphsiem.simulator.scenario import Step, render
from graphsiem.simulator.sensor_credentials import record_kerberos_try, record_ntlm_try
from graphsiem.simulator.sink import Sink

_WINLOGON = ("0x2f0", "C:\\Windows\\System32\\winlogon.exe")
_SERVICES = ("0x2b8", "C:\\Windows\\System32\\services.exe")
_NETWORK = ("0x0", "-")


def _pair(value: Any, default: tuple[float, float]) -> tuple[float, float]:
    if value is None:
        return default
    if isinstance(value, list):
        return float(value[0]), float(value[1])
    return float(value), float(value)


def _account(ctx: RunContext, host: Host, value: str | None) -> tuple[str, str]:
    """``(DOMAIN, name)`` of the step's ``user`` (default the host's user)."""
    text = host.domain_user if value in (None, "user") else render(str(value), ctx.variables)
    domain, _, name = text.rpartition("\\")
    return (domain or NETBIOS_DOMAIN).upper(), name


def _caller(logon_type: int) -> tuple[str, str]:
    """The process that asked for the log-on: services.exe for a service, winlogon for a user."""
    return _NETWORK if logon_type == 3 else _SERVICES if logon_type == 5 else _WINLOGON


def _validate(ctx: RunContext, account: str, workstation: str, failure: str | None) -> None:
    """4776 on the domain controller, a few milliseconds before the member's own event."""
    dc = ctx.domain_controller
    if dc is None:
        return
    ctx.endpoint(dc, credential_validation(ctx.ts + dc.skew - ctx.rng.uniform(0.002, 0.03), account=account,
                                           workstation=workstation, failure=failure))
    if ctx.truth is not None:
        ctx.truth.observe(dc.short, ctx.ts, None, None)


def validated_logon(ctx: RunContext, host: Host, account: str) -> None:
    """4776 ``0x0`` on the DC for a user's log-on on ``host`` (``validated: true`` on a ``logon`` step).

    If the DC checks a mistyped password by NTLM it checks the right one too: the users' daily log-ons
    are what the DC knows their machines from, so a mistype from one is not a new source.  No draw from
    the run's generator (the log-on's other events keep their values).
    """
    dc = ctx.domain_controller
    if dc is not None:
        ctx.endpoint(dc, credential_validation(ctx.ts + dc.skew - 0.015, account=account.rpartition("\\")[2],
                                               workstation=host.upper, failure=None))


def _logged_on(ctx: RunContext, host: Host, target: tuple[str, str], logon_type: int, *, client: Host,
               ntlm: bool, admin: bool = False) -> None:
    """4624 on ``host`` of ``target`` logging on from ``client`` (itself for a local log-on); with ``admin``
    (the account administers ``host``) the 4672 of that session too, as Windows writes it with the 4624."""
    remote = client is not host
    account = (target[0], target[1], account_of(f"{target[0]}\\{target[1]}")[2])
    session = f"0x{ctx.rng.getrandbits(24):x}"
    ctx.endpoint(host, winevents.logon(
        ctx.ts + host.skew, logon_type=logon_type, target=account, target_logon_id=session,
        workstation=client.upper,
        ip=client.ip_at(ctx.ts) if remote else "127.0.0.1", port=ctx.rng.randrange(49152, 65535) if remote else 0,
        logon_guid=windows_guid(ctx.rng), process=_NETWORK if remote else _caller(logon_type), ntlm=ntlm))
    if admin:  # no draw: the run's other events keep their values
        ctx.endpoint(host, special_privileges(ctx.ts + host.skew, account=account, logon_id=session))


def do_failed_logon(ctx: RunContext, step: Step, host: Host) -> None:
    """A log-on the step's host refuses ``attempts`` times (4625 there, 4776 on the DC), then maybe succeeds.

    ``failure`` says why (default ``wrong_password``), ``logon_type`` how (default 2, interactive; 5 is a
    service starting under an account).  With probability ``recovers`` the user gets it right
    ``recover_after`` seconds later (default 5-60): 4776 ``0x0`` on the DC and 4624 on the host.
    """
    target = _account(ctx, host, step.params.get("user"))
    failure = str(step.params.get("failure", "wrong_password"))
    logon_type = int(step.params.get("logon_type", 2))
    low, high = _pair(step.params.get("attempts"), (1.0, 1.0))
    attempts = ctx.rng.randint(int(low), int(high))
    recovers = ctx.rng.random() < float(step.params.get("recovers", 0.0))
    local_ip = "-" if logon_type == 5 else "127.0.0.1"
    for attempt in range(attempts):
        if attempt:
            ctx.ts += ctx.rng.uniform(3.0, 20.0)
        _validate(ctx, target[1], host.upper, failure)
        ctx.endpoint(host, logon_failed(ctx.ts + host.skew, failure=failure, logon_type=logon_type, target=target,
                                        workstation=host.upper, ip=local_ip, port=0, process=_caller(logon_type)))
        record_kerberos_try(ctx, host, target[1], refused=True)  # the sensor sees part of the fleet ask the KDC
    ctx.mark(host, "user", f"{target[0]}\\{target[1]}".lower(), step)
    if recovers:
        ctx.ts += ctx.rng.uniform(*_pair(step.params.get("recover_after"), (5.0, 60.0)))
        _validate(ctx, target[1], host.upper, None)
        record_kerberos_try(ctx, host, target[1], refused=False)
        _logged_on(ctx, host, target, logon_type, client=host, ntlm=False)


def do_password_spray(ctx: RunContext, step: Step, host: Host) -> None:
    """The step's host tries one password per round on ``accounts`` of the fleet's users against the DC.

    Each try is an NTLM log-on over SMB to the DC: 4776 (the claimed ``workstation``, default the
    sprayer's own name; ``victim``: each account's own machine, so that the 4776s read as its user
    mistyping at home) and 4625 type 3 (the sprayer's address); the sensor sees each try's NTLM
    (``ntlm.log``, :mod:`.sensor_credentials`).  ``rounds`` rounds (default 3)
    ``round_minutes`` apart (default 65: one round per hour, under a lock-out threshold), ``pace``
    seconds between tries (default 0.5-2.5).  In round ``found_in_round`` (default 2; 0: never) one
    account's password is right: 4776 ``0x0`` and a 4624 from the sprayer (the likely compromise); with
    ``admin: true`` that account administers the host it logged on to, whose 4672 gives the session its
    special privileges (same ``SubjectLogonId`` as the 4624's ``TargetLogonId``).
    The accounts are ground-truth ``user`` indicators; the DC and the sprayer its hosts.

    ``targets: servers`` spreads the tries over the fleet's member servers instead, round-robin (forty
    accounts over twenty servers: two on each per round, under every per-host count), each server checking
    the password itself: a 4625 type 3 from the sprayer's address there, a 4624 for the right one, and
    nothing on the DC or the sensor (local accounts, or a DC whose log is not collected: task CRED7).  The
    servers are the truth's hosts then.
    """
    targets = step.params.get("targets", "dc")
    if targets not in ("dc", "servers"):
        raise ValueError(f"password_spray: targets must be 'dc' or 'servers', not {targets!r}")
    if targets == "servers":
        _spray_servers(ctx, step, host)
        return
    dc = ctx.domain_controller
    if dc is None:
        raise ValueError("password_spray needs the fleet's domain controller")
    wanted = int(step.params.get("accounts", 40))
    names = sorted({h.user for h in ctx.fleet if h is not host})
    accounts = sorted(ctx.rng.sample(names, min(wanted, len(names))))
    rounds = int(step.params.get("rounds", 3))
    spacing = float(step.params.get("round_minutes", 65)) * 60.0
    pace = _pair(step.params.get("pace"), (0.5, 2.5))
    found_in = int(step.params.get("found_in_round", 2))
    found = ctx.rng.choice(accounts) if accounts else None
    forged = step.params.get("workstation") == "victim"
    admin = bool(step.params.get("admin", False))
    claim = render(str(step.params.get("workstation", "{{host}}")), ctx.variables)
    homes = {h.user: h.upper for h in ctx.fleet}
    start = ctx.ts
    for number in range(1, rounds + 1):
        ctx.ts = start + (number - 1) * spacing
        for name in accounts:
            if found_in and number > found_in and name == found:
                continue  # the sprayer has this one's password
            ctx.ts += ctx.rng.uniform(*pace)
            right = number == found_in and name == found
            written = homes.get(name, claim) if forged else claim
            _validate(ctx, name, written, None if right else "wrong_password")
            record_ntlm_try(ctx, host, dc, name, claimed=written, right=right)
            _network_try(ctx, dc, host, name, written, right, admin=admin)
            ctx.mark(dc, "user", f"{NETBIOS_DOMAIN}\\{name}".lower(), step)
    if ctx.truth is not None:
        ctx.truth.observe(host.short, start, None, None)


def _spray_servers(ctx: RunContext, step: Step, host: Host) -> None:
    """``password_spray`` with ``targets: servers`` (its docstring): each try on the next member server."""
    servers = sorted((h for h in ctx.fleet if h.group == "servers" and h is not host), key=lambda h: h.short)
    if not servers:
        raise ValueError("password_spray with targets: servers needs the fleet's member servers")
    wanted = int(step.params.get("accounts", 40))
    names = sorted({h.user for h in ctx.fleet if h is not host})
    accounts = sorted(ctx.rng.sample(names, min(wanted, len(names))))
    spacing = float(step.params.get("round_minutes", 65)) * 60.0
    pace = _pair(step.params.get("pace"), (0.5, 2.5))
    found_in = int(step.params.get("found_in_round", 2))
    found = ctx.rng.choice(accounts) if accounts else None
    claim = render(str(step.params.get("workstation", "{{host}}")), ctx.variables)
    admin = bool(step.params.get("admin", False))
    start = ctx.ts
    for number in range(1, int(step.params.get("rounds", 3)) + 1):
        ctx.ts = start + (number - 1) * spacing
        for index, name in enumerate(accounts):
            if found_in and number > found_in and name == found:
                continue  # the sprayer has this one's password
            ctx.ts += ctx.rng.uniform(*pace)
            server = servers[index % len(servers)]  # an account is tried on the same server every round
            _network_try(ctx, server, host, name, claim, number == found_in and name == found, admin=admin)
            ctx.mark(server, "user", f"{NETBIOS_DOMAIN}\\{name}".lower(), step)
    if ctx.truth is not None:
        ctx.truth.observe(host.short, start, None, None)


def _network_try(ctx: RunContext, validator: Host, sprayer: Host, name: str, workstation: str, right: bool, *,
                 admin: bool = False) -> None:
    """One NTLM log-on over SMB from ``sprayer`` that ``validator`` checked: a 4624 for the right password
    (and its 4672 when the account is an ``admin`` there), else a 4625 type 3 from the sprayer's address
    claiming ``workstation``."""
    if right:
        _logged_on(ctx, validator, (NETBIOS_DOMAIN, name), 3, client=sprayer, ntlm=True, admin=admin)
        return
    ctx.endpoint(validator, logon_failed(ctx.ts + validator.skew, failure="wrong_password", logon_type=3,
                                         target=(NETBIOS_DOMAIN, name), workstation=workstation,
                                         ip=sprayer.ip_at(ctx.ts), port=ctx.rng.randrange(49152, 65535),
                                         process=_NETWORK))


def domain_controller_day(seed: int, day: int, day_start: float, dc: Host, sink: Sink) -> None:
    """What the DC logs of itself as each day starts, before any account is checked: its machine account
    logs on (4624 of ``CORP\\DC-01$`` under ``S-1-5-18``: its NetBIOS domain, in its LSA's word) and its
    KDC issues that account a service ticket (4769: only a KDC logs one).  From these the ingest knows
    the host is the domain's controller and keys 4776's bare names as ``corp\\name``, the key 4625 and
    4624 give the same accounts."""
    rng = rng_for(seed, "domain_controller", day)
    machine = f"{dc.upper}$"
    lsass = standing_process(seed, dc, "lsass", day).pid
    ts = day_start + rng.uniform(1.0, 20.0) + dc.skew
    logon = winevents.logon(ts, logon_type=3, target=(NETBIOS_DOMAIN, machine, "S-1-5-18"),
                            target_logon_id=f"0x{rng.getrandbits(24):x}", workstation="-", ip="::1", port=0,
                            logon_guid=windows_guid(rng), process=_NETWORK)
    ticket = service_ticket(ts + 0.01, account=machine, realm=DOMAIN.upper(), service=machine,
                            service_sid="S-1-5-21-3623811015-3361044348-30300820-1000", logon_guid=windows_guid(rng))
    for event in (logon, ticket):
        event.process_id = lsass
        sink.endpoint(dc, event)


CREDENTIAL_HANDLERS: dict[str, Callable[[RunContext, Step, Host], None]] = {
    "failed_logon": do_failed_logon,
    "password_spray": do_password_spray,
}
