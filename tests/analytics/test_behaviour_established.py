"""Behaviour pivots (task K8, red-team T10 findings 4 and 5): a product's weekly job, a campaign copying its shape.

4. A vendor service's per-host job runner runs an encoded inventory PowerShell and, three hours
   later, its memory-diagnostics child opens LSASS, on 30 hosts, once a week.  Its first run is a
   new cluster (nothing before it tells it from a campaign), but it stayed "new" in its second
   week too: a host was routine only after two earlier days of the pair.  A pair completed by the
   host itself on an earlier day on which ``min_hosts`` hosts or more completed it (a fleet job)
   is now routine there; a campaign of another shape, or on other hosts, is not.
5. A campaign that drops into the vendor's folder and spoofs its parent to ``vendorsvc.exe`` on
   hosts without the product had the product's shape, key and text.  A parent image that had not
   run on the host a day before the fact is marked new there
   (:mod:`analytics.behaviour_established`), and where the telemetry carries the image's digest
   the shape holds it: the campaign's shape, key and cluster are its own.

End to end on [embedded] and [neo4j]; the marking also on :class:`~analytics.behaviour_shapes.Shapes` directly.
"""

from __future__ import annotations

import pytest

from analytics.behaviour_established import ParentHistory
from analytics.behaviour_pivots import Fact
from analytics.behaviour_shapes import NEW_ON_HOST, Shapes, image_path
from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.incidence import build_incidence
from graphsiem.model import Entity, Relation, Sighting
from graphsiem.store.base import HostSighting
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

    def weekly_job(self, day: int) -> None:
        """F4: the service starts a per-host job runner; it runs an encoded inventory script, and 3 h later its
        memdiag.exe opens LSASS (one process tree, hours apart)."""
        for i, h in enumerate(PRODUCT_HOSTS):
            t = START + day * DAY + H + 60 * i
            job = f"{day:02d}{i * 7919:08x}"
            folder = f"C:\\ProgramData\\Vendor\\jobs\\{job}"
            runner = self.process(h, f"run-{job}", f'"{folder}\\runner.exe" --job {job}', f"{folder}\\runner.exe",
                                  t, 4 * H)
            script = self.process(h, f"inv-{job}", f"powershell.exe -NoProfile -EncodedCommand SQBuAHYA{job}AA==",
                                  PS_IMAGE, t + 60, 60)
            diag = self.process(h, f"diag-{job}", f'"{folder}\\memdiag.exe" --minidump', f"{folder}\\memdiag.exe",
                                t + 3 * H)
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


def _found(store, day: int):
    """The behaviour clusters of a detection over ``day`` (0-based), as (sorted hosts, cluster), and its result."""
    result = detect(store, config=CONFIG, now=START + (day + 1) * DAY - 1)
    return sorted((sorted(c.hosts), c) for c in behaviour_clusters(result)), result


def test_a_weekly_product_job_hours_apart_is_routine_in_its_second_week(store):
    """T10 F4: the job's second week (day 8) is routine on its 30 hosts (it ran there on day 1, on 30
    hosts); the campaign of that day, on hosts the job never ran on, is still its one cluster."""
    fleet = Fleet(days=9)
    fleet.weekly_job(1)
    fleet.weekly_job(8)
    campaign = HOSTS[32:40]
    fleet.dropper_campaign("c", campaign, START + 8 * DAY + 12 * H)
    fleet.write(store)

    found, result = _found(store, 8)

    assert [hosts for hosts, _ in found] == [campaign], [(c.pivot.value[:120], hosts) for hosts, c in found]
    assert result.stats["behaviour_hosts_routine"] == len(PRODUCT_HOSTS)


def test_a_weekly_product_job_still_shows_on_its_first_run(store):
    """Nothing before its first run tells a new product job from a campaign: it is a cluster then (the
    one-process-tree pair, hours apart), beside the campaign."""
    fleet = Fleet(days=2)
    fleet.weekly_job(1)
    fleet.dropper_campaign("c", HOSTS[32:40], START + 1 * DAY + 12 * H)
    fleet.write(store)

    found, _ = _found(store, 1)

    assert sorted(hosts for hosts, _ in found) == sorted([PRODUCT_HOSTS, HOSTS[32:40]])


@pytest.mark.parametrize("fake_parent", [
    pytest.param(False, id="spoofed-parent-never-ran-on-the-host"),
    pytest.param(True, id="fake-service-started-two-minutes-before"),
])
def test_a_campaign_copying_a_products_shape_on_hosts_without_it_has_a_key_of_its_own(store, fake_parent):
    """T10 F5: the product's daily updater on hosts 0-29 (days 1-3); on day 3 a campaign drops into the
    vendor's folder and spoofs its parent to vendorsvc.exe on hosts 30-39, where the product never ran.
    Its key is not the product's (the one an analyst judged benign on day 1), and its shape says why."""
    fleet = Fleet(days=4)
    for day in (1, 2, 3):
        fleet.updater_pair(f"p{day}x", PRODUCT_HOSTS, START + day * DAY + 3 * H)
    attack = START + 3 * DAY + 12 * H
    if fake_parent:
        fleet.sightings += [Sighting(h, VENDOR, attack + 90 * i - 120, fleet.end, 1)
                            for i, h in enumerate(CAMPAIGN_HOSTS)]
    fleet.updater_pair("evil", CAMPAIGN_HOSTS, attack)
    fleet.write(store)

    (product_hosts, product), = _found(store, 1)[0]
    (campaign_hosts, campaign), = _found(store, 3)[0]

    assert product_hosts == PRODUCT_HOSTS and campaign_hosts == CAMPAIGN_HOSTS
    assert campaign.pivot.ref != product.pivot.ref and campaign.id != product.id
    assert f"c:\\program files\\vendor\\vendorsvc.exe{NEW_ON_HOST}" in campaign.pivot.value, campaign.pivot.value
    assert NEW_ON_HOST not in product.pivot.value


VENDOR_BUILD = "5e" * 32
"""The vendor updater's SHA-256 (one build on every host)."""


@pytest.mark.parametrize("campaign_digest", [
    pytest.param("c0" * 32, id="its-own-binary-on-every-host"),
    pytest.param("d1" * 30 + "{i}", id="a-binary-rebuilt-per-host"),
])
def test_a_campaign_copying_a_products_paths_on_its_hosts_differs_by_its_binary(store, campaign_digest):
    """T10 F5 where the campaign's hosts run the product too (its parent is established there): the
    campaign's binary is not the vendor's, and the telemetry carries its digest.  Its key is its own."""
    fleet = Fleet(days=4, vendor_hosts=HOSTS)
    for day in (1, 2, 3):
        fleet.updater_pair(f"p{day}x", PRODUCT_HOSTS, START + day * DAY + 3 * H, digest=VENDOR_BUILD)
    fleet.updater_pair("evil", CAMPAIGN_HOSTS, START + 3 * DAY + 12 * H, digest=campaign_digest)
    fleet.write(store)

    (product_hosts, product), = _found(store, 1)[0]
    (campaign_hosts, campaign), = _found(store, 3)[0]

    assert product_hosts == PRODUCT_HOSTS and campaign_hosts == CAMPAIGN_HOSTS
    assert campaign.pivot.ref != product.pivot.ref and campaign.id != product.id
    assert f"c:\\programdata\\vendor\\tmp\\*.exe (sha256 {VENDOR_BUILD[:12]})" in product.pivot.value
    mine = "per host" if "{i}" in campaign_digest else campaign_digest[:12]
    assert f"c:\\programdata\\vendor\\tmp\\*.exe (sha256 {mine})" in campaign.pivot.value, campaign.pivot.value


def test_a_campaign_spreading_to_new_hosts_of_the_same_shape_is_found_every_day(store):
    """A pair completed on an earlier day on ``min_hosts`` hosts is routine only on those hosts: the
    campaign's second day on ten other hosts is its cluster again (guard for the fleet-job rule)."""
    fleet = Fleet(days=3)
    fleet.dropper_campaign("c", HOSTS[:10], START + 1 * DAY + 12 * H)
    fleet.dropper_campaign("d", HOSTS[10:20], START + 2 * DAY + 12 * H)
    fleet.write(store)

    found, _ = _found(store, 2)

    assert [hosts for hosts, _ in found] == [HOSTS[10:20]]


def _shape(parent_first: float | None, *, hosts_of_parent: int = 3, fact_at: float = 10 * DAY) -> str:
    """The shape of a per-host process on ws-0 whose parent's image first ran on ws-0 at ``parent_first``
    (``None``: never) and on ``hosts_of_parent`` other hosts from the start."""
    parent = Entity("process", "svc", "", {"image": VENDOR_IMAGE})
    shell = Entity("process", "shell", "", {"image": "C:\\Windows\\explorer.exe"})
    child = Entity("process", "child", "", {"image": "C:\\ProgramData\\Vendor\\tmp\\upd1.exe"})
    sightings = [HostSighting(f"ws-{i}", shell.ref, 0.0, fact_at, 1) for i in range(4)]
    sightings += [HostSighting(f"ws-{i}", parent.ref, 0.0, fact_at, 1) for i in range(1, 1 + hosts_of_parent)]
    if parent_first is not None:
        sightings.append(HostSighting("ws-0", parent.ref, parent_first, fact_at, 1))
    incidence = build_incidence(sightings)
    processes = {e.ref: e for e in (parent, shell, child)}
    history = ParentHistory(incidence, processes, image_path, min_hosts=3)
    shapes = Shapes([], processes, {child.ref: {parent.ref}}, min_hosts=3, history=history,
                    host_names=incidence.hosts)
    return shapes.of_fact(Fact("lsass_access", child.ref, incidence.hosts.index("ws-0"), fact_at))


@pytest.mark.parametrize(("parent_first", "hosts_of_parent", "new"), [
    pytest.param(8 * DAY, 3, False, id="ran-on-the-host-two-days-before"),
    pytest.param(10 * DAY - 600, 3, True, id="started-ten-minutes-before"),
    pytest.param(None, 3, True, id="never-ran-on-the-host"),
    pytest.param(300.0, 3, False, id="running-when-the-hosts-telemetry-began"),
    pytest.param(10 * DAY - 600, 0, False, id="a-per-host-parent-is-never-marked"),
])
def test_a_shared_parent_image_new_on_the_host_is_marked_in_the_shape(parent_first, hosts_of_parent, new):
    assert _shape(parent_first, hosts_of_parent=hosts_of_parent).endswith(NEW_ON_HOST) is new


VENDOR_TMP = "C:\\ProgramData\\Vendor\\tmp\\upd{i}.exe"
PER_HOST_DIGESTS = [f"{i}f" * 32 for i in range(3)]


@pytest.mark.parametrize(("image", "digests", "shape"), [
    pytest.param(VENDOR_TMP, ["ab" * 32] * 3, "c:\\programdata\\vendor\\tmp\\*.exe (sha256 abababababab)",
                 id="one-binary-at-per-host-paths"),
    pytest.param(VENDOR_TMP, PER_HOST_DIGESTS, "c:\\programdata\\vendor\\tmp\\*.exe (sha256 per host)",
                 id="a-binary-per-host"),
    pytest.param(VENDOR_TMP, ["not hex"] * 3, "c:\\programdata\\vendor\\tmp\\*.exe", id="no-digest"),
    pytest.param(PS_IMAGE, PER_HOST_DIGESTS, PS_IMAGE.lower(), id="a-fixed-path-is-its-patch-level"),
])
def test_a_per_host_images_digest_is_in_its_shape(image, digests, shape):
    """Three hosts' facts, each process's image and SHA-256 (attacker text in the hash field is no digest)."""
    processes = {("process", f"p{i}"): Entity("process", f"p{i}", "", {"image": image.format(i=i), "sha256": d})
                 for i, d in enumerate(digests)}
    facts = [Fact("lsass_access", ("process", f"p{i}"), i, 0.0) for i in range(3)]
    shapes = Shapes(facts, processes, {}, min_hosts=3)

    assert {shapes.of_fact(f) for f in facts} == {f"{shape} under ?"}
