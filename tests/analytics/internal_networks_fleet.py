"""A simulated fleet whose vendor updater fetches its new build from a CDN by raw address (red-team T8 #6).

simulate (the bundled scenarios and ``cdn_rawip_update``) -> ingest -> detect, as
``graphsiem detect`` runs them.  The updater, on 40 % of the workstations and IT
hosts, polls its vendor daily; on the last day it downloads
``http://13.107.4.50/filestreamingservice/.../ContosoSetup-5.2.exe`` by address
(no DNS name) and runs it: a benign fleet rollout that reads as a "download from
a new external address" unless the operator declares the address space internal.
"""

from __future__ import annotations

from pathlib import Path

from analytics.result import Cluster
from graphsiem.simulator.catalog import domain_ip
from graphsiem.simulator.engine import DEFAULT_SCENARIOS, simulate
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

CDN_ADDRESS = "13.107.4.50"
CDN_NETWORK = "13.107.4.0/24"
_PLACEHOLDER = "cdn.placeholder.example"
BUILD = "ContosoSetup-5.2.exe"

CDN_UPDATER_SCENARIO = r"""
name: cdn_rawip_update
label: Vendor update fetched from a CDN by raw IP address
kind: benign
hosts: {group: [workstations, it], fraction: 0.4}
pivot: {type: file}
activities:
  - name: updater_daily
    schedule: {every: daily, at: "07:30", jitter_minutes: 20}
    steps:
      - action: process
        parent: services
        user: system
        image: 'C:\Program Files\Contoso\Updater\ContosoUpdate.exe'
        command_line: '"C:\Program Files\Contoso\Updater\ContosoUpdate.exe" /check'
      - {action: connect, domain: update.contoso-software.com, port: 443}
  - name: new_build
    schedule: {every: once, day: last, at: "12:00", spread_minutes: 180}
    steps:
      - action: process
        parent: services
        user: system
        image: 'C:\Program Files\Contoso\Updater\ContosoUpdate.exe'
        command_line: '"C:\Program Files\Contoso\Updater\ContosoUpdate.exe" /check'
      - action: download
        url: 'http://cdn.placeholder.example/filestreamingservice/files/6f1e2a/ContosoSetup-5.2.exe'
        resolve: false
        content: 'ContosoSetup-5.2.exe signed build'
        size: 41943040
        user_agent: 'Microsoft-Delivery-Optimization/10.0'
        save_to: 'C:\ProgramData\Contoso\Updater\ContosoSetup-5.2.exe'
      - action: process
        user: system
        image: 'C:\ProgramData\Contoso\Updater\ContosoSetup-5.2.exe'
        command_line: '"C:\ProgramData\Contoso\Updater\ContosoSetup-5.2.exe" /silent /norestart'
"""


def cdn_updater_fleet(root: Path, *, hosts: int = 120, days: int = 2, seed: int = 5) -> tuple[EmbeddedStore, Journal]:
    """Simulate the fleet under ``root`` with the CDN updater, put the raw address in its URL and
    server address (the simulator writes a name), ingest it; the store and the journal (caller closes)."""
    scenario = root / "cdn_rawip_update.yaml"
    scenario.write_text(CDN_UPDATER_SCENARIO, encoding="utf-8")
    telemetry = root / "telemetry"
    simulate(telemetry, hosts=hosts, days=days, seed=seed, density=0.3,
             scenarios=[*DEFAULT_SCENARIOS, str(scenario)])
    pairs = ((domain_ip(_PLACEHOLDER), CDN_ADDRESS), (_PLACEHOLDER, CDN_ADDRESS))
    for sub in ("endpoint", "network"):
        for path in (telemetry / sub).iterdir():
            text = path.read_text(encoding="utf-8")
            for old, new in pairs:
                text = text.replace(old, new)
            path.write_text(text, encoding="utf-8")
    store = EmbeddedStore(root / "graph")
    journal = Journal(root / "journal.sqlite")
    report = ingest_paths([telemetry / "endpoint", telemetry / "network"], store=store, journal=journal,
                          progress=False)
    assert report.total.rejected == 0
    return store, journal


def rank_of_build(clusters: list[Cluster]) -> tuple[int, Cluster]:
    """The 1-based rank of the cluster the CDN build's download is in, and the cluster."""
    for rank, cluster in enumerate(clusters, 1):
        if any(BUILD.lower() in entity.key.lower() or entity.key == CDN_ADDRESS for entity in cluster.entities):
            return rank, cluster
    raise AssertionError(f"no cluster holds the CDN build {BUILD} ({len(clusters)} clusters): "
                         + "; ".join(c.explanation.summary[:80] for c in clusters[:10]))

