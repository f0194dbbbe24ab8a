"""Scenario YAML: bundled files load, and mistakes are named with their place and reason."""

from __future__ import annotations

import pytest
import yaml

from graphsiem.simulator import (
    DEFAULT_SCENARIOS,
    OPTIONAL_SCENARIOS,
    ScenarioError,
    bundled_scenarios,
    load_scenario,
    parse_scenario,
)
from graphsiem.simulator.actions import HANDLERS
from graphsiem.simulator.vocabulary import ACTIONS

VALID = """
name: demo
label: Demo
kind: attack
hosts: {group: workstations, count: 3}
activities:
  - schedule: {every: once, day: last, at: "10:00"}
    steps:
      - {action: dns, domain: evil.example}
"""


def _document(**changes):
    document = yaml.safe_load(VALID)
    document.update(changes)
    return document


def _step(**step):
    return _document(activities=[{"schedule": {"every": "daily"}, "steps": [step]}])


def test_every_bundled_scenario_loads():
    assert set(DEFAULT_SCENARIOS) | set(OPTIONAL_SCENARIOS) == set(bundled_scenarios())
    assert not set(DEFAULT_SCENARIOS) & set(OPTIONAL_SCENARIOS)
    for name in bundled_scenarios():
        assert load_scenario(name).name == name


def test_every_vocabulary_action_has_a_handler():
    assert set(HANDLERS) == set(ACTIONS)


def test_a_yaml_file_path_loads(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(VALID, encoding="utf-8")
    scenario = load_scenario(path)
    assert (scenario.name, scenario.kind, scenario.hosts.count) == ("demo", "attack", 3)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_step(action="procss", image="x"), "scenario 'demo': activities[0].steps[0]: unknown action 'procss'"),
        (_step(action="dns"), "activities[0].steps[0] (dns): missing field 'domain'"),
        (_step(action="dns", domain="a.example", colour="red"), "(dns): unknown field 'colour'"),
        (_step(action="dns", domain="{{victim}}.example"), "activities[0].steps[0].domain: unknown template variable {{victim}}"),
        (_step(action="dns", domain="a.example", host="source"), "host: source needs a 'source' host selection"),
        (_step(action="process", image="a", command_line="a", parent="explorer.exe"),
         "activities[0].steps[0].parent: expected previous, a standing process (explorer"),
        (_step(action="logon", **{"from": "dc01"}), "activities[0].steps[0].from: only 'source' is known"),
        (_document(kind="evil"), "scenario 'demo': kind: must be one of attack, benign, background"),
        (_document(hosts={"group": "printers"}), "hosts.group: unknown host group 'printers'"),
        (_document(hosts={"fraction": 1.5}), "hosts.fraction: must be in (0, 1]"),
        (_document(activities=[{"schedule": {"every": "weekly"}, "steps": [{"action": "dns", "domain": "a.b"}]}]),
         "activities[0].schedule.every: must be one of once, daily, hourly, periodic, random"),
        (_document(activities=[{"schedule": {"every": "periodic"}, "steps": [{"action": "dns", "domain": "a.b"}]}]),
         "activities[0].schedule: missing field 'interval_minutes'"),
        (_document(activities=[{"schedule": {"every": "daily", "at": "25:99"}, "steps": [{"action": "dns", "domain": "a.b"}]}]),
         "activities[0].schedule.at: expected HH:MM[:SS], got '25:99'"),
        (_document(pivot={"type": "colour"}), "pivot: must be a mapping with a type among"),
        (_document(activities=[]), "activities: must be a non-empty list"),
    ],
)
def test_mistakes_name_the_scenario_the_place_and_the_reason(document, message):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(document, "demo")
    assert message in str(caught.value)


def test_unknown_bundled_name_lists_the_known_ones():
    with pytest.raises(ScenarioError, match="unknown scenario 'nope' \\(bundled: admin_tools, background"):
        load_scenario("nope")


def test_broken_yaml_is_reported_with_the_file_name(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="scenario 'broken': not valid YAML"):
        load_scenario(path)
