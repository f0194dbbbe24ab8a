"""A fleet with a per-host-subdomain campaign, for the registered-domain pivot tests (task F32).

Built as :mod:`tests.analytics.test_registered_domain_pivots` builds its campaign:
40 hosts for two days; 36 h in, each of 8 campaign hosts' cradles reaches its own
subdomain of the new registered domain ``evil-cdn.com``, fetches from it and reads
LSASS.  Here each host's DNS client resolves its subdomain too (``host RESOLVED
domain``, as Sysmon 22 events project), and the store holds domains a rollup must
leave out: the bare ``evil-cdn.com`` (no host), ``evil-cdn.com.example.net`` (its
name contains the registered domain's, another registered domain) and a subdomain
of another registered domain.
"""

from __future__ import annotations

from graphsiem.model import Entity, Relation, Sighting

H = 3600.0
DAY = 24 * H
START = 1_780_000_000.0  # 2026-05-28
END = START + 2 * DAY
HOSTS = [f"ws-{i:03d}" for i in range(40)]
CAMPAIGN_HOSTS = HOSTS[:8]
REGISTERED = "evil-cdn.com"
SUBDOMAINS = [f"{i:04x}a1b2.{REGISTERED}" for i in range(len(CAMPAIGN_HOSTS))]
CONTACTS = 61
"""Each campaign host's contacts of its subdomain."""
NOT_SUBDOMAINS = [REGISTERED, f"{REGISTERED}.example.net", "cdn.other-site.org"]
LSASS = ("process", "lsass")
EXPLORER = ("process", "explorer")


def campaign_first_seen(i: int) -> float:
    """When campaign host ``i`` first reached its subdomain."""
    return START + 1.5 * DAY + 60 * i


def _rel(src, kind, dst, t, count=1):
    return Relation(src, kind, dst, t, t + 60, count, [f"ev-{src[1]}-{kind}-{dst[1]}"])


def _domain(name: str, registered: str) -> Entity:
    return Entity("domain", name, name, {"registered_domain": registered})


def build_campaign(store) -> None:
    """Write the fleet to ``store`` (cleared first) and flush it."""
    store.clear()
    entities = [Entity("host", h, h) for h in HOSTS]
    entities += [Entity(*EXPLORER, "C:\\Windows\\explorer.exe"), Entity(*LSASS, "C:\\Windows\\system32\\lsass.exe")]
    entities += [_domain(REGISTERED, REGISTERED), _domain(NOT_SUBDOMAINS[1], "example.net"),
                 _domain(NOT_SUBDOMAINS[2], "other-site.org")]
    sightings = [Sighting(h, EXPLORER, START + 60 * i, END, 50) for i, h in enumerate(HOSTS)]
    sightings += [Sighting(HOSTS[30], ("domain", NOT_SUBDOMAINS[1]), START + 1.6 * DAY, END, 3),
                  Sighting(HOSTS[31], ("domain", NOT_SUBDOMAINS[2]), START + 1.6 * DAY, END, 3)]
    relations = []
    for i, h in enumerate(CAMPAIGN_HOSTS):
        t = campaign_first_seen(i)
        sub = ("domain", SUBDOMAINS[i])
        script, cradle = ("process", f"wscript-{i}"), ("process", f"cradle-{i}")
        url = ("url", f"http://{sub[1]}/img/banner.png")
        entities += [_domain(sub[1], REGISTERED), Entity(*url, url[1]),
                     Entity(*script, f"\"C:\\Windows\\System32\\WScript.exe\" \"C:\\Users\\u{i}\\Invoice_{i:04x}.js\""),
                     Entity(*cradle, f"powershell.exe -nop -w hidden -enc SQBFAFgA{i:04x}AIAAoAE4AZQB3AC0ATwBi")]
        sightings += [Sighting(h, e, t, t + 600, 2) for e in (script, cradle, url)]
        sightings += [Sighting(h, sub, t, t + 10 * H, CONTACTS), Sighting(h, LSASS, t, t + 600, 1)]
        relations += [_rel(EXPLORER, "SPAWNED", script, t), _rel(script, "SPAWNED", cradle, t),
                      _rel(cradle, "RESOLVED", sub, t, 61), _rel(cradle, "REQUESTED", url, t),
                      _rel(url, "ON", sub, t), _rel(cradle, "ACCESSED", LSASS, t),
                      _rel(("host", h), "RESOLVED", sub, t, 61)]
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()
