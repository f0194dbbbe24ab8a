"""Forged management-agent installs rank above the real ones (task BEN).

The Intune extension's and the ConfigMgr client's installs from their own caches are managed
deployments (:mod:`analytics.agent_caches`).  An attacker dressing a payload as one, on the same
schedule (spread over hours, not a burst) and the same cache folder, must still rank above both
real deployments: an agent binary in a look-alike folder, a user-writable copy started by a user,
the real agent's path whose package is reached by ``..`` out of the cache, and the real agent (its
fleet-wide node, which installs from its cache elsewhere) made to fetch a payload on servers where
it installed nothing (task BEN2), and a payload fetched with an HTTP Host header naming the agent's
content domain from another server, on hosts where the agent did install (task HOSTH).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.evaluate import match
from graphsiem.simulator import DEFAULT_SCENARIOS
from tests.analytics.simulated import simulated_detection

SCENARIOS = Path(__file__).resolve().parents[2] / "benchmarks" / "scenarios"
BENIGN = {"fp_intune_deploy", "fp_sccm_deploy"}
FORGED = r"""
name: {name}
label: A payload dressed as an Intune Win32 app install ({name})
kind: attack
hosts: {{group: workstations, fraction: 0.2, min: 4}}
pivot: {{type: domain, value: {domain}}}
activities:
  - schedule: {{every: once, day: last, at: "09:10", spread_minutes: 300}}
    steps:
      - action: process
        parent: {parent}
        user: {user}
        image: '{agent}'
        command_line: '"{agent}" -deploy'
      - action: download
        url: 'http://{domain}/content/7d1c.intunewin.bin'
        content: {name} payload
        size: 4823449
        user_agent: 'Microsoft-Delivery-Optimization/10.0'
        save_to: '{package}'
      - action: process
        user: system
        image: 'C:\Windows\System32\msiexec.exe'
        command_line: 'msiexec /i "{package}" /qn /norestart'
      - action: process
        parent: services
        user: system
        long_running: true
        image: 'C:\Program Files\WinHelper\winhlpsvc.exe'
        command_line: '"C:\Program Files\WinHelper\winhlpsvc.exe" {name}'
      - {{action: connect, domain: 'c2.{domain}', port: 443, bytes_in: [1500, 6000]}}
"""
IME = r"C:\Program Files (x86)\Microsoft Intune Management Extension\Microsoft.Management.Services.IntuneWindowsAgent.exe"
FORGERIES = {
    # the agent's name in a look-alike folder any administrator can make
    "forged_ime_lookalike": dict(
        parent="services", user="system", domain="swdb07-manage-microsoft.example",
        agent=r"C:\ProgramData\Microsoft Intune Management Extension\Microsoft.Management.Services.IntuneWindowsAgent.exe",
        package=r"C:\Windows\IMECache\{{random}}\Update.msi"),
    # a user-writable copy, started by the user
    "forged_ime_user_copy": dict(
        parent="explorer", user="user", domain="ime-content-cdn.example",
        agent=r"C:\Users\Public\Intune\Microsoft.Management.Services.IntuneWindowsAgent.exe",
        package=r"C:\Windows\IMECache\{{random}}\Update.msi"),
    # the real agent's path, its package reached by ".." out of the cache into a user-writable folder
    "forged_ime_escape": dict(
        parent="services", user="system", domain="intune-pkg-delivery.example", agent=IME,
        package=r"C:\Windows\IMECache\..\..\Users\Public\{{random}}\Update.msi"),
}

# The real extension (the node fp_intune_deploy's installs make an agent) fetching a payload on servers,
# where no Intune install ran, as code an administrator injected into the service would; the payload
# then runs as a service from Program Files, as a deployed program does.
FORGED_FETCH = r"""
name: {name}
label: The real Intune agent made to fetch a payload where it installed nothing ({name})
kind: attack
hosts: {{group: servers, fraction: 0.6, min: 4}}
pivot: {{type: domain, value: {domain}}}
activities:
  - schedule: {{every: once, day: last, at: "09:10", spread_minutes: 300}}
    steps:
      - action: process
        parent: services
        user: system
        long_running: true
        image: '{agent}'
        command_line: '"{agent}"'
        version: "1.83.107.0"
        indicator: false
      - action: download
        url: 'http://{domain}/content/7d1c.intunewin.bin'
        content: {name} payload
        size: 4823449
        user_agent: 'Microsoft-Delivery-Optimization/10.0'
        save_to: 'C:\Windows\IMECache\{{{{random}}}}\Update.msi'
      - action: process
        parent: services
        user: system
        long_running: true
        image: 'C:\Program Files\WinHelper\winhlpsvc.exe'
        command_line: '"C:\Program Files\WinHelper\winhlpsvc.exe" {name}'
      - {{action: connect, domain: 'c2.{domain}', port: 443, bytes_in: [1500, 6000]}}
"""
FETCH_FORGERIES = {"forged_ime_fetch_elsewhere": dict(domain="swdb09-manage-content.example", agent=IME)}

# Review R25 (task HOSTH): on hosts where the real extension installs an app from its cache (indicator
# false: that part is genuine), an administrator fetches a payload from their own server with an HTTP
# Host header naming the extension's content domain, which only the extension looks up, and installs it
# as a service under Program Files.  The URL is on the agents' domain; its server is no address that
# domain resolved to.  (Its own content domain, swdb05: sharing fp_intune_deploy's would split that
# deployment's cluster over two host sets, whatever the rule.)
FORGED_HOST = r"""
name: {name}
label: A payload fetched with Host naming the Intune content domain, from an administrator's server ({name})
kind: attack
hosts: {{group: [workstations, it], fraction: 0.2, min: 4}}
pivot: {{type: url, value: 'http://swdb05.manage.microsoft.com/content/{name}.intunewin.bin'}}
activities:
  - name: genuine
    schedule: {{every: once, day: last, at: "08:40", spread_minutes: 300}}
    steps:
      - action: process
        parent: services
        user: system
        long_running: true
        image: '{agent}'
        command_line: '"{agent}"'
        version: "1.83.107.0"
        indicator: false
      - action: download
        url: 'http://swdb05.manage.microsoft.com/9e1d0c2b-7a44-4f0e-b1d2-55c3a9e0f7b1/3a2b.intunewin.bin'
        content: ContosoNotes-2.1-x64.intunewin
        size: 20480000
        user_agent: 'Microsoft-Delivery-Optimization/10.0'
        save_to: 'C:\Windows\IMECache\{{{{random}}}}\ContosoNotes-2.1-x64.msi'
        indicator: false
      - action: process
        user: system
        image: 'C:\Windows\System32\msiexec.exe'
        command_line: 'msiexec /i "C:\Windows\IMECache\{{{{random}}}}\ContosoNotes-2.1-x64.msi" /qn /norestart'
        indicator: false
      - action: process
        parent: services
        user: system
        long_running: true
        image: 'C:\Program Files\Contoso\Notes\notessvc.exe'
        command_line: '"C:\Program Files\Contoso\Notes\notessvc.exe"'
        version: "2.1.0.400"
        indicator: false
  - name: forged
    schedule: {{every: once, day: last, at: "09:10", spread_minutes: 300}}
    steps:
      - action: download
        url: 'http://swdb05.manage.microsoft.com/content/{name}.intunewin.bin'
        server: '{server}'
        content: {name} payload
        size: 4823449
        user_agent: 'Microsoft-Delivery-Optimization/10.0'
      - action: process
        parent: services
        user: system
        long_running: true
        image: 'C:\Program Files\WinHelper\winhlpsvc.exe'
        command_line: '"C:\Program Files\WinHelper\winhlpsvc.exe" {name}'
      - {{action: connect, domain: 'c2.winhelper-sync.example', port: 443, bytes_in: [1500, 6000]}}
"""
HOST_FORGERIES = {"forged_ime_host_header": dict(agent=IME, server="10.20.0.66")}


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    root = tmp_path_factory.mktemp("fleet-agent-forgeries")
    forged = []
    for name, fields in FORGERIES.items():
        path = root / f"{name}.yaml"
        path.write_text(FORGED.format(name=name, **fields), encoding="utf-8")
        forged.append(str(path))
    for name, fields in FETCH_FORGERIES.items():
        path = root / f"{name}.yaml"
        path.write_text(FORGED_FETCH.format(name=name, **fields), encoding="utf-8")
        forged.append(str(path))
    for name, fields in HOST_FORGERIES.items():
        path = root / f"{name}.yaml"
        path.write_text(FORGED_HOST.format(name=name, **fields), encoding="utf-8")
        forged.append(str(path))
    scenarios = [*DEFAULT_SCENARIOS, *(str(SCENARIOS / f"{name}.yaml") for name in sorted(BENIGN)), *forged]
    result, truth = simulated_detection(root / "fleet", hosts=120, days=2, seed=3, density=0.3, scenarios=scenarios)
    best: dict[str, dict] = {}
    for cluster in (c.to_contract() for c in result.clusters):
        if (entry := match(cluster, truth)) is not None and entry.name not in best:
            best[entry.name] = cluster  # sorted by score: the first is the best
    return best


def _score(ranked, name: str) -> float:
    return float(ranked[name]["score"])


def test_the_real_agent_deployments_are_managed_deployments(ranked):
    assert BENIGN <= ranked.keys(), sorted(ranked)
    assert {name: ranked[name]["features"].get("managed_deployment") for name in BENIGN} == dict.fromkeys(BENIGN, 1.0)
    assert not ranked["fp_intune_deploy"]["features"].get("download_from_new_domain")


@pytest.mark.parametrize("name", sorted([*FORGERIES, *FETCH_FORGERIES, *HOST_FORGERIES]))
def test_a_forged_agent_install_ranks_above_the_real_deployments(ranked, name):
    assert name in ranked, sorted(ranked)
    assert ranked[name]["features"].get("managed_deployment", 0.0) == 0.0
    assert _score(ranked, name) > max(_score(ranked, b) for b in BENIGN), (name, {n: _score(ranked, n) for n in ranked})
