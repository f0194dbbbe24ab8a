"""A small fleet whose groups of hosts each reach a new domain with one image: the masquerade tests' store.

Shared by the renamed/look-alike credit tests (``test_renamed_credited``) and the misspelt-name tests
(``test_image_typosquats``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from graphsiem.model import Entity, Relation, Sighting
from tests.analytics.test_per_host_command_lines import CONFIG, DAY, END, START

H = 3600.0
Group = tuple[range, str, str | None, str]
"""Hosts (indexes), image, PE OriginalFileName (or None) and the command line of host ``i`` (``{i}``)."""


def write_domain_groups(store, groups: Mapping[str, Group], hosts: int = 40, gap: float = 60.0) -> None:
    """Write ``hosts`` hosts for two days; 36 h in, each group's hosts reach its domain (a key) with its image.

    A command line with ``{i}`` is each host's own process (``<domain>-<i>``: on one host, no cluster
    member); one without is a single process that every host of the group runs (``<domain>``).
    Groups start three hours apart, their hosts ``gap`` seconds apart.
    """
    store.clear()
    names = [f"ws-{i:03d}" for i in range(hosts)]
    entities = [Entity("host", h, h) for h in names] + [Entity("process", "explorer", "C:\\Windows\\explorer.exe")]
    sightings = [Sighting(h, ("process", "explorer"), START + 60 * i, END, 50) for i, h in enumerate(names)]
    relations = []
    for n, (domain, (group, image, original, line)) in enumerate(groups.items()):
        entities.append(Entity("domain", domain, domain))
        for i in group:
            t = START + 1.5 * DAY + 3 * H * n + gap * i
            key = ("process", f"{domain}-{i}" if "{i" in line else domain)
            props = {"image": image, "command_line": line.format(i=i)}
            if original is not None:
                props["original_file_name"] = original
            entities.append(Entity(*key, line.format(i=i), props))
            sightings += [Sighting(names[i], key, t, t + 600, 2), Sighting(names[i], ("domain", domain), t, t + 600, 2)]
            relations += [Relation(("process", "explorer"), "SPAWNED", key, t, t, 1, [f"ev-s-{domain}-{i}"]),
                          Relation(key, "RESOLVED", ("domain", domain), t, t + 60, 1, [f"ev-r-{domain}-{i}"])]
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()


def domain_group_clusters(store, groups: Mapping[str, Group], hosts: int = 40, gap: float = 60.0,
                          also: Callable[[object], None] | None = None) -> list:
    """:func:`write_domain_groups` (and what ``also`` writes into the store), then the clusters a
    detection finds in them (the tests' config)."""
    from analytics.detect import detect  # the fleet writer alone needs no detection

    write_domain_groups(store, groups, hosts=hosts, gap=gap)
    if also is not None:
        also(store)
    return detect(store, config=CONFIG).clusters
