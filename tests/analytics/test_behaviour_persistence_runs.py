"""A payload that a scheduled task, a service or a WMI subscription runs is one tree with its installer (task TREE).

A campaign's per-host dropper opens LSASS and installs persistence (``schtasks /create``,
``sc create``, a WMI command-line consumer by ``wmic``) whose payload, an encoded PowerShell,
is started an hour later by ``taskhostw.exe``, ``services.exe`` or ``WmiPrvSE.exe``: fleet-wide
parents, so the payload's process tree ended there and its run, an hour after the dropper's LSASS read
(past the 30-minute co-occurrence), was in no pivot: the only cluster was the installer's, whose own
command line carries the payload's encoded command (``/tr "powershell -enc ..."``), its shape saying
nothing of the persistence.  The install
(``host INSTALLED process``) names the payload, and the installer's command line names it too:
the payload is linked to its installer (:mod:`analytics.behaviour_installs`), so the campaign
pivots once, its shape saying what installed the payload and how.

End to end (store -> detect) on [embedded] and [neo4j]; :func:`names_installed` directly.
"""

from __future__ import annotations

import pytest

from analytics.behaviour_installs import mechanism_of, names_installed
from graphsiem.model import Entity, Sighting
from tests.analytics.behaviour_campaign import DAY, EXPLORER, HOSTS, LSASS, START, H, relation
from tests.analytics.vendor_fleet import PS_IMAGE, Fleet, found_on_day

RUNNERS = {
    "scheduled_task": ("taskhostw", "C:\\Windows\\System32\\taskhostw.exe", "C:\\Windows\\system32\\taskhostw.exe"),
    "service": ("services", "C:\\Windows\\System32\\services.exe", "C:\\Windows\\system32\\services.exe"),
    "wmi_subscription": ("wmiprvse", "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
                         "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding"),
}
INSTALLERS = {
    "scheduled_task": ("C:\\Windows\\System32\\schtasks.exe",
                       'schtasks.exe /create /f /tn "OneDrive Sync" /sc once /st 03:00 /tr "{command}"'),
    "service": ("C:\\Windows\\System32\\sc.exe", 'sc.exe create UpdSvc binPath= "{command}" start= auto'),
    "wmi_subscription": ("C:\\Windows\\System32\\wbem\\WMIC.exe",
                         'wmic /namespace:\\\\root\\subscription PATH CommandLineEventConsumer CREATE Name="Upd",'
                         ' CommandLineTemplate="{command}"'),
}
WORDS = {"scheduled_task": "a scheduled task", "service": "a service", "wmi_subscription": "a WMI subscription"}


def persistence_campaign(fleet: Fleet, mechanism: str, hosts: list[str], at: float, *, delay: float = H,
                         installer_names_payload: bool = True) -> None:
    """On each host a per-host dropper opens LSASS and installs (by ``mechanism``) a per-host encoded
    PowerShell, which the mechanism's runner starts ``delay`` later."""
    runner_key, runner_image, runner_command = RUNNERS[mechanism]
    runner = ("process", runner_key)
    fleet.entities.append(Entity(*runner, runner_command, {"image": runner_image}))
    fleet.sightings += [Sighting(h, runner, START, fleet.end, 5) for h in hosts]  # running all along
    installer_image, installer_command = INSTALLERS[mechanism]
    for i, h in enumerate(hosts):
        t = at + 60 * i
        path = f"C:\\Users\\Public\\p{i:04x}.exe"
        dropper = fleet.process(h, f"p-drop-{i}", f'"{path}" /q p{i:04x}', path, t - 30, 600)
        command = f"powershell.exe -nop -w hidden -enc SQBFAFgAp{i:04x}AIAAo"
        run_command = command
        if mechanism == "wmi_subscription":  # a template WMI fills as it runs it
            command, run_command = command + " %TargetInstance.ProcessId%", command + f" {4000 + i}"
        named = command if installer_names_payload else "C:\\Users\\Public\\other.exe"
        installer = fleet.process(h, f"p-inst-{i}", installer_command.format(command=named), installer_image,
                                  t + 60, 30)
        installed = fleet.process(h, f"p-installed-{i}", command, PS_IMAGE, t + 61, 1) \
            if mechanism == "wmi_subscription" else None
        payload = fleet.process(h, f"p-run-{i}", run_command, PS_IMAGE, t + delay, 60)
        fleet.relations += [relation(EXPLORER, "SPAWNED", dropper, t - 30), relation(dropper, "ACCESSED", LSASS, t),
                            relation(dropper, "SPAWNED", installer, t + 60),
                            relation(("host", h), "INSTALLED", installed or payload, t + 61),
                            relation(runner, "SPAWNED", payload, t + delay)]


@pytest.mark.parametrize("mechanism", sorted(RUNNERS))
def test_a_payload_persistence_runs_an_hour_later_pivots_with_its_installer(store, mechanism):
    """40 hosts: dropper opens LSASS, installs; the payload runs an hour later under the runner.
    One behaviour cluster of the 40 hosts, the payload's run in it, its shape naming the installer and the
    mechanism (was: one cluster of the installer's copy of the command, no run, no persistence in its shape)."""
    fleet = Fleet(days=2)
    persistence_campaign(fleet, mechanism, HOSTS, START + 1 * DAY + 2 * H)
    fleet.write(store)

    found, _ = found_on_day(store, 1)

    assert [hosts for hosts, _ in found] == [sorted(HOSTS)]
    value = found[0][1].pivot.value
    assert f"under c:\\users\\public\\*.exe via {WORDS[mechanism]}" in value, value
    assert "installed by c:\\windows\\system32\\" in value, value
    assert "1 h 00 min apart" in value  # the example pair is the payload's run, an hour after the LSASS read


def test_a_payload_whose_install_names_no_installer_on_its_host_stays_unlinked(store):
    """Guard: the installer's command line must name the payload (a process that ran then but installed
    something else is no installer): no link, no pivot, as before."""
    fleet = Fleet(days=2)
    persistence_campaign(fleet, "scheduled_task", HOSTS, START + 1 * DAY + 2 * H, installer_names_payload=False)
    fleet.write(store)

    found, _ = found_on_day(store, 1)

    assert found == []


def test_names_installed_matches_literal_pieces_in_order():
    payload = Entity("process", "k", "powershell.exe -enc QQB", {"image": PS_IMAGE})
    assert names_installed('schtasks /create /tr "powershell.exe -enc QQB"', payload)
    assert names_installed('schtasks /create /tr "C:\\WINDOWS\\...\\PowerShell.exe   -enc  QQB"', payload)
    assert not names_installed('schtasks /create /tr "powershell.exe -enc QQC"', payload)
    assert not names_installed('schtasks /create /tr "-enc QQB powershell.exe"', payload)
    assert not names_installed("(.*)+" * 50, payload)  # attacker text is data: no pattern built from it


@pytest.mark.parametrize(("command", "mechanism"), [
    ("C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", "scheduled_task"),
    ("C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s gpsvc", None),
    ("C:\\Windows\\system32\\taskeng.exe {GUID}", "scheduled_task"),
    ("C:\\Windows\\system32\\wbem\\scrcons.exe -Embedding", "wmi_subscription"),
    ("C:\\Windows\\explorer.exe", None),
])
def test_mechanism_of_a_runner_parent(command, mechanism):
    assert mechanism_of(Entity("process", "k", command)) == mechanism


def test_a_gpo_task_on_every_host_stays_routine(store):
    """A GPO's daily task on all 40 hosts: the Group Policy service starts a per-host ``schtasks /create``
    naming the day's per-host inventory command, which the Task Scheduler runs ten minutes later (an
    encoded PowerShell that opens LSASS).  Its run is linked to ``schtasks.exe`` in the window, but the
    earlier days' runs are not (their installers are before the window): the host's routine is also
    read by the run's shape without its installer, so after a week it is routine as it was."""
    days = 8
    fleet = Fleet(days=days)
    gpsvc, runner = ("process", "gpsvc"), ("process", "taskhostw")
    fleet.entities += [Entity(*gpsvc, "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s gpsvc",
                              {"image": "C:\\Windows\\System32\\svchost.exe"}),
                       Entity(*runner, RUNNERS["scheduled_task"][2], {"image": RUNNERS["scheduled_task"][1]})]
    fleet.sightings += [Sighting(h, p, START, fleet.end, 5) for h in HOSTS for p in (gpsvc, runner)]
    for day in range(days):
        for i, h in enumerate(HOSTS):
            t = START + day * DAY + 6 * H + 30 * i
            command = f"powershell.exe -nop -enc SQBuAHYA{day:02d}{i:04x}AA=="
            task = fleet.process(h, f"g-inst-{day}-{i}", f'schtasks.exe /create /f /tn Inventory /tr "{command}"',
                                 INSTALLERS["scheduled_task"][0], t, 30)
            run = fleet.process(h, f"g-run-{day}-{i}", command, PS_IMAGE, t + 600, 120)
            fleet.relations += [relation(gpsvc, "SPAWNED", task, t), relation(("host", h), "INSTALLED", run, t + 1),
                                relation(runner, "SPAWNED", run, t + 600), relation(run, "ACCESSED", LSASS, t + 660)]
    fleet.write(store)

    found, result = found_on_day(store, days - 1)

    assert found == [], [(c.pivot.value[-300:], hosts) for hosts, c in found]
    assert result.stats["behaviour_hosts_routine"] == len(HOSTS)
