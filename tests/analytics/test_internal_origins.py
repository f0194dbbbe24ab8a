"""A package fetched from the fleet's own, long-known distribution point is no download from a new domain (FP2).

A ConfigMgr deployment (``benchmarks/scenarios/fp_sccm_deploy.yaml``) fetches ``setup.exe`` from the
fleet's distribution point, runs it, and the installed program calls its vendor's new CDN: the cluster
on the CDN had ``download_from_new_domain`` ("downloaded from new domain updates.pdfstudio-cdn.com
(http://sccm-dp01.corp.example/...)") and ranked 5th on evaluate_fleet.  A payload staged on an old
*external* domain, on an internal server first seen in the window, or on a name never seen resolved,
keeps it.  Hand-built fleets through ``detect`` on [embedded] and [neo4j].
"""

from __future__ import annotations

import pytest

from analytics.detect import detect
from analytics.entity_stats import Window
from analytics.internal_origins import InternalServers, url_host
from graphsiem.model import Entity, Relation, Sighting
from tests.analytics.small_fleet import browsed_sites, cluster_of, write_fleet
from tests.analytics.test_known_source_downloads import (  # the same 40 hosts, 2 days
    CONFIG,
    DAY,
    END,
    HOSTS,
    START,
    H,
)

DEPLOYED = HOSTS[:20]
AGENT = ("process", "ccmexec")
VENDOR = ("domain", "updates.pdfstudio-cdn.com")
SETUP_FILE = ("file", "c3" * 32)
SETUP = ("process", "ccmcache-setup")
PROGRAM = ("process", "pdfstudio-update-svc")


def _rel(src, kind, dst, t):
    return Relation(src, kind, dst, t, t + 60, 1, [f"ev-{src[1]}-{kind}-{dst[1]}-{t}"])


def _fleet(store, server: str, answer: str | None, *, known_before: bool = True) -> None:
    """40 hosts for two days; the agent reaches ``server`` (resolved to ``answer``) every day on all of them,
    from the first day when ``known_before``, else only in the window.  36 h in, over 4 hours, 20 hosts
    download setup.exe from ``http://<server>/SMS_DP_SMSPKG$/PS100042/setup.exe``, run it, and the
    program it installs calls the vendor's new CDN (the pivot)."""
    store.clear()
    dp, url = ("domain", server), ("url", f"http://{server}/SMS_DP_SMSPKG$/PS100042/setup.exe")
    entities = [Entity("host", h, h) for h in HOSTS]
    entities += [Entity(*AGENT, "C:\\Windows\\CCM\\CcmExec.exe"), Entity(*dp, server), Entity(*url, url[1]),
                 Entity(*VENDOR, VENDOR[1]), Entity(*SETUP_FILE, "setup.exe"),
                 Entity(*SETUP, '"setup.exe" /S /v"/qn REBOOT=ReallySuppress ALLUSERS=1"'),
                 Entity(*PROGRAM, '"C:\\Program Files\\PDF Studio\\PDFStudioUpdateSvc.exe" /service')]
    first_poll = START + 0.3 * DAY if known_before else START + 1.1 * DAY
    sightings = [Sighting(h, AGENT, START + 60 * i, END, 50) for i, h in enumerate(HOSTS)]
    sightings += [Sighting(h, dp, first_poll + 60 * i, END, 4) for i, h in enumerate(HOSTS)]
    relations = [_rel(AGENT, "RESOLVED", dp, first_poll), _rel(AGENT, "CONNECTED", dp, first_poll)]
    if answer is not None:
        entities.append(Entity("ip", answer, answer))
        relations.append(_rel(dp, "RESOLVES_TO", ("ip", answer), first_poll))
    for i, h in enumerate(DEPLOYED):
        t = START + 1.5 * DAY + 720 * i  # 20 hosts over 4 hours: a deployment's pace, no burst
        sightings += [Sighting(h, e, t, t + 600, 2) for e in (url, SETUP_FILE, SETUP, PROGRAM)]
        sightings.append(Sighting(h, VENDOR, t + 120, t + 900, 3))
        relations += [_rel(("host", h), "REQUESTED", url, t), _rel(("host", h), "DOWNLOADED", SETUP_FILE, t),
                      _rel(url, "ON", dp, t), _rel(SETUP_FILE, "SERVED_BY", url, t),
                      _rel(AGENT, "SPAWNED", SETUP, t + 5), _rel(PROGRAM, "RESOLVED", VENDOR, t + 120)]
    others = browsed_sites(HOSTS[20:], START + 1.2 * DAY, sites=6)  # candidates to be unusual among
    write_fleet(store, entities + others[0], sightings + others[1], relations + others[2])


def _download_feature(store) -> float:
    cluster = cluster_of(detect(store, config=CONFIG), VENDOR)
    assert ("url", f"http://{url_host_of(cluster)}/SMS_DP_SMSPKG$/PS100042/setup.exe") in cluster.explanation.new_members
    return {f.name: f.value for f in cluster.explanation.features}["download_from_new_domain"]


def url_host_of(cluster) -> str:
    (url,) = [k for t, k in cluster.explanation.new_members if t == "url"]
    host = url_host(url)
    assert host is not None
    return host


def test_a_package_from_the_fleets_old_distribution_point_is_no_download_from_the_new_domain(store):
    _fleet(store, "sccm-dp01.corp.example", "10.20.0.5")

    assert _download_feature(store) == 0.0


@pytest.mark.parametrize(("server", "answer", "known_before"), [
    ("files.partner-cdn.com", "203.0.113.7", True),  # staged on an old external domain
    ("sccm-dp02.corp.example", "10.20.0.6", False),  # an internal server first seen in the window
    ("sccm-dp01.corp.example", None, True),  # a name never seen resolved: no proof it is ours
    ("203.0.113.9", None, True),  # an old external address
])
def test_a_payload_elsewhere_keeps_the_download(store, server, answer, known_before):
    _fleet(store, server, answer, known_before=known_before)

    assert _download_feature(store) == 1.0


def test_internal_servers_read_the_dns_answers_up_to_the_windows_end(store):
    _fleet(store, "sccm-dp01.corp.example", "10.20.0.5")
    store.upsert_relations([_rel(("domain", "sccm-dp01.corp.example"), "RESOLVES_TO", ("ip", "198.51.100.4"), END + H)])
    store.flush()

    assert InternalServers(store, Window(END - DAY, END))("sccm-dp01.corp.example")  # the later answer is unread
    assert not InternalServers(store, Window(END, END + DAY))("sccm-dp01.corp.example")  # one external answer
    assert InternalServers(store, Window(END - DAY, END))("10.20.0.7")
    assert not InternalServers(store, Window(END - DAY, END))("updates.pdfstudio-cdn.com")  # no answer known
