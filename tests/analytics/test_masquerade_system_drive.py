"""Windows on another drive: each host's system drive is learnt from its boot processes (task MASQ, T1036.005).

A host whose Windows is installed on ``D:`` runs ``D:\\Windows\\System32\\svchost.exe``: the misplaced-
binary step read every such process as a copy outside its folder, since ``C:`` was the only system
drive.  Each host's drive is now learnt from the image paths of its boot processes (``services.exe``,
``wininit.exe``...: the ``ParentImage`` of Sysmon 1 and ``ParentProcessName`` of 4688), and a path is
judged by the drive of the hosts that ran it: on a ``D:`` host ``D:\\Windows\\System32`` is home and
``C:\\Windows\\System32`` is not; on a ``C:`` host a ``D:\\Windows\\System32\\svchost.exe`` still gets
the step, and so does a ``C:`` host where an attacker planted boot processes on ``D:`` (two drives:
nothing learnt).  The fan-out tests run on [embedded] and [neo4j].
"""

from __future__ import annotations

import pytest

from analytics.detect import detect
from analytics.masquerade_credits import masquerade_of
from analytics.misplaced_binaries import misplaced_binary, misplaced_binary_check
from analytics.system_roots import HOSTS_DRIVE_PROP, learn_system_drives
from graphsiem.model import Entity, Sighting
from tests.analytics.masquerade_fleet import write_domain_groups
from tests.analytics.test_misplaced_binaries import _steps
from tests.analytics.test_per_host_command_lines import CONFIG, END, START
from tests.analytics.test_renamed_lookalike import _process

D32 = "D:\\Windows\\System32\\"
C32 = "C:\\Windows\\System32\\"

# -- learning a host's drive -------------------------------------------------------------------------------


def test_a_hosts_drive_is_where_its_boot_processes_run():
    drives = learn_system_drives([
        ("ws-d", D32 + "services.exe"), ("ws-d", D32 + "wininit.exe"), ("ws-d", D32 + "svchost.exe"),
        ("ws-c", C32 + "services.exe"), ("ws-c", C32 + "lsass.exe"),
    ])
    assert drives.drive_of("ws-d") == "d" and drives.drive_of("ws-c") == "c"
    assert drives.drive_of("ws-unknown") == "c"  # nothing in view: the default


def test_one_boot_process_or_two_drives_teach_nothing():
    drives = learn_system_drives([
        ("ws-one", D32 + "services.exe"), ("ws-one", D32 + "services.exe"),  # one boot process, however often
        ("ws-planted", C32 + "services.exe"), ("ws-planted", D32 + "services.exe"), ("ws-planted", D32 + "wininit.exe"),
        ("ws-odd", "D:\\Temp\\services.exe"), ("ws-odd", "D:\\Temp\\wininit.exe"),  # not in a System32
        ("ws-share", "\\\\fs1\\d$\\Windows\\System32\\services.exe"), ("ws-share", "\\\\fs1\\d$\\Windows\\System32\\lsass.exe"),
    ])
    assert {h: drives.drive_of(h) for h in ("ws-one", "ws-planted", "ws-odd", "ws-share")} == dict.fromkeys(
        ("ws-one", "ws-planted", "ws-odd", "ws-share"), "c")
    assert drives.ambiguous == frozenset({"ws-planted"})


def test_a_path_is_judged_by_its_hosts_drive():
    assert misplaced_binary(D32 + "svchost.exe", "d") is None
    assert misplaced_binary("D:\\Windows\\explorer.exe", "d") is None
    wrong = misplaced_binary(C32 + "lsass.exe", "d")  # a C:\Windows on a D: host is a folder anyone made
    assert wrong is not None and wrong.found_text().endswith("outside D:\\Windows\\System32 where Windows keeps it")
    assert misplaced_binary("D:\\Users\\Public\\svchost.exe", "d").home_text() == \
        "D:\\Windows\\System32 or D:\\Windows\\SysWOW64"
    assert misplaced_binary(D32 + "svchost.exe") is not None  # a C: host (the default)


def test_a_member_marked_with_its_hosts_drive_gets_no_step_and_a_credited_process_is_judged_by_its_host():
    member = _process(D32 + "svchost.exe")
    assert misplaced_binary_check([member], "ws-1") is not None
    member.props[HOSTS_DRIVE_PROP] = "d"
    assert misplaced_binary_check([member], "ws-1") is None
    process = Entity("process", "p", "svchost.exe -k x", {"image": D32 + "svchost.exe"})
    assert masquerade_of(process, "d") is None and masquerade_of(process)[0] == "misplaced_binary"


# -- a fan-out through detection -------------------------------------------------------------------------


SVCHOST_D = D32 + "svchost.exe"
GROUPS = {  # domain -> (hosts, image, OriginalFileName, command line: one for all, or one each with {i})
    "d-hosts.example": (range(0, 20), SVCHOST_D, None, f"{SVCHOST_D} -k netsvcs -p -s NewSvc"),
    "d-per-host.example": (range(20, 35), SVCHOST_D, None, f"{SVCHOST_D} -k netsvcs -s Svc{{i:04x}}"),
    "c-hosts.example": (range(40, 60), SVCHOST_D, None, f"{SVCHOST_D} -k netsvcs -p -s Other"),
}
D_HOSTS = range(0, 35)
PLANTED = range(50, 60)  # C: hosts where D:\Windows\System32 boot processes were planted too


def _boot_processes(store, hosts: int = 60) -> None:
    """Each host's boot processes, seen the whole two days: D: for :data:`D_HOSTS`, C: for the others
    (and D: copies beside them on :data:`PLANTED`)."""
    entities, sightings = [], []
    for drive in ("C", "D"):
        for name in ("services.exe", "wininit.exe"):
            key = ("process", f"boot-{drive}-{name}")
            entities.append(Entity(*key, f"{drive}:\\Windows\\System32\\{name}",
                                   {"image": f"{drive}:\\Windows\\System32\\{name}"}))
    for i in range(hosts):
        drives = ("D",) if i in D_HOSTS else ("C", "D") if i in PLANTED else ("C",)
        for drive in drives:
            for name in ("services.exe", "wininit.exe"):
                sightings.append(Sighting(f"ws-{i:03d}", ("process", f"boot-{drive}-{name}"), START, END, 100))
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.flush()


@pytest.fixture
def clusters(store):
    write_domain_groups(store, GROUPS, hosts=60, gap=30.0)
    _boot_processes(store)
    return detect(store, config=CONFIG).clusters


def test_svchost_from_system32_of_hosts_with_windows_on_d_gets_no_step(clusters):
    cluster = next(c for c in clusters if ("domain", "d-hosts.example") in [e.ref for e in c.entities])
    assert any(e.type == "process" and e.props.get("image") == SVCHOST_D for e in cluster.entities)  # a member
    assert _steps(clusters, "d-hosts.example") == []


def test_per_host_svchosts_on_d_hosts_get_no_step_from_their_credited_processes(clusters):
    assert _steps(clusters, "d-per-host.example") == []


def test_the_same_path_on_c_hosts_still_gets_the_step_planted_boot_processes_or_not(clusters):
    (step,) = _steps(clusters, "c-hosts.example")
    assert step.startswith(f"svchost.exe runs from {SVCHOST_D} (drive D:, not the system drive C:), outside "
                           "C:\\Windows\\System32 or C:\\Windows\\SysWOW64")
