"""A campaign that gives each host its own subdomain is still one campaign (task F29, review T7 #2).

Each campaign host's cradle (its own command line) reaches its own subdomain of
one new registered domain (``<token>.evil-cdn.com``), fetches from it, beacons
to it and reads LSASS.  Every domain, URL and process is on one host, so
before registered-domain pivots (:mod:`analytics.registered_domains`) no
cluster named the domain and none had a behaviour.  A registered domain whose
hosts come from one shared subdomain adds no second cluster, and one the fleet
knew before the window (a CDN it uses; a SaaS platform whose tenants each have
a name) is no pivot however many new subdomains it shows.  Each test runs on
[embedded] and [neo4j].
"""

from __future__ import annotations

from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.registered_domains import is_rollup, rollup_key
from graphsiem.model import Entity, Relation, Sighting

H = 3600.0
DAY = 24 * H
START = 1_780_000_000.0  # 2026-05-28
END = START + 2 * DAY
CONFIG = DetectionConfig(evidence_top=0)
HOSTS = [f"ws-{i:03d}" for i in range(40)]
CAMPAIGN_HOSTS = HOSTS[:8]
SHARED_HOSTS = HOSTS[10:16]
CDN_HOSTS = HOSTS[20:30]
SAAS_HOSTS = HOSTS[30:38]
LSASS = ("process", "lsass")
EXPLORER = ("process", "explorer")


def _rel(src, kind, dst, t, count=1):
    return Relation(src, kind, dst, t, t + 60, count, [f"ev-{src[1]}-{kind}-{dst[1]}"])


def _domain(name: str, registered: str) -> Entity:
    return Entity("domain", name, name, {"registered_domain": registered})


def _fleet(store) -> None:
    """40 hosts for two days.  36 h in: the campaign (8 hosts, a subdomain of evil-cdn.com each);
    a new tool on 6 hosts reaching one shared subdomain c2.shared-cdn.com (and one host a second one);
    10 hosts' browsers each reaching a new subdomain of cdn-fleet.net, which the fleet used on day 1;
    8 hosts each reaching a new tenant of saas-tenant.com, whose tenants 8 hosts had each their own of
    on day 1."""
    store.clear()
    entities = [Entity("host", h, h) for h in HOSTS]
    entities += [Entity(*EXPLORER, "C:\\Windows\\explorer.exe"), Entity(*LSASS, "C:\\Windows\\system32\\lsass.exe")]
    sightings = [Sighting(h, EXPLORER, START + 60 * i, END, 50) for i, h in enumerate(HOSTS)]
    relations = []
    for i, h in enumerate(CAMPAIGN_HOSTS):
        t = START + 1.5 * DAY + 60 * i
        sub = ("domain", f"{i:04x}a1b2.evil-cdn.com")
        script, cradle = ("process", f"wscript-{i}"), ("process", f"cradle-{i}")
        url = ("url", f"http://{sub[1]}/img/banner.png")
        entities += [_domain(sub[1], "evil-cdn.com"), Entity(*url, url[1]),
                     Entity(*script, f"\"C:\\Windows\\System32\\WScript.exe\" \"C:\\Users\\u{i}\\Invoice_{i:04x}.js\""),
                     Entity(*cradle, f"powershell.exe -nop -w hidden -enc SQBFAFgA{i:04x}AIAAoAE4AZQB3AC0ATwBi")]
        sightings += [Sighting(h, e, t, t + 600, 2) for e in (script, cradle, url)]
        sightings += [Sighting(h, sub, t, t + 10 * H, 61), Sighting(h, LSASS, t, t + 600, 1)]
        relations += [_rel(EXPLORER, "SPAWNED", script, t), _rel(script, "SPAWNED", cradle, t),
                      _rel(cradle, "RESOLVED", sub, t, 61), _rel(cradle, "REQUESTED", url, t),
                      _rel(url, "ON", sub, t), _rel(cradle, "ACCESSED", LSASS, t)]
    shared = ("domain", "c2.shared-cdn.com")
    entities += [_domain(shared[1], "shared-cdn.com"), _domain("x9.shared-cdn.com", "shared-cdn.com")]
    for i, h in enumerate(SHARED_HOSTS):
        t = START + 1.55 * DAY + 60 * i
        tool = ("process", f"tool-{i}")
        entities.append(Entity(*tool, f"C:\\Tools\\sync.exe --id {i}"))
        sightings += [Sighting(h, tool, t, t + 600, 1), Sighting(h, shared, t, t + 600, 3)]
        relations.append(_rel(tool, "RESOLVED", shared, t))
    sightings.append(Sighting(SHARED_HOSTS[0], ("domain", "x9.shared-cdn.com"), START + 1.6 * DAY, END, 1))
    entities.append(_domain("static.cdn-fleet.net", "cdn-fleet.net"))
    for i, h in enumerate(CDN_HOSTS):
        old, t = START + 2 * H + 60 * i, START + 1.6 * DAY + 60 * i
        sub = ("domain", f"e{i:04d}.cdn-fleet.net")
        entities.append(_domain(sub[1], "cdn-fleet.net"))
        sightings += [Sighting(h, ("domain", "static.cdn-fleet.net"), old, old + 600, 4), Sighting(h, sub, t, t + 600, 2)]
    for i, h in enumerate(SAAS_HOSTS):
        old, t = START + 3 * H + 60 * i, START + 1.6 * DAY + 60 * i
        before, now = ("domain", f"team{i}-old.saas-tenant.com"), ("domain", f"team{i}.saas-tenant.com")
        entities += [_domain(before[1], "saas-tenant.com"), _domain(now[1], "saas-tenant.com")]
        sightings += [Sighting(h, before, old, old + 600, 2), Sighting(h, now, t, t + 600, 2)]
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()


def _features(cluster) -> dict[str, float]:
    return {f.name: f.value for f in cluster.explanation.features}


def test_per_host_subdomains_of_a_new_registered_domain_are_one_campaign_with_its_behaviours(store):
    _fleet(store)

    result = detect(store, config=CONFIG)

    found = [c for c in result.clusters if c.pivot.ref == rollup_key("evil-cdn.com")]
    assert len(found) == 1, [c.pivot.ref for c in result.clusters]
    cluster = found[0]
    assert sorted(cluster.hosts) == CAMPAIGN_HOSTS
    features = _features(cluster)
    assert features["encoded_command"] == 1.0
    assert features["lsass_access"] == 1.0
    assert features["download_from_new_domain"] == 1.0
    assert features["interpreter_lineage"] == 1.0
    assert features["repeat_contacts"] > 24.0  # the subdomains' contacts, not the floor
    summary = cluster.explanation.summary
    assert summary.startswith("8 hosts first contacted their own subdomain of evil-cdn.com (8 subdomains)"), summary
    assert "LSASS memory accessed" in summary
    # the per-host subdomains themselves stay out (one host each), and the campaign is no second cluster
    assert not any(c.pivot.ref[1].endswith(".evil-cdn.com") for c in result.clusters if c is not cluster)
    # the rollup lives in the detection only: nothing of it is written to the graph
    assert store.get_entity(*rollup_key("evil-cdn.com")) is None
    assert not any(is_rollup(e.ref) for e in store.iter_entities("domain"))


def test_one_shared_subdomain_adds_no_registered_domain_pivot(store):
    _fleet(store)

    result = detect(store, config=CONFIG)

    pivots = [c.pivot.ref for c in result.clusters]
    assert rollup_key("evil-cdn.com") in pivots  # the fleet's per-host campaign is found ...
    assert ("domain", "c2.shared-cdn.com") in pivots  # ... and the shared subdomain is its own pivot, once
    assert rollup_key("shared-cdn.com") not in pivots
    shared = [c for c in result.clusters if set(c.hosts) == set(SHARED_HOSTS)]
    assert len(shared) == 1


def test_a_registered_domain_the_fleet_knew_is_no_pivot_however_many_new_subdomains(store):
    _fleet(store)

    result = detect(store, config=CONFIG)

    rollups = {c.pivot.ref for c in result.clusters if is_rollup(c.pivot.ref)}
    assert rollups == {rollup_key("evil-cdn.com")}  # not cdn-fleet.net, not saas-tenant.com
    members = {e.ref for c in result.clusters for e in c.entities}
    assert rollup_key("cdn-fleet.net") not in members
    assert rollup_key("saas-tenant.com") not in members

