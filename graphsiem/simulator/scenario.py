"""Scenario definitions: YAML files interpreted by the engine.

A scenario is data: which hosts, when (schedules), and what each run does
(steps from the action vocabulary in :mod:`.vocabulary`).  Loading validates
everything up front, and an error names the scenario, the place in the file
and the reason (``scenario 'seed_campaign': activities[0].steps[2]: unknown
action 'procss' (known: ...)``), so a data scientist fixes the YAML, not the
engine.  See ``docs/simulator.md`` for the vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from graphsiem.simulator.catalog import STANDING
from graphsiem.simulator.fleet import GROUPS
from graphsiem.simulator.vocabulary import (
    ACTIONS,
    INDICATOR_TYPES,
    KINDS,
    LOGON_FAILURES,
    LOGON_PACKAGES,
    SCHEDULES,
    STEP_KEYS,
    TASK_TRIGGERS,
    TEMPLATE_VARIABLES,
)

DEFAULT_SCENARIOS = (
    "background", "os_updates", "inventory_script", "driver_updater", "vendor_driver", "software_rollout",
    "admin_tools", "seed_campaign", "beaconing", "lateral_movement", "byovd",
    "failed_logons", "stale_service_password",
)
OPTIONAL_SCENARIOS = ("password_spray", "password_spray_servers", "vendor_heartbeat", "vendor_heartbeat_rollout")
"""Bundled but not run by default (``graphsiem simulate --add-scenario NAME``): the sprays' likely
compromises (risk 95) would rank above the seed campaign and move every default figure of the demo;
the vendor heartbeats (benign agents as regular as a beacon) measure whether contact regularity
could be scored, and would add about 137,000 events to the demo's 197,986."""
_TEMPLATE = re.compile(r"\{\{(\w+)\}\}")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class HostSelection:
    groups: tuple[str, ...]
    fraction: float | None
    count: int | None
    minimum: int
    maximum: int | None


@dataclass(frozen=True, slots=True)
class Schedule:
    every: str
    days: Any
    at: float | None
    between: tuple[float, float]
    spread: float
    jitter_seconds: float
    probability: float
    per_day: float
    interval: float
    jitter: float


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    params: dict[str, Any]
    on_source: bool
    delay: tuple[float, float]
    is_indicator: bool


@dataclass(frozen=True, slots=True)
class Activity:
    name: str
    groups: tuple[str, ...] | None
    schedule: Schedule
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario.  ``kind`` is ``attack``, ``benign`` or ``background``."""

    name: str
    label: str
    kind: str
    hosts: HostSelection
    source: HostSelection | None
    activities: tuple[Activity, ...]
    pivot: dict[str, str] | None
    indicator_types: tuple[str, ...]

    @property
    def is_truth(self) -> bool:
        """Whether the scenario is listed in ``ground_truth.json`` (background is not)."""
        return self.kind != "background"


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario by bundled name (``"seed_campaign"``) or by path to a YAML file."""
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        if not path.is_file():
            raise ScenarioError(f"scenario file {str(path)!r} does not exist")
        text = path.read_text(encoding="utf-8")
        label = path.stem
    else:
        bundled = resources.files("graphsiem.simulator").joinpath("scenarios", f"{name_or_path}.yaml")
        if not bundled.is_file():
            raise ScenarioError(
                f"unknown scenario {str(name_or_path)!r} (bundled: {', '.join(bundled_scenarios())})"
            )
        text = bundled.read_text(encoding="utf-8")
        label = str(name_or_path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScenarioError(f"scenario {label!r}: not valid YAML: {error}") from None
    return parse_scenario(document, label)


def bundled_scenarios() -> list[str]:
    """Names of the scenario files shipped in ``graphsiem/simulator/scenarios``."""
    folder = resources.files("graphsiem.simulator").joinpath("scenarios")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def parse_scenario(document: Any, label: str = "<memory>") -> Scenario:
    """Validate a decoded YAML document into a :class:`Scenario`."""
    if not isinstance(document, dict):
        raise ScenarioError(f"scenario {label!r}: the document must be a mapping")
    name = document.get("name", label)
    fail = _failer(str(name))
    _check_keys(document, {"name", "label", "kind", "hosts", "activities"},
                {"description", "source", "pivot", "indicator_types"}, "", fail)
    kind = document["kind"]
    if kind not in KINDS:
        fail("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    activities = document["activities"]
    if not isinstance(activities, list) or not activities:
        fail("activities", "must be a non-empty list")
    source = _selection(document["source"], "source", fail) if "source" in document else None
    parsed = tuple(_activity(a, f"activities[{i}]", fail, has_source=source is not None)
                   for i, a in enumerate(activities))
    types = tuple(document.get("indicator_types", INDICATOR_TYPES))
    for t in types:
        if t not in INDICATOR_TYPES:
            fail("indicator_types", f"unknown type {t!r} (known: {', '.join(INDICATOR_TYPES)})")
    pivot = document.get("pivot")
    if pivot is not None:
        if not isinstance(pivot, dict) or pivot.get("type") not in INDICATOR_TYPES:
            fail("pivot", f"must be a mapping with a type among {', '.join(INDICATOR_TYPES)}")
        pivot = {str(k): str(v) for k, v in pivot.items()}
    return Scenario(str(name), str(document["label"]), kind,
                    _selection(document["hosts"], "hosts", fail), source, parsed, pivot, types)


def _failer(name: str):
    def fail(where: str, reason: str):
        place = f"{where}: " if where else ""
        raise ScenarioError(f"scenario {name!r}: {place}{reason}")

    return fail


def _check_keys(mapping: Any, required: set[str], optional: set[str], where: str, fail) -> None:
    if not isinstance(mapping, dict):
        fail(where, "must be a mapping")
    missing = sorted(required - set(mapping))
    if missing:
        fail(where, f"missing field {missing[0]!r}")
    unknown = sorted(set(mapping) - required - optional)
    if unknown:
        fail(where, f"unknown field {unknown[0]!r} (allowed: {', '.join(sorted(required | optional))})")


def _groups(value: Any, where: str, fail) -> tuple[str, ...]:
    groups = (value,) if isinstance(value, str) else tuple(value)
    for group in groups:
        if group != "any" and group not in GROUPS:
            fail(where, f"unknown host group {group!r} (known: any, {', '.join(GROUPS)})")
    return GROUPS if "any" in groups else groups


def _selection(value: Any, where: str, fail) -> HostSelection:
    _check_keys(value, set(), {"group", "fraction", "count", "min", "max"}, where, fail)
    fraction = value.get("fraction")
    if fraction is not None and not 0 < float(fraction) <= 1:
        fail(f"{where}.fraction", f"must be in (0, 1], got {fraction!r}")
    if fraction is not None and "count" in value:
        fail(where, "give either fraction or count, not both")
    return HostSelection(_groups(value.get("group", "any"), f"{where}.group", fail),
                         None if fraction is None else float(fraction),
                         None if "count" not in value else int(value["count"]),
                         int(value.get("min", 1)),
                         None if "max" not in value else int(value["max"]))


def _clock(value: Any, where: str, fail) -> float:
    match = _TIME.match(str(value))
    if not match or int(match.group(1)) > 24 or int(match.group(2)) > 59:
        fail(where, f"expected HH:MM[:SS], got {value!r}")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


def _schedule(value: Any, where: str, fail) -> Schedule:
    if not isinstance(value, dict) or value.get("every") not in SCHEDULES:
        fail(f"{where}.every", f"must be one of {', '.join(SCHEDULES)}")
    required, optional = SCHEDULES[value["every"]]
    _check_keys(value, set(required) | {"every"}, set(optional), where, fail)
    between = value.get("between", ["00:30", "23:59"])
    if not isinstance(between, list) or len(between) != 2:
        fail(f"{where}.between", "must be a list [HH:MM, HH:MM]")
    window = (_clock(between[0], f"{where}.between", fail), _clock(between[1], f"{where}.between", fail))
    if window[1] <= window[0]:
        fail(f"{where}.between", "the end must be after the start")
    days = value.get("day" if value["every"] == "once" else "days", "last" if value["every"] == "once" else "all")
    if not (isinstance(days, int | list) or days in {"all", "first", "last"}
            or (isinstance(days, str) and re.fullmatch(r"last:\d+", days))):
        fail(f"{where}.days", f"expected all, first, last, last:N, an index or a list, got {days!r}")
    probability = float(value.get("probability", 1.0))
    if not 0 < probability <= 1:
        fail(f"{where}.probability", f"must be in (0, 1], got {probability!r}")
    return Schedule(
        every=value["every"], days=days,
        at=_clock(value["at"], f"{where}.at", fail) if "at" in value else None,
        between=window, spread=float(value.get("spread_minutes", 0)) * 60,
        jitter_seconds=float(value.get("jitter_minutes", 0)) * 60, probability=probability,
        per_day=float(value.get("per_day", 0)), interval=float(value.get("interval_minutes", 0)) * 60,
        jitter=float(value.get("jitter", 0.0)),
    )


def _activity(value: Any, where: str, fail, *, has_source: bool) -> Activity:
    _check_keys(value, {"schedule", "steps"}, {"name", "groups"}, where, fail)
    steps = value["steps"]
    if not isinstance(steps, list) or not steps:
        fail(f"{where}.steps", "must be a non-empty list")
    groups = _groups(value["groups"], f"{where}.groups", fail) if "groups" in value else None
    parsed = tuple(_step(s, f"{where}.steps[{i}]", fail, has_source) for i, s in enumerate(steps))
    return Activity(str(value.get("name", where)), groups, _schedule(value["schedule"], f"{where}.schedule", fail), parsed)


def _step(value: Any, where: str, fail, has_source: bool) -> Step:
    if not isinstance(value, dict) or "action" not in value:
        fail(where, "a step must be a mapping with an 'action'")
    action = value["action"]
    if action not in ACTIONS:
        fail(where, f"unknown action {action!r} (known: {', '.join(sorted(ACTIONS))})")
    required, optional = ACTIONS[action]
    _check_keys(value, set(required) | {"action"}, set(optional) | STEP_KEYS, f"{where} ({action})", fail)
    host = value.get("host", "target")
    if host not in {"target", "source"}:
        fail(f"{where}.host", f"must be target or source, got {host!r}")
    if host == "source" and not has_source:
        fail(f"{where}.host", "host: source needs a 'source' host selection in the scenario")
    delay = value.get("delay", [0.2, 3.0])
    delay = (float(delay), float(delay)) if isinstance(delay, int | float) else (float(delay[0]), float(delay[1]))
    params = {k: v for k, v in value.items() if k not in STEP_KEYS}
    parent = params.get("parent")
    if parent is not None and parent != "previous" and parent not in STANDING and "\\" not in str(parent):
        fail(f"{where}.parent", f"expected previous, a standing process ({', '.join(STANDING)}) "
                                f"or an image path, got {parent!r}")
    unknown_triggers = sorted(set(params.get("triggers", [])) - TASK_TRIGGERS)
    if unknown_triggers:
        fail(f"{where}.triggers", f"unknown trigger {unknown_triggers[0]!r} (known: {', '.join(sorted(TASK_TRIGGERS))})")
    if params.get("package") not in (None, *LOGON_PACKAGES):
        fail(f"{where}.package", f"expected one of {', '.join(sorted(LOGON_PACKAGES))}, got {params['package']!r}")
    if params.get("failure") not in (None, *LOGON_FAILURES):
        fail(f"{where}.failure", f"expected one of {', '.join(sorted(LOGON_FAILURES))}, got {params['failure']!r}")
    if params.get("from") not in (None, "source"):
        fail(f"{where}.from", f"only 'source' is known, got {params['from']!r}")
    if params.get("from") == "source" and not has_source:
        fail(f"{where}.from", "from: source needs a 'source' host selection in the scenario")
    for key, param in params.items():
        for text in _strings(param):
            for variable in _TEMPLATE.findall(text):
                if variable not in TEMPLATE_VARIABLES:
                    fail(f"{where}.{key}", f"unknown template variable {{{{{variable}}}}} "
                                           f"(known: {', '.join(sorted(TEMPLATE_VARIABLES))})")
    return Step(action, params, host == "source", delay, bool(value.get("indicator", True)))


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def render(text: str, variables: dict[str, str]) -> str:
    """Substitute ``{{name}}`` placeholders (validated at load time)."""
    if "{{" not in text:
        return text
    return _TEMPLATE.sub(lambda m: variables[m.group(1)], text)
