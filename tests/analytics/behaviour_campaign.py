"""A fleet whose campaign varies every entity per host, for the behaviour-pivot tests (task G3).

40 hosts for two days.  36 h in, on each of 8 campaign hosts a dropper of its own
(``C:\\Users\\Public\\upd<i>.exe``, its own command line) opens LSASS and, two minutes later,
starts an encoded PowerShell command of its own: no new entity is shared by two hosts
(review T7).  Beside it, what must make no behaviour pivot:

* ``ADMIN_HOSTS``: admins run an encoded PowerShell command with each host's name in it
  (one fact per host);
* ``TOOL_HOSTS``: one tool, the same command line on every host (an EDR's scanner), opens
  LSASS and starts a per-host encoded command: its LSASS read is no fact (shared process);
* ``SLOW_HOSTS``: a per-host dropper opens LSASS, and three hours later an unrelated per-host
  encoded command runs (explorer.exe started it, not the dropper: no process tree joins the two,
  task F4; :func:`build_spaced_fleet` is the campaign whose dropper starts it).

:func:`build_routine_fleet` is a three-day store (task G3b): on each of ``ROUTINE_HOSTS``,
every day, an updater under a new temporary name opens LSASS and starts an encoded
PowerShell command of its own (a benign per-host pair that recurs daily), and on the third
day the campaign runs on ``CAMPAIGN_HOSTS``.  Its ``routine_days`` and ``routine_hosts`` make the
pair a one-time event instead (task H1, review T8: a one-time EDR upgrade on day 0 only).

:func:`build_one_process_fleet` (task H1, review T8): on each campaign host *one* per-host process
carries two kinds, an encoded PowerShell command that itself opens LSASS; with ``maldoc``, Word
started it (a third kind: three signatures on the same hosts, one cluster).

Everything is written to the store with :meth:`GraphStore.upsert_entities` and friends.
"""

from __future__ import annotations

from collections.abc import Iterable

from analytics.behaviour_pivots import behaviour_key, is_behaviour
from analytics.behaviour_shapes import shape_id
from analytics.detect import detect
from graphsiem.model import Entity, Relation, Sighting

H = 3600.0
DAY = 24 * H
START = 1_780_000_000.0  # 2026-05-28
END = START + 2 * DAY
HOSTS = [f"ws-{i:03d}" for i in range(40)]
CAMPAIGN_HOSTS = HOSTS[:8]
ADMIN_HOSTS = HOSTS[10:20]
TOOL_HOSTS = HOSTS[20:26]
SLOW_HOSTS = HOSTS[30:36]
ROUTINE_HOSTS = HOSTS[10:22]
ROUTINE_DAYS = 3
LSASS = ("process", "lsass")
EXPLORER = ("process", "explorer")
TOOL = ("process", "edr-scan")
DROPPER_PATH = "C:\\Users\\Public\\upd{i:04x}.exe"
WORD = ("process", "winword")
CAMPAIGN_SHAPE = ("encoded powershell by c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe under "
                  "c:\\users\\public\\*.exe; lsass access by c:\\users\\public\\*.exe under c:\\windows\\explorer.exe")
"""The shape of the campaign's pair (:mod:`analytics.behaviour_shapes`): its per-host dropper names generalised."""
KINDS = ("encoded_powershell", "lsass_access")
"""The campaign's pair of fact kinds."""
CAMPAIGN_KEY = behaviour_key(KINDS, shape_id(KINDS, CAMPAIGN_SHAPE))
"""The campaign's behaviour pivot: its pair of kinds, of its shape."""


def campaign_time(i: int) -> float:
    """When campaign host ``i``'s dropper opened LSASS (its encoded command: two minutes later)."""
    return START + 1.5 * DAY + 60 * i


def relation(src, kind, dst, t):
    """``src kind dst`` seen at ``t`` for a minute (one evidence id)."""
    return Relation(src, kind, dst, t, t + 60, 1, [f"ev-{src[1]}-{kind}-{dst[1]}"])


def per_host_reads(src, dst, t, hosts):
    """``src ACCESSED dst`` once on each of ``hosts``, a minute apart from ``t``: one fleet-wide edge whose count
    is the reads, as the projection writes one Sysmon 10 per host (the hosts themselves are not stored)."""
    return Relation(src, "ACCESSED", dst, t, t + 60 * len(hosts), len(hosts), [f"ev-{src[1]}-read-{h}" for h in hosts])


def behaviour_clusters(result):
    """The clusters of ``result`` that pivot on a behaviour signature."""
    return [c for c in result.clusters if is_behaviour(c.pivot.ref)]


def _encoded(name: str, token: str) -> Entity:
    return Entity("process", name, f"powershell.exe -nop -w hidden -enc SQBFAFgA{token}AIAAoAE4AZQB3AC0ATwBi",
                  {"image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"})


def _dropper_pair(prefix: str, i: int, host: str, t_lsass: float, t_encoded: float, *, related: bool = True):
    """A per-host dropper that opens LSASS at ``t_lsass`` and starts a per-host encoded command at ``t_encoded``
    (``related`` false: explorer.exe starts it, so the two share no process tree)."""
    dropper = ("process", f"{prefix}-drop-{i}")
    child = _encoded(f"{prefix}-enc-{i}", f"{prefix}{i:04x}")
    path = DROPPER_PATH.format(i=i) if prefix == "c" else f"C:\\ProgramData\\{prefix}{i}\\svc{i}.exe"
    entities = [Entity(*dropper, f'"{path}" /q {prefix}{i:04x}', {"image": path}), child]
    sightings = [Sighting(host, dropper, t_lsass - 30, t_lsass + 600, 1),
                 Sighting(host, child.ref, t_encoded, t_encoded + 60, 1), Sighting(host, LSASS, t_lsass, t_lsass, 1)]
    relations = [relation(EXPLORER, "SPAWNED", dropper, t_lsass - 30), relation(dropper, "ACCESSED", LSASS, t_lsass),
                 relation(dropper if related else EXPLORER, "SPAWNED", child.ref, t_encoded)]
    return entities, sightings, relations


def build_fleet(store, *, campaign_hosts: list[str] = CAMPAIGN_HOSTS) -> None:
    """Write the fleet (module docstring) to ``store``, cleared first."""
    entities, sightings = _every_host(END)
    entities.append(Entity(*TOOL, '"C:\\Program Files\\EDR\\scan.exe" --full',
                           {"image": "C:\\Program Files\\EDR\\scan.exe"}))
    relations = []
    for i, h in enumerate(campaign_hosts):
        found = _dropper_pair("c", i, h, campaign_time(i), campaign_time(i) + 120)
        entities += found[0]
        sightings += found[1]
        relations += found[2]
    for i, h in enumerate(ADMIN_HOSTS):
        t = START + 1.6 * DAY + 120 * i
        admin = _encoded(f"admin-{i}", f"{h}")
        entities.append(admin)
        sightings.append(Sighting(h, admin.ref, t, t + 60, 1))
        relations.append(relation(EXPLORER, "SPAWNED", admin.ref, t))
    for i, h in enumerate(TOOL_HOSTS):
        t = START + 1.55 * DAY + 60 * i
        child = _encoded(f"tool-enc-{i}", f"t{i:04x}")
        entities.append(child)
        sightings += [Sighting(h, TOOL, t - 30, t + 600, 1), Sighting(h, child.ref, t + 120, t + 180, 1)]
        relations.append(relation(TOOL, "SPAWNED", child.ref, t + 120))
    relations.append(relation(TOOL, "ACCESSED", LSASS, START + 1.55 * DAY))
    for i, h in enumerate(SLOW_HOSTS):
        t = START + 1.45 * DAY + 60 * i
        found = _dropper_pair("s", i, h, t, t + 3 * H, related=False)
        entities += found[0]
        sightings += found[1]
        relations += found[2]
    _write(store, entities, sightings, relations)


def _every_host(end: float) -> tuple[list[Entity], list[Sighting]]:
    """The hosts, and explorer.exe and lsass.exe on each of them until ``end``."""
    entities = [Entity("host", h, h) for h in HOSTS]
    entities += [Entity(*EXPLORER, "C:\\Windows\\explorer.exe", {"image": "C:\\Windows\\explorer.exe"}),
                 Entity(*LSASS, "C:\\Windows\\system32\\lsass.exe", {"image": "C:\\Windows\\system32\\lsass.exe"})]
    sightings = [Sighting(h, EXPLORER, START + 60 * i, end, 50) for i, h in enumerate(HOSTS)]
    sightings += [Sighting(h, LSASS, START + 60 * i, end, 1) for i, h in enumerate(HOSTS)]
    return entities, sightings


def _write(store, entities: list[Entity], sightings: list[Sighting], relations: list[Relation]) -> None:
    """Clear ``store`` and write the fleet to it."""
    store.clear()
    add_to_store(store, entities, sightings, relations)


def add_to_store(store, entities: list[Entity], sightings: list[Sighting], relations: list[Relation]) -> None:
    """Write more of the fleet to ``store`` (nothing cleared) and flush it."""
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()


def cluster_of(store, pivot, config, now: float = END):
    """The one cluster of a detection at ``now`` whose pivot is ``pivot``."""
    (cluster,) = [c for c in detect(store, config=config, now=now).clusters if c.pivot.ref == pivot]
    return cluster


def routine_time(day: int, i: int) -> float:
    """When routine host ``i``'s updater opened LSASS on ``day`` (0-based; its encoded command: two minutes later)."""
    return START + day * DAY + 3 * H + 60 * i


def build_routine_fleet(
    store, *, campaign_hosts: list[str] = CAMPAIGN_HOSTS, routine_days: Iterable[int] | None = None,
    routine_hosts: list[str] = ROUTINE_HOSTS, days: int = ROUTINE_DAYS,
) -> None:
    """Write the routine fleet (module docstring) of ``days`` days (three) to ``store``, cleared first.

    The routine pair runs on each of ``routine_hosts`` on each of ``routine_days`` (0-based, at
    :func:`routine_time`; default every day); the campaign on the last day, 12 hours in
    (:func:`routine_campaign_time`).
    """
    routine_days = range(days) if routine_days is None else routine_days
    entities, sightings = _every_host(START + days * DAY)
    relations = []
    found = [_dropper_pair(f"r{day}x", i, h, routine_time(day, i), routine_time(day, i) + 120)
             for day in routine_days for i, h in enumerate(routine_hosts)]
    found += [_dropper_pair("c", i, h, routine_campaign_time(i, days - 1), routine_campaign_time(i, days - 1) + 120)
              for i, h in enumerate(campaign_hosts)]
    for new_entities, new_sightings, new_relations in found:
        entities += new_entities
        sightings += new_sightings
        relations += new_relations
    _write(store, entities, sightings, relations)


def routine_campaign_time(i: int, day: int = ROUTINE_DAYS - 1) -> float:
    """When campaign host ``i``'s dropper opened LSASS in the routine fleet (on ``day``, the last: the third, 12 h in)."""
    return START + day * DAY + 12 * H + 60 * i


def add_campaign_host(store, i: int, host: str) -> None:
    """Add (nothing cleared) campaign host ``i``'s dropper pair on ``host`` at :func:`routine_campaign_time`.

    Late telemetry of the routine fleet's third day (task G3c): a host the detection did not see showing the pair.
    """
    entities, sightings, relations = _dropper_pair("c", i, host, routine_campaign_time(i), routine_campaign_time(i) + 120)
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()


def build_one_process_fleet(store, *, maldoc: bool = False) -> None:
    """Write the fleet of :func:`build_fleet` without its campaign, plus the one-process campaign (cleared first).

    On each of ``CAMPAIGN_HOSTS`` at :func:`campaign_time`, a per-host encoded PowerShell command
    starts and a minute later opens LSASS itself; its parent is explorer.exe, or with ``maldoc``
    Word (on every host since the store's start, so not new: only the behaviour is).
    """
    build_fleet(store, campaign_hosts=[])
    parent = WORD if maldoc else EXPLORER
    word = Entity(*WORD, '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n',
                  {"image": "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE"})
    entities = [word] if maldoc else []
    sightings = [Sighting(h, WORD, START + 60 * i, END, 5) for i, h in enumerate(HOSTS)] if maldoc else []
    relations = []
    for i, h in enumerate(CAMPAIGN_HOSTS):
        t = campaign_time(i)
        script = _encoded(f"one-enc-{i}", f"o{i:04x}")
        entities.append(script)
        sightings.append(Sighting(h, script.ref, t, t + 600, 1))
        relations += [relation(parent, "SPAWNED", script.ref, t), relation(script.ref, "ACCESSED", LSASS, t + 60)]
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()




def build_office_stage_fleet(store) -> None:
    """:func:`build_fleet` without its campaign, plus an Office-stage campaign on ``CAMPAIGN_HOSTS`` (task H1, review T8).

    On each campaign host a per-host encoded PowerShell command runs; 16 minutes later Word (on
    every host, not new) starts a per-host ``wscript.exe``, whose per-host dropper opens LSASS 16
    minutes after that.  Office pairs with each within 30 minutes, the other two are 32 minutes
    apart: two signatures on the same hosts (encoded PowerShell + Office, LSASS + Office), one
    cluster, the LSASS reads credited to the member signature, not the pivot.
    """
    build_fleet(store, campaign_hosts=[])
    word = Entity(*WORD, '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n',
                  {"image": "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE"})
    entities, relations = [word], []
    sightings = [Sighting(h, WORD, START + 60 * i, END, 5) for i, h in enumerate(HOSTS)]
    for i, h in enumerate(CAMPAIGN_HOSTS):
        t = campaign_time(i)
        child = _encoded(f"c-enc-{i}", f"c{i:04x}")
        script = Entity("process", f"c-js-{i}", f'"C:\\Windows\\System32\\wscript.exe" "C:\\Users\\Public\\doc{i:04x}.js"',
                        {"image": "C:\\Windows\\System32\\wscript.exe"})
        path = DROPPER_PATH.format(i=i)
        dropper = Entity("process", f"c-drop-{i}", f'"{path}" /q c{i:04x}', {"image": path})
        entities += [child, script, dropper]
        t_script, t_lsass = t + 16 * 60, t + 32 * 60
        sightings += [Sighting(h, child.ref, t, t + 60, 1), Sighting(h, script.ref, t_script, t_script + 60, 1),
                      Sighting(h, dropper.ref, t_lsass - 30, t_lsass + 600, 1)]
        relations += [relation(EXPLORER, "SPAWNED", child.ref, t), relation(WORD, "SPAWNED", script.ref, t_script),
                      relation(script.ref, "SPAWNED", dropper.ref, t_lsass - 30), relation(dropper.ref, "ACCESSED", LSASS, t_lsass)]
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()


def build_spaced_fleet(store, *, hours: float = 3.0) -> None:
    """:func:`build_fleet` whose campaign spaces its steps (task F4, red-team T8 v2): on each campaign
    host the dropper opens LSASS and starts its encoded command ``hours`` later (the dropper is its
    parent: one process tree)."""
    build_fleet(store, campaign_hosts=[])
    entities, sightings, relations = [], [], []
    for i, h in enumerate(CAMPAIGN_HOSTS):
        found = _dropper_pair("c", i, h, campaign_time(i) - hours * H, campaign_time(i))
        entities += found[0]
        sightings += found[1]
        relations += found[2]
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()
