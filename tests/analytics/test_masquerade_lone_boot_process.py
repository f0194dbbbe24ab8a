"""A host with one boot process in view learns its system drive from it, when Windows started it (task MASQ3 #2, T1036.005).

A ``D:`` host whose logs show one boot process only (``D:\\Windows\\System32\\services.exe``, its
``wininit.exe`` named by a device path) kept ``C:``, so its own ``D:\\Windows\\System32\\svchost.exe``
got the misplaced-binary step.  One boot process now teaches the drive when every process that
started it is the one Windows starts it from (``wininit.exe`` for ``services.exe``), on the same
drive or named with no drive letter, and the host ran nothing from ``C:\\Windows``.  A planted
``D:`` copy started from a shell, or one on a host that runs ``C:\\Windows`` binaries, teaches
nothing; the red team's planted chain beside real ``C:`` boot processes stays two drives
(``test_masquerade_system_drive``).  The fan-out tests run on [embedded] and [neo4j].
"""

from __future__ import annotations

import pytest

from analytics.system_roots import is_anchored, is_default_windows, learn_system_drives
from graphsiem.model import Entity, Relation, Sighting
from tests.analytics.masquerade_fleet import domain_group_clusters
from tests.analytics.test_misplaced_binaries import _steps
from tests.analytics.test_per_host_command_lines import END, START

D32 = "D:\\Windows\\System32\\"
SERVICES = D32 + "services.exe"
WININIT_DEVICE = "\\Device\\HarddiskVolume2\\Windows\\System32\\wininit.exe"


def _drive(sightings, parents) -> str:
    return learn_system_drives(sightings, parents).drive_of("ws-1")


# -- one boot process --------------------------------------------------------------------------------


def test_one_boot_process_started_by_its_windows_parent_teaches_the_drive():
    drives = learn_system_drives([("ws-1", SERVICES)], {("ws-1", SERVICES.lower()): [WININIT_DEVICE]})
    assert drives.drive_of("ws-1") == "d" and drives.alone == frozenset({"ws-1"})
    for parent in ("\\SystemRoot\\System32\\wininit.exe", D32 + "wininit.exe"):
        assert _drive([("ws-1", SERVICES)], {("ws-1", SERVICES.lower()): [parent]}) == "d", parent
    smss = D32 + "smss.exe"  # a session's smss.exe, started by the master smss.exe
    assert _drive([("ws-1", smss)], {("ws-1", smss.lower()): ["\\SystemRoot\\System32\\smss.exe"]}) == "d"


@pytest.mark.parametrize(("parents", "why"), [
    (None, "no parents given: the rule of two boot processes alone"),
    ([], "no process started it in view"),
    (["C:\\Windows\\System32\\cmd.exe"], "started from a shell"),
    ([WININIT_DEVICE, "C:\\Windows\\System32\\cmd.exe"], "also started from a shell"),
    (["C:\\Windows\\System32\\wininit.exe"], "its parent on another drive"),
    (["\\\\fs1\\c$\\Windows\\System32\\wininit.exe"], "its parent on a share"),
    ([D32 + "smss.exe"], "not the parent Windows starts services.exe from"),
    (["D:\\Temp\\wininit.exe"], "a wininit.exe outside System32"),
    (["wininit.exe"], "a bare name: where it ran is not known"),
    ([None], "a parent with no image"),
])
def test_one_boot_process_without_its_windows_parent_teaches_nothing(parents, why):
    given = None if parents is None else {("ws-1", SERVICES.lower()): parents}
    assert _drive([("ws-1", SERVICES)], given) == "c", why


def test_a_host_that_runs_c_windows_binaries_keeps_c():
    sightings = [("ws-1", SERVICES), ("ws-1", "C:\\Windows\\System32\\conhost.exe")]
    assert _drive(sightings, {("ws-1", SERVICES.lower()): [WININIT_DEVICE]}) == "c"
    assert is_default_windows("\\??\\C:\\Windows\\explorer.exe") and not is_default_windows("C:\\Users\\x\\windows.exe")


def test_parents_count_on_the_host_that_ran_the_process_only():
    # ws-2's copy was started from a shell: ws-1's, started by wininit.exe, still teaches ws-1's drive
    parents = {("ws-1", SERVICES.lower()): [WININIT_DEVICE], ("ws-2", SERVICES.lower()): ["C:\\Windows\\System32\\cmd.exe"]}
    drives = learn_system_drives([("ws-1", SERVICES), ("ws-2", SERVICES)], parents)
    assert (drives.drive_of("ws-1"), drives.drive_of("ws-2")) == ("d", "c")


def test_two_drives_stay_ambiguous_whatever_the_parents():
    sightings = [("ws-1", SERVICES), ("ws-1", "C:\\Windows\\System32\\services.exe")]
    drives = learn_system_drives(sightings, {("ws-1", SERVICES.lower()): [WININIT_DEVICE]})
    assert drives.drive_of("ws-1") == "c" and drives.ambiguous == frozenset({"ws-1"})


def test_is_anchored_reads_the_windows_chain():
    assert is_anchored(D32 + "lsass.exe", [WININIT_DEVICE])
    assert is_anchored(D32 + "winlogon.exe", ["\\SystemRoot\\System32\\smss.exe"])
    assert not is_anchored(D32 + "lsass.exe", ["\\SystemRoot\\System32\\smss.exe"])
    assert not is_anchored(D32 + "svchost.exe", [D32 + "services.exe"])  # no boot process


# -- a fan-out through detection -------------------------------------------------------------------------

SVCHOST_D = D32 + "svchost.exe"
GROUPS = {  # domain -> (hosts, image, OriginalFileName, command line: one for all, or one each with {i})
    "d-lone.example": (range(0, 20), SVCHOST_D, None, f"{SVCHOST_D} -k netsvcs -p -s NewSvc"),
    "c-planted.example": (range(40, 60), SVCHOST_D, None, f"{SVCHOST_D} -k netsvcs -p -s Other"),
}
LONE = range(0, 20)  # D: hosts that show services.exe alone, started by wininit.exe named by a device path
SHELL = range(40, 50)  # C: hosts: a planted D: services.exe started from cmd.exe
SPOOFED = range(50, 60)  # C: hosts: a planted one whose parent reads as wininit.exe, beside C:\Windows binaries


def _boot_chains(store) -> None:
    """Each group's boot process, its parent (a relation) and, on :data:`SPOOFED`, a ``C:\\Windows`` binary."""
    processes = {
        "services-d": (SERVICES, SERVICES), "services-planted": (SERVICES, f"{SERVICES} /planted"),
        "services-spoofed": (SERVICES, f"{SERVICES} /spoofed"), "wininit-device": (WININIT_DEVICE, WININIT_DEVICE),
        "cmd": ("C:\\Windows\\System32\\cmd.exe", "cmd.exe /c start"),
        "conhost": ("C:\\Windows\\System32\\conhost.exe", "conhost.exe 0xffffffff"),
    }
    store.upsert_entities([Entity("process", key, line, {"image": image, "command_line": line})
                           for key, (image, line) in processes.items()])
    runs = {"services-d": LONE, "services-planted": SHELL, "services-spoofed": SPOOFED, "wininit-device": [*LONE, *SPOOFED],
            "cmd": SHELL, "conhost": SPOOFED}
    store.upsert_sightings([Sighting(f"ws-{i:03d}", ("process", key), START, END, 50)
                            for key, hosts in runs.items() for i in hosts])
    started = [("wininit-device", "services-d"), ("cmd", "services-planted"), ("wininit-device", "services-spoofed")]
    store.upsert_relations([Relation(("process", parent), "SPAWNED", ("process", child), START, START, 1, [f"ev-{child}"])
                            for parent, child in started])
    store.flush()


@pytest.fixture
def clusters(store):
    return domain_group_clusters(store, GROUPS, hosts=60, gap=30.0, also=_boot_chains)


def test_svchost_from_d_system32_of_hosts_with_one_anchored_boot_process_gets_no_step(clusters):
    assert _steps(clusters, "d-lone.example") == []


def test_planted_d_boot_processes_on_c_hosts_teach_nothing(clusters):
    # the planted services.exe copies join the cluster of the D: svchost.exe on those hosts: both are misplaced
    (step,) = _steps(clusters, "c-planted.example")
    assert f"runs from {D32}" in step and "(drive D:, not the system drive C:), outside C:\\Windows\\System32" in step
