"""A fleet with a vendor's product and its jobs, and campaigns beside it, for the behaviour-pivot tests.

Task K8 (red-team T10 findings 4 and 5) and task P1 (red-team T12 finding 1): 40 hosts
(:data:`tests.analytics.behaviour_campaign.HOSTS`) with explorer.exe and lsass.exe
throughout, the vendor's service ``vendorsvc.exe`` on :data:`PRODUCT_HOSTS`; a weekly job,
a daily updater and a dropper campaign are added per day with :class:`Fleet`'s methods, then
written to a store with :meth:`Fleet.write`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.api.services.detections import snapshot
from graphsiem.api.state import StateStore
from graphsiem.api.state_verdicts import suppressed_members
from graphsiem.model import Entity, Relation, Sighting
from tests.analytics.behaviour_campaign import (
    DAY,
    EXPLORER,
    HOSTS,
    LSASS,
    START,
    H,
    behaviour_clusters,
    relation,
)

CONFIG = DetectionConfig(evidence_top=0, history_days=0)
VENDOR = ("process", "vendorsvc")
VENDOR_IMAGE = "C:\\Program Files\\Vendor\\vendorsvc.exe"
PS_IMAGE = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
PRODUCT_HOSTS = HOSTS[:30]
CAMPAIGN_HOSTS = HOSTS[30:40]


class Fleet:
    """Hosts with explorer.exe and lsass.exe from ``START`` to ``end``, and the vendor's service on ``PRODUCT_HOSTS``."""

    def __init__(self, days: int, *, vendor_hosts: list[str] = PRODUCT_HOSTS) -> None:
        self.end = START + days * DAY
        self.entities = [Entity("host", h, h) for h in HOSTS]
        self.entities += [
            Entity(*EXPLORER, "C:\\Windows\\explorer.exe", {"image": "C:\\Windows\\explorer.exe"}),
            Entity(*LSASS, "C:\\Windows\\system32\\lsass.exe", {"image": "C:\\Windows\\system32\\lsass.exe"}),
            Entity(*VENDOR, f'"{VENDOR_IMAGE}" -service', {"image": VENDOR_IMAGE}),
        ]
        self.sightings = [Sighting(h, p, START, self.end, 50) for h in HOSTS for p in (EXPLORER, LSASS)]
        self.sightings += [Sighting(h, VENDOR, START, self.end, 10) for h in vendor_hosts]
        self.relations: list[Relation] = []

    def process(self, host: str, key: str, command: str, image: str, at: float, seconds: float = 300,
                digest: str | None = None) -> tuple:
        entity = Entity("process", key, command, {"image": image, **({"sha256": digest} if digest else {})})
        self.entities.append(entity)
        self.sightings.append(Sighting(host, entity.ref, at, at + seconds, 1))
        return entity.ref

    def weekly_job(self, day: int, *, digest: str | None = None, hosts: list[str] | None = None) -> None:
        """F4: the service starts a per-host job runner; it runs an encoded inventory script, and 3 h later its
        memdiag.exe opens LSASS (one process tree, hours apart).  ``digest``: memdiag.exe's SHA-256 (one build
        on every host), else none in the telemetry.  ``hosts``: those of ``PRODUCT_HOSTS`` it runs on (all)."""
        for i, h in enumerate(PRODUCT_HOSTS):
            if hosts is not None and h not in hosts:
                continue
            t = START + day * DAY + H + 60 * i
            job = f"{day:02d}{i * 7919:08x}"
            folder = f"C:\\ProgramData\\Vendor\\jobs\\{job}"
            runner = self.process(h, f"run-{job}", f'"{folder}\\runner.exe" --job {job}', f"{folder}\\runner.exe",
                                  t, 4 * H)
            script = self.process(h, f"inv-{job}", f"powershell.exe -NoProfile -EncodedCommand SQBuAHYA{job}AA==",
                                  PS_IMAGE, t + 60, 60)
            diag = self.process(h, f"diag-{job}", f'"{folder}\\memdiag.exe" --minidump', f"{folder}\\memdiag.exe",
                                t + 3 * H, digest=digest)
            self.relations += [relation(VENDOR, "SPAWNED", runner, t), relation(runner, "SPAWNED", script, t + 60),
                               relation(runner, "SPAWNED", diag, t + 3 * H),
                               relation(diag, "ACCESSED", LSASS, t + 3 * H + 10)]

    def updater_pair(self, tag: str, hosts: list[str], at: float, *, parent: tuple = VENDOR,
                     digest: str | None = None) -> None:
        """A per-host ``C:\\ProgramData\\Vendor\\tmp\\upd-*.exe`` under ``parent`` opens LSASS and a minute later
        starts an encoded PowerShell (the product's daily updater, or a campaign copying its shape).  ``digest``:
        the updater's SHA-256 (``{i}`` formatted with the host's index: one per host)."""
        for i, h in enumerate(hosts):
            t = at + 90 * i
            path = f"C:\\ProgramData\\Vendor\\tmp\\upd-{tag}{i:04x}e9.exe"
            updater = self.process(h, f"{tag}-upd-{i}", f'"{path}" --check {tag}{i}', path, t,
                                   digest=None if digest is None else digest.format(i=f"{i:04x}"))
            script = self.process(h, f"{tag}-ps-{i}", f"powershell.exe -nop -w hidden -enc SQBFAFgA{tag}{i:04x}AIAA",
                                  PS_IMAGE, t + 60, 60)
            self.relations += [relation(parent, "SPAWNED", updater, t), relation(updater, "ACCESSED", LSASS, t + 5),
                               relation(updater, "SPAWNED", script, t + 60)]

    def dropper_campaign(self, tag: str, hosts: list[str], at: float) -> None:
        """A per-host dropper in ``C:\\Users\\Public`` under explorer.exe opens LSASS and starts an encoded command."""
        for i, h in enumerate(hosts):
            t = at + 60 * i
            path = f"C:\\Users\\Public\\{tag}{i:04x}.exe"
            dropper = self.process(h, f"{tag}-drop-{i}", f'"{path}" /q {tag}{i:04x}', path, t - 30, 600)
            script = self.process(h, f"{tag}-enc-{i}", f"powershell.exe -nop -w hidden -enc SQBFAFgA{tag}{i:04x}AIAAo",
                                  PS_IMAGE, t + 120, 60)
            self.relations += [relation(EXPLORER, "SPAWNED", dropper, t - 30),
                               relation(dropper, "ACCESSED", LSASS, t), relation(dropper, "SPAWNED", script, t + 120)]

    def write(self, store) -> None:
        store.clear()
        store.upsert_entities(self.entities)
        store.upsert_sightings(self.sightings)
        store.upsert_relations(self.relations)
        store.flush()


def found_on_day(store, day: int, config: DetectionConfig = CONFIG):
    """The behaviour clusters of a detection over ``day`` (0-based), as (sorted hosts, cluster), and its result."""
    result = detect(store, config=config, now=START + (day + 1) * DAY - 1)
    return sorted((sorted(c.hosts), c) for c in behaviour_clusters(result)), result


def judged_config(store, state_path: Path, hosts: list[str] = PRODUCT_HOSTS):
    """The config a detection gets after the analyst marked day 1's job cluster (on ``hosts``) benign, as the
    service does (the verdict kept in a real state store at ``state_path``), and that cluster."""
    (job_hosts, job), = found_on_day(store, 1)[0]
    assert job_hosts == sorted(hosts)
    state = StateStore(state_path)
    try:
        (stored, _), = state.save_clusters("week-1", [snapshot(job)])
        state.update_triage(stored["id"], actor="analyst", changes={"verdict": "benign"}, pivot=job.pivot.ref)
        return dataclasses.replace(CONFIG, suppressed=frozenset(state.suppressed_pivots()),
                                   suppressed_members=suppressed_members(state)), job
    finally:
        state.close()
