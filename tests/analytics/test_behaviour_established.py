"""Behaviour pivots (task K8, red-team T10 findings 4 and 5): a product's weekly job, a campaign copying its shape.

4. A vendor service's per-host job runner runs an encoded inventory PowerShell and, three hours
   later, its memory-diagnostics child opens LSASS, on 30 hosts, once a week.  Its first run is a
   new cluster (nothing before it tells it from a campaign), and so is its second: one earlier day
   is no routine however many hosts completed the pair on it (task P1, red-team T12 finding 1: a
   campaign's first wave is such a day).  Its second week has its first's key and cluster id, so
   the analyst's benign verdict on the first covers it (tests/analytics/test_behaviour_second_wave.py).
5. A campaign that drops into the vendor's folder and spoofs its parent to ``vendorsvc.exe`` on
   hosts without the product had the product's shape, key and text.  A parent image that had not
   run on the host a day before the fact is marked new there
   (:mod:`analytics.behaviour_established`), and where the telemetry carries the image's digest
   the shape holds it: the campaign's shape, key and cluster are its own.

End to end on [embedded] and [neo4j]; the marking also on :class:`~analytics.behaviour_shapes.Shapes` directly.
The fleet is :mod:`tests.analytics.vendor_fleet`'s.
"""

from __future__ import annotations

import pytest

from analytics.behaviour_established import ParentHistory
from analytics.behaviour_pivots import Fact
from analytics.behaviour_shapes import NEW_ON_HOST, Shapes, image_path
from analytics.incidence import build_incidence
from graphsiem.model import Entity, Sighting
from graphsiem.store.base import HostSighting
from tests.analytics.behaviour_campaign import DAY, HOSTS, START, H
from tests.analytics.vendor_fleet import (
    CAMPAIGN_HOSTS,
    PRODUCT_HOSTS,
    PS_IMAGE,
    VENDOR,
    VENDOR_IMAGE,
    Fleet,
    found_on_day,
)


def test_a_weekly_product_job_is_new_again_in_its_second_week_under_the_same_key(store):
    """T10 F4 under T12 F1's contract: the job's second week (day 8) is a cluster of its 30 hosts again
    (one earlier day, however many hosts, is no routine), with week 1's pivot key and cluster id, so
    the verdict an analyst gave week 1 is the one it meets; the campaign of that day, on hosts the job
    never ran on, is its own cluster."""
    fleet = Fleet(days=9)
    fleet.weekly_job(1)
    fleet.weekly_job(8)
    campaign = HOSTS[32:40]
    fleet.dropper_campaign("c", campaign, START + 8 * DAY + 12 * H)
    fleet.write(store)

    (week_one_hosts, week_one), = found_on_day(store, 1)[0]
    found, result = found_on_day(store, 8)

    assert [hosts for hosts, _ in found] == sorted([PRODUCT_HOSTS, campaign]), \
        [(c.pivot.value[:120], hosts) for hosts, c in found]
    week_two = next(c for hosts, c in found if hosts == PRODUCT_HOSTS)
    assert week_one_hosts == PRODUCT_HOSTS
    assert (week_two.pivot.ref, week_two.id) == (week_one.pivot.ref, week_one.id)
    assert result.stats["behaviour_hosts_routine"] == 0


def test_a_weekly_product_job_still_shows_on_its_first_run(store):
    """Nothing before its first run tells a new product job from a campaign: it is a cluster then (the
    one-process-tree pair, hours apart), beside the campaign."""
    fleet = Fleet(days=2)
    fleet.weekly_job(1)
    fleet.dropper_campaign("c", HOSTS[32:40], START + 1 * DAY + 12 * H)
    fleet.write(store)

    found, _ = found_on_day(store, 1)

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

    (product_hosts, product), = found_on_day(store, 1)[0]
    campaign_hosts, campaign = _campaign_on_day_3(store)

    assert product_hosts == PRODUCT_HOSTS and campaign_hosts == CAMPAIGN_HOSTS
    assert campaign.pivot.ref != product.pivot.ref and campaign.id != product.id
    assert f"c:\\program files\\vendor\\vendorsvc.exe{NEW_ON_HOST}" in campaign.pivot.value, campaign.pivot.value
    assert NEW_ON_HOST not in product.pivot.value


def _campaign_on_day_3(store):
    """Day 3's cluster on the campaign's hosts; the product's own pair, in its first week, is not routine
    yet (task TREE: :data:`analytics.behaviour_pivots.ROUTINE_SPAN_DAYS`), so it may be a cluster beside it."""
    found, _ = found_on_day(store, 3)
    assert {tuple(hosts) for hosts, _ in found} <= {tuple(PRODUCT_HOSTS), tuple(CAMPAIGN_HOSTS)}, found
    return next(((hosts, c) for hosts, c in found if set(hosts) & set(CAMPAIGN_HOSTS)), ([], None))


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

    (product_hosts, product), = found_on_day(store, 1)[0]
    campaign_hosts, campaign = _campaign_on_day_3(store)

    assert product_hosts == PRODUCT_HOSTS and campaign_hosts == CAMPAIGN_HOSTS
    assert campaign.pivot.ref != product.pivot.ref and campaign.id != product.id
    assert f"c:\\programdata\\vendor\\tmp\\*.exe (sha256 {VENDOR_BUILD[:12]})" in product.pivot.value
    mine = "per host" if "{i}" in campaign_digest else campaign_digest[:12]
    assert f"c:\\programdata\\vendor\\tmp\\*.exe (sha256 {mine})" in campaign.pivot.value, campaign.pivot.value


def test_a_campaign_spreading_to_new_hosts_of_the_same_shape_is_found_every_day(store):
    """The campaign's second day on ten other hosts is its cluster again, without the first day's ten
    (guard: nothing of a host's past makes another host routine)."""
    fleet = Fleet(days=3)
    fleet.dropper_campaign("c", HOSTS[:10], START + 1 * DAY + 12 * H)
    fleet.dropper_campaign("d", HOSTS[10:20], START + 2 * DAY + 12 * H)
    fleet.write(store)

    found, _ = found_on_day(store, 2)

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
