"""The simulation loop: days x hosts x scheduled runs, streamed to disk.

Order is fixed (day, then host index, then scenario and activity order, then
run time), every random draw is scoped (see :mod:`.randomness`), and output
keys are sorted, so one seed gives byte-identical files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

from graphsiem.model import epoch_to_iso
from graphsiem.simulator.actions import HANDLERS
from graphsiem.simulator.context import RunContext
from graphsiem.simulator.credential_actions import domain_controller_day
from graphsiem.simulator.fleet import Host, build_fleet, domain_controller
from graphsiem.simulator.randomness import rng_for, zeek_id
from graphsiem.simulator.scenario import DEFAULT_SCENARIOS, HostSelection, Scenario, load_scenario
from graphsiem.simulator.schedule import DAY, run_times
from graphsiem.simulator.sink import Sink, day_label
from graphsiem.simulator.truth import TruthRecorder

DEFAULT_START = "2026-11-01T00:00:00Z"
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(slots=True)
class SimulationSummary:
    """What a run wrote.  ``events`` counts records per ``source:event`` kind."""

    out_dir: Path
    hosts: int
    days: int
    seed: int
    start: str
    end: str
    events: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_events(self) -> int:
        return sum(self.events.values())


def parse_start(text: str) -> float:
    """Epoch seconds of an ISO-8601 start (``Z`` or offset; zone-less means UTC)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def select_hosts(selection: HostSelection, fleet: list[Host], rng, exclude: set[int] = frozenset()) -> list[Host]:
    """The hosts a selection picks (deterministic for ``rng``), in fleet order."""
    eligible = [h for h in fleet if h.group in selection.groups and h.index not in exclude]
    wanted = selection.count if selection.count is not None else round((selection.fraction or 1.0) * len(eligible))
    wanted = max(selection.minimum, wanted)
    if selection.maximum is not None:
        wanted = min(wanted, selection.maximum)
    chosen = rng.sample(eligible, min(wanted, len(eligible)))
    return sorted(chosen, key=lambda h: h.index)


def simulate(out_dir: str | Path, *, hosts: int, days: int, seed: int, start: str = DEFAULT_START,
             scenarios: list[str] | None = None, zeek_tsv: bool = False, progress: bool = False,
             density: float = 1.0, nxlog_timezone: str = "UTC",
             extra_scenarios: list[str] | None = None) -> SimulationSummary:
    """Write a fleet's telemetry and its ``ground_truth.json`` under ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Created if needed; previous simulator output in it is replaced.
    hosts, days, seed : int
        Fleet size (>= 5), days simulated (the last one is the detection window), seed.
    start : str
        ISO-8601 midnight of the first day (default a fixed date, for reproducibility).
    scenarios : list of str, optional
        Bundled names or YAML paths; default :data:`DEFAULT_SCENARIOS`.
    extra_scenarios : list of str, optional
        Run after ``scenarios`` (e.g. the optional ``password_spray`` beside the defaults).
    zeek_tsv : bool
        Zeek logs as TSV with headers instead of JSON.
    progress : bool
        Show a tqdm bar over host-days.
    density : float
        Scales background volume (about 300 events per host-day at 1.0).
    nxlog_timezone : str
        Zone of the NXLog hosts' local ``EventTime`` (a parser must be told it).

    Examples
    --------
    >>> summary = simulate("/tmp/fleet", hosts=30, days=1, seed=7)  # doctest: +SKIP
    >>> summary.total_events  # doctest: +SKIP
    9120
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    began = time.perf_counter()
    out = Path(out_dir)
    _clear_previous(out)
    origin = parse_start(start)
    loaded = [load_scenario(name) for name in [*(scenarios or DEFAULT_SCENARIOS), *(extra_scenarios or ())]]
    fleet = build_fleet(hosts, days, origin, seed)
    # after the members (its index follows theirs): no member's address, SID or draw moves
    dc = domain_controller(len(fleet), seed)
    members = tuple(fleet)
    plans, recorders = _plan(loaded, fleet, seed)
    sink = Sink(out, start=origin, zeek_tsv=zeek_tsv, nxlog_timezone=nxlog_timezone)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=days * len(fleet), unit="host-day", desc="simulate")
    try:
        for day in range(days):
            day_start = origin + day * DAY
            label = day_label(day_start)
            domain_controller_day(seed, day, day_start, dc, sink)
            for host in fleet:
                _host_day(host, day, day_start, days, seed, density, plans.get(host.index, []), recorders, sink,
                          dc, members)
                sink.flush_endpoint(label)
                if bar is not None:
                    bar.update(1)
            # the DC's events of the day (every member's runs wrote some), in time order with their record ids
            sink.flush_endpoint(label, deferred=True)
            sink.flush_network(until=day_start + DAY)
    finally:
        if bar is not None:
            bar.close()
    end = origin + days * DAY
    sink.close(end)
    _write_truth(out, recorders, fleet, dc, seed=seed, origin=origin, end=end, days=days)
    return SimulationSummary(out, len(fleet), days, seed, epoch_to_iso(origin), epoch_to_iso(end),
                             dict(sorted(sink.counts.items())), time.perf_counter() - began)


def _clear_previous(out: Path) -> None:
    for pattern in ("endpoint/*.ndjson", "network/*.log", ".spill/*.spill", "ground_truth.json"):
        for path in out.glob(pattern):
            path.unlink()


def _plan(scenarios: list[Scenario], fleet: list[Host], seed: int):
    """Per host index: the (scenario, activity index, source host) runs it takes part in."""
    plans: dict[int, list] = {}
    recorders: dict[str, TruthRecorder | None] = {}
    for scenario in scenarios:
        if scenario.name in recorders:
            raise ValueError(f"scenario {scenario.name!r} given twice")
        recorders[scenario.name] = (
            TruthRecorder(scenario.name, scenario.label, scenario.kind, scenario.pivot, scenario.indicator_types)
            if scenario.is_truth else None)
        targets = select_hosts(scenario.hosts, fleet, rng_for(seed, scenario.name, "hosts"))
        source = None
        if scenario.source is not None:
            picked = select_hosts(scenario.source, fleet, rng_for(seed, scenario.name, "source"),
                                  exclude={h.index for h in targets})
            source = picked[0] if picked else None
        for host in targets:
            for number, activity in enumerate(scenario.activities):
                if activity.groups is None or host.group in activity.groups:
                    plans.setdefault(host.index, []).append((scenario, number, source))
    return plans, recorders


def _host_day(host: Host, day: int, day_start: float, days: int, seed: int, density: float,
              plan: list, recorders: dict, sink: Sink, dc: Host, members: tuple[Host, ...]) -> None:
    if host.has_dhcp:
        _dhcp(host, day, seed, sink)
    for scenario, number, source in plan:
        activity = scenario.activities[number]
        scope = (scenario.name, activity.name)
        times = run_times(activity.schedule, seed=seed, scope=scope, host=host.short, day=day,
                          day_start=day_start, days=days, density=density)
        for run, ts in enumerate(times):
            ctx = RunContext(
                seed=seed, day=day, ts=ts, rng=rng_for(seed, *scope, host.short, day, run), sink=sink,
                target=host, source=source, truth=recorders[scenario.name],
                variables=_variables(host, source, ts, run, rng_for(seed, *scope, host.short, day, run, "random")),
                density=density, domain_controller=dc, fleet=members)
            for step in activity.steps:
                ctx.ts += ctx.rng.uniform(*step.delay)
                on = source if step.on_source and source is not None else host
                HANDLERS[step.action](ctx, step, on)


def _variables(host: Host, source: Host | None, ts: float, run: int, rng) -> dict[str, str]:
    variables = {
        # a name an attacker tool makes up per run (a service, a dropped file): its own generator,
        # so a scenario that uses it shifts no other draw
        "random": "".join(rng.choice(_LETTERS) for _ in range(8)),
        "user": host.user, "domain_user": host.domain_user, "host": host.upper,
        "host_fqdn": host.fqdn, "temp": f"C:\\Users\\{host.user}\\AppData\\Local\\Temp",
        "target": host.upper, "target_fqdn": host.fqdn, "encoded": "", "n": str(1000 + run),
        "date": datetime.fromtimestamp(ts, tz=UTC).strftime("%Y%m%d"),
        "source_host": "", "source_ip": "",
    }
    if source is not None:
        variables["source_host"] = source.upper
        variables["source_ip"] = source.ip_at(ts)
    return variables


def _dhcp(host: Host, day: int, seed: int, sink: Sink) -> None:
    """The day's lease renewal (DHCPREQUEST/ACK) as the sensor logs it."""
    lease = host.leases[day]
    rng = rng_for(seed, "dhcp", host.short, day)
    previous = host.leases[day - 1].ip if day > 0 else lease.ip
    sink.network("dhcp", lease.start, {
        "ts": lease.start, "uids": [zeek_id(rng, "C")],
        "client_addr": previous if not lease.is_new_address else None,
        "server_addr": "10.1.0.10", "mac": host.mac, "host_name": host.upper,
        "client_fqdn": host.fqdn, "domain": "corp.example",
        "requested_addr": lease.ip if not lease.is_new_address else previous,
        "assigned_addr": lease.ip, "lease_time": 86400.0,
        "msg_types": ["DISCOVER", "OFFER", "REQUEST", "ACK"] if lease.is_new_address else ["REQUEST", "ACK"],
        "duration": round(rng.uniform(0.001, 0.02), 6) if not lease.is_new_address else round(rng.uniform(0.5, 2.0), 6),
    })


def _write_truth(out: Path, recorders: dict, fleet: list[Host], dc: Host, *, seed: int, origin: float,
                 end: float, days: int) -> None:
    document = {
        "generator": "graphsiem.simulator",
        "seed": seed,
        "hosts": len(fleet),
        "days": days,
        "window": [epoch_to_iso(origin), epoch_to_iso(end)],
        "detection_window": [epoch_to_iso(end - DAY), epoch_to_iso(end)],
        "scenarios": [r.to_dict() for r in recorders.values() if r is not None],
        "fleet": [{"host": h.short, "computer_name": h.computer_name, "group": h.group,
                   "collector": h.collector} for h in fleet],
        # not a member (it runs no scenario): listed apart, so "fleet" stays the hosts asked for
        "domain_controllers": [{"host": dc.short, "computer_name": dc.computer_name, "group": dc.group,
                                "collector": dc.collector, "ip": dc.ip_at(origin)}],
    }
    (out / "ground_truth.json").write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
