"""Fleet telemetry simulator with ground truth (issue 4).

``simulate(out_dir, hosts=..., days=..., seed=...)`` writes Sysmon/PowerShell/
Security events as Winlogbeat 8 and NXLog JSON, Zeek logs from an egress
sensor, and ``ground_truth.json``.  Scenarios are YAML files in
``graphsiem/simulator/scenarios``; see ``docs/simulator.md``.
"""

from graphsiem.simulator.engine import DEFAULT_START, SimulationSummary, simulate
from graphsiem.simulator.scenario import (
    DEFAULT_SCENARIOS,
    OPTIONAL_SCENARIOS,
    Scenario,
    ScenarioError,
    bundled_scenarios,
    load_scenario,
    parse_scenario,
)

__all__ = [
    "DEFAULT_SCENARIOS",
    "DEFAULT_START",
    "OPTIONAL_SCENARIOS",
    "Scenario",
    "ScenarioError",
    "SimulationSummary",
    "bundled_scenarios",
    "load_scenario",
    "parse_scenario",
    "simulate",
]
