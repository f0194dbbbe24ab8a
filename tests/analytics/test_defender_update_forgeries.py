"""Forged Defender updates rank above the real one (task BEN2).

Defender's signature delta that Windows Update's service runs ``MpSigStub.exe`` on, and its new
platform build that ``services.exe`` starts from Defender's ``Platform`` folder, are a managed
deployment (:mod:`analytics.defender_updates`).  A payload dressed as that update on the same
schedule, fetched from the same update domain, must still rank above it when one thing is off: the
engine in a look-alike folder, the stub run by another svchost service, or the stub's delta in a
user-writable folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.evaluate import match
from graphsiem.simulator import DEFAULT_SCENARIOS
from tests.analytics.simulated import simulated_detection

SCENARIOS = Path(__file__).resolve().parents[2] / "benchmarks" / "scenarios"
BENIGN = "fp_defender_update"
FORGED = r"""
name: {name}
label: A payload dressed as a Defender update ({name})
kind: attack
hosts: {{group: workstations, fraction: 0.2, min: 4}}
pivot: {{type: process}}
activities:
  - schedule: {{every: once, day: last, at: "05:10", spread_minutes: 200}}
    steps:
      - action: process
        parent: services
        user: system
        long_running: true
        emit: false
        image: 'C:\Windows\System32\svchost.exe'
        command_line: '{service}'
        indicator: false
      - action: download
        url: 'http://download.windowsupdate.com/c/msdownload/update/software/defu/2026/11/am_delta_patch_{name}.exe'
        content: {name} payload
        size: 3481600
        user_agent: 'Microsoft-Delivery-Optimization/10.0'
        save_to: '{delta}'
      - action: process
        parent: 'C:\Windows\System32\svchost.exe'
        parent_command_line: '{service}'
        user: system
        image: 'C:\Windows\System32\MpSigStub.exe'
        command_line: 'C:\Windows\system32\MpSigStub.exe /stub 1.1.24060.5 /payload {name} /program {delta}'
        version: "1.1.24060.5"
      - action: process
        parent: services
        user: system
        long_running: true
        delay: [60, 600]
        image: '{engine}'
        command_line: '"{engine}" {name}'
        version: "4.18.26110.3"
"""
WUAUSERV = r"C:\Windows\system32\svchost.exe -k netsvcs -p -s wuauserv"
DELTA = r"C:\Windows\SoftwareDistribution\Download\Install\AM_Delta_Patch_{name}.exe"
ENGINE = r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.26110.3-0\MsMpEng.exe"
FORGERIES = {
    # the engine's name in a look-alike folder any user can create under ProgramData
    "forged_defender_lookalike": dict(
        service=WUAUSERV, delta=DELTA,
        engine=r"C:\ProgramData\Microsoft\Windows Defender Updates\Platform\4.18.26110.3-0\MsMpEng.exe"),
    # the stub run by another svchost service (BITS), which a user's job reaches
    "forged_defender_bits": dict(service=WUAUSERV.replace("wuauserv", "BITS"), delta=DELTA, engine=ENGINE),
    # the stub's "delta" in a user-writable folder
    "forged_defender_user_delta": dict(
        service=WUAUSERV, delta=r"C:\Users\Public\Downloads\AM_Delta_Patch_{name}.exe", engine=ENGINE),
}


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    root = tmp_path_factory.mktemp("fleet-defender-forgeries")
    forged = []
    for name, fields in FORGERIES.items():
        path = root / f"{name}.yaml"
        path.write_text(FORGED.format(name=name, **{k: v.format(name=name) for k, v in fields.items()}), encoding="utf-8")
        forged.append(str(path))
    scenarios = [*DEFAULT_SCENARIOS, str(SCENARIOS / f"{BENIGN}.yaml"), *forged]
    result, truth = simulated_detection(root / "fleet", hosts=120, days=2, seed=3, density=0.3, scenarios=scenarios)
    best: dict[str, dict] = {}
    for cluster in (c.to_contract() for c in result.clusters):
        if (entry := match(cluster, truth)) is not None and entry.name not in best:
            best[entry.name] = cluster  # sorted by score: the first is the best
    return best


def test_the_real_defender_update_is_a_managed_deployment_named_as_defenders(ranked):
    assert BENIGN in ranked, sorted(ranked)
    assert ranked[BENIGN]["features"].get("managed_deployment") == 1.0
    checks = " ".join(c["check"] for c in ranked[BENIGN]["explanation"]["checks"])
    assert "Microsoft Defender's update" in checks and "msiexec" not in checks


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forged_defender_update_ranks_above_the_real_one(ranked, name):
    assert name in ranked, sorted(ranked)
    assert ranked[name]["features"].get("managed_deployment", 0.0) == 0.0
    assert float(ranked[name]["score"]) > float(ranked[BENIGN]["score"]), {n: ranked[n]["score"] for n in ranked}
