"""Hand-built host sightings for analytics unit tests (no store needed).

A fleet of 40 hosts over two days: ubiquitous software, a few old rare tools,
background browsing, and one synthetic campaign on 8 hosts in the last day
(a new domain, a file and a process, first contacted within minutes).
"""

from __future__ import annotations

import numpy as np

from graphsiem.store.base import HostSighting

DAY = 86400.0
START = 1_700_000_000.0
END = START + 2 * DAY
CAMPAIGN_HOSTS = [f"ws-{i:03d}" for i in range(8)]
CAMPAIGN = [("domain", "bad.example"), ("file", "f" * 64), ("process", "cradle")]


def fleet_sightings(seed: int = 0) -> list[HostSighting]:
    rng = np.random.RandomState(seed)
    hosts = [f"ws-{i:03d}" for i in range(40)]
    out: list[HostSighting] = []
    for h in hosts:
        # Ubiquitous, old software.
        out.append(HostSighting(h, ("process", "explorer"), START + rng.uniform(0, 600), END, 50))
    for t in range(12):
        # Old tools and browsing on a random quarter of the fleet, spread over time.
        chosen = rng.choice(len(hosts), size=rng.randint(3, 12), replace=False)
        first = START + rng.uniform(0, 1.8 * DAY)
        for i in chosen:
            f = first + rng.uniform(0, 0.2 * DAY)
            out.append(HostSighting(hosts[i], ("domain", f"site{t}.example"), f, END, rng.randint(1, 20)))
    for i, h in enumerate(CAMPAIGN_HOSTS):
        f = START + 1.5 * DAY + 60 * i
        for e in CAMPAIGN:
            out.append(HostSighting(h, e, f + 5, f + 600, 3))
    return out


def populate(store, seed: int = 0) -> None:
    """Write the fleet into a real store: entities, sightings and the campaign's relations."""
    from graphsiem.model import Entity, Relation, Sighting

    sightings = fleet_sightings(seed)
    hosts = sorted({s.host for s in sightings})
    values = {("process", "cradle"): "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA",
              ("process", "wscript"): "wscript.exe C:\\Users\\Public\\invoice.vbs",
              ("process", "lsass"): "C:\\Windows\\system32\\lsass.exe",
              ("process", "explorer"): "C:\\Windows\\explorer.exe"}
    entities = [Entity("host", h, h) for h in hosts]
    keys = sorted({s.entity for s in sightings} | set(values))
    entities += [Entity(t, k, values.get((t, k), k), {}) for t, k in keys]
    store.upsert_entities(entities)
    store.upsert_sightings([Sighting(s.host, s.entity, s.first_seen, s.last_seen, s.count) for s in sightings])
    relations = []
    for s in sightings:
        rel = {"domain": "RESOLVED", "file": "DOWNLOADED", "process": "RAN"}[s.entity[0]]
        relations.append(Relation(("host", s.host), rel, s.entity, s.first_seen, s.last_seen, 1,
                                  [f"ev-{s.host}-{s.entity[1][:8]}"]))
    t = START + 1.5 * DAY
    relations += [
        Relation(("process", "wscript"), "SPAWNED", ("process", "cradle"), t, t + 600, 8, ["ev-spawn"]),
        Relation(("process", "explorer"), "SPAWNED", ("process", "wscript"), START, t, 8, ["ev-spawn-w"]),
        Relation(("process", "cradle"), "ACCESSED", ("process", "lsass"), t, t + 600, 8, ["ev-lsass"]),
        Relation(("process", "cradle"), "RESOLVED", ("domain", "bad.example"), t, t + 600, 8, ["ev-dns"]),
        Relation(("file", "f" * 64), "SERVED_BY", ("domain", "bad.example"), t, t + 600, 8, ["ev-file"]),
    ]
    store.upsert_relations(relations)
    store.flush()
