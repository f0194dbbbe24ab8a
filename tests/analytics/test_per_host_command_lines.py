"""A campaign that gives every host its own command line keeps its behaviours (task F19, review S3).

The window incidence keeps only entities on two hosts or more, so when each
host ran its own cradle (a random token in the ``-enc`` payload, its own
script name and URL) the processes never became cluster members and the
cluster of the shared domain showed no behaviour: the review's per-host
random seed campaign fell from 76.9 to 41.2.  The processes that reached a
candidate pivot now lend it their behaviours (:mod:`analytics.linked_processes`),
while a new site that each host's browser reached with its own command line
gains none.  Each test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.model import Entity, Relation, Sighting

H = 3600.0
DAY = 24 * H
START = 1_780_000_000.0  # 2026-05-28
END = START + 2 * DAY
CONFIG = DetectionConfig(evidence_top=0)
CAMPAIGN_HOSTS = [f"ws-{i:03d}" for i in range(8)]
BROWSING_HOSTS = [f"ws-{i:03d}" for i in range(20, 26)]
LSASS = ("process", "lsass")


def _rel(src, kind, dst, t):
    return Relation(src, kind, dst, t, t + 60, 1, [f"ev-{src[1]}-{kind}-{dst[1]}"])


def _fleet(store) -> None:
    """40 hosts for two days; on 8 of them, 36 h in, a cradle of their own (wscript -> powershell
    -enc with a per-host token) resolves bad.example, fetches a per-host URL and reads LSASS; on 6
    others each host's browser, with its own command line, reaches a new site and fetches a page."""
    store.clear()
    hosts = [f"ws-{i:03d}" for i in range(40)]
    entities = [Entity("host", h, h) for h in hosts]
    entities += [Entity("process", "explorer", "C:\\Windows\\explorer.exe"),
                 Entity(*LSASS, "C:\\Windows\\system32\\lsass.exe"),
                 Entity("domain", "bad.example", "bad.example"), Entity("domain", "new-site.example", "new-site.example")]
    sightings = [Sighting(h, ("process", "explorer"), START + 60 * i, END, 50) for i, h in enumerate(hosts)]
    relations = []
    for i, h in enumerate(CAMPAIGN_HOSTS):
        t = START + 1.5 * DAY + 60 * i
        script, cradle, url = (("process", f"wscript-{i}"), ("process", f"cradle-{i}"),
                               ("url", f"http://bad.example/img/{i:04x}.png"))
        entities += [Entity(*script, f"\"C:\\Windows\\System32\\WScript.exe\" \"C:\\Users\\u{i}\\Invoice_{i:04x}.js\""),
                     Entity(*cradle, f"powershell.exe -nop -w hidden -enc SQBFAFgA{i:04x}AIAAoAE4AZQB3AC0ATwBi"),
                     Entity(*url, url[1])]
        sightings += [Sighting(h, e, t, t + 600, 2) for e in (script, cradle, url, ("domain", "bad.example"))]
        sightings.append(Sighting(h, LSASS, t, t + 600, 1))
        relations += [_rel(("process", "explorer"), "SPAWNED", script, t), _rel(script, "SPAWNED", cradle, t),
                      _rel(cradle, "RESOLVED", ("domain", "bad.example"), t), _rel(cradle, "REQUESTED", url, t),
                      _rel(url, "ON", ("domain", "bad.example"), t), _rel(cradle, "ACCESSED", LSASS, t)]
    for i, h in enumerate(BROWSING_HOSTS):
        t = START + 1.6 * DAY + 300 * i
        browser, page = ("process", f"chrome-{i}"), ("url", f"https://new-site.example/p/{i}")
        entities += [Entity(*browser, f"chrome.exe --type=renderer --renderer-client-id={i + 7}"), Entity(*page, page[1])]
        sightings += [Sighting(h, e, t, t + 600, 2) for e in (browser, page, ("domain", "new-site.example"))]
        relations += [_rel(browser, "RESOLVED", ("domain", "new-site.example"), t), _rel(browser, "REQUESTED", page, t),
                      _rel(page, "ON", ("domain", "new-site.example"), t)]
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()


def _cluster_of(result, domain: str):
    found = [c for c in result.clusters if ("domain", domain) in [e.ref for e in c.entities]]
    assert found, f"no cluster holds {domain}"
    return found[0], {f.name: f.value for f in found[0].explanation.features}


def test_behaviours_of_per_host_cradles_count_for_the_domain_they_reached(store):
    _fleet(store)

    result = detect(store, config=CONFIG)

    cluster, features = _cluster_of(result, "bad.example")
    assert sorted(cluster.hosts) == CAMPAIGN_HOSTS
    # the cradles are on one host each: still no members ...
    assert not any(e.ref[1].startswith("cradle-") for e in cluster.entities)
    # ... but what they did is the cluster's
    assert features["encoded_command"] == 1.0
    assert features["lsass_access"] == 1.0
    assert features["download_from_new_domain"] == 1.0
    assert features["interpreter_lineage"] == 1.0
    assert "LSASS memory accessed" in cluster.explanation.summary


def test_a_new_site_reached_by_each_hosts_browser_gains_no_behaviour(store):
    _fleet(store)

    result = detect(store, config=CONFIG)

    _, campaign = _cluster_of(result, "bad.example")
    _, browsing = _cluster_of(result, "new-site.example")
    behaviours = ("encoded_command", "lsass_access", "download_from_new_domain", "remote_thread")
    assert [browsing[b] for b in behaviours] == [0.0] * 4
    assert browsing["interpreter_lineage"] == 0.0
    assert [campaign[b] for b in behaviours[:3]] == [1.0] * 3
