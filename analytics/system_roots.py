"""Each host's system drive, learnt from the image paths of its own boot processes.

Windows is installed on ``C:`` almost everywhere, but not always: a host set up with Windows on
``D:`` runs ``D:\\Windows\\System32\\svchost.exe``, which :mod:`analytics.misplaced_binaries` would
otherwise read as a copy outside its folder.  So each host's system drive is learnt from its own
events, and the check judges a path by the drive of the host that ran it.

What the telemetry carries: no Sysmon or Security event holds the ``SystemRoot`` or ``windir``
environment variable (Sysmon 1 has the ``CurrentDirectory``, which any program sets), but every
host names its boot processes all day long, as the ``ParentImage`` of Sysmon 1 and the
``ParentProcessName`` of Security 4688: ``services.exe`` starts every service, ``wininit.exe``
starts ``services.exe`` and ``lsass.exe``, ``smss.exe`` starts ``csrss.exe``, ``wininit.exe`` and
``winlogon.exe``.  Windows starts them only from its own System32 (:data:`BOOT_PROCESSES`), so
the drive they run from is the host's system drive.

A copy an attacker plants does not move it: a host's drive is learnt only when its boot processes
ran from one drive only, at least :data:`MIN_BOOT_PROCESSES` of them (a planted
``D:\\Windows\\System32\\services.exe`` on a ``C:`` host leaves its real ``C:`` boot processes
beside it: two drives, nothing learnt, and the host keeps ``C:``).  A host with no boot process
in view keeps ``C:`` too, the default.

A host that shows one boot process only (its others started before the logs, or are filtered
out) is learnt from it when it ran as Windows runs it and nothing says otherwise
(:func:`is_anchored`): every process that started it is the one Windows starts it from
(:data:`BOOT_PARENTS`: ``wininit.exe`` starts ``services.exe`` and ``lsass.exe``, ``smss.exe``
starts ``csrss.exe``, ``wininit.exe``, ``winlogon.exe`` and the session's ``smss.exe``), from the
same drive's System32 or one written with no drive letter (``\\SystemRoot\\System32\\smss.exe``,
``\\Device\\HarddiskVolume2\\...``), and at least one did; and the host ran nothing from the
default drive's Windows folder (a host whose Windows is on ``D:`` runs no ``C:\\Windows``
binary, a ``C:`` host runs dozens).  A copy an attacker starts from their own shell, a service
or a scheduled task has the wrong parent; ``wininit.exe`` and ``smss.exe`` are protected
processes an administrator cannot name as the parent of another (parent-process spoofing needs a
handle to them), and a ``C:`` host's own ``svchost.exe``, ``conhost.exe``... contradict the
planted drive.  The ``C:\\Windows`` rule is kept from the two-process learning on purpose: there,
a binary planted in ``C:\\Windows`` on a true ``D:`` host would move the host back to ``C:`` and
put the planted binary at home; for one boot process it can only keep ``C:``, as before.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from analytics.driver_paths import read_windows_path
from analytics.incidence import Incidence
from graphsiem.model import Entity, EntityKey, EntityType, Relation

DEFAULT_DRIVE = "c"
"""The system drive of a host whose own is not learnt (Windows' default and near-universal one)."""

BOOT_PROCESSES = frozenset({"smss.exe", "csrss.exe", "wininit.exe", "services.exe", "lsass.exe", "winlogon.exe"})
"""Processes every Windows host runs from its own System32 only, from boot on: the session manager's chain."""

MIN_BOOT_PROCESSES = 2
"""Different boot processes a host must have run from one drive for that drive to be learnt (one
copy of one of them is easier to plant than the chain that starts the others), unless the one
it ran is anchored (:func:`is_anchored`)."""

BOOT_PARENTS: Mapping[str, frozenset[str]] = {
    "smss.exe": frozenset({"smss.exe"}),  # a session's smss.exe, from the master (started by the kernel, named by no event)
    "csrss.exe": frozenset({"smss.exe"}), "wininit.exe": frozenset({"smss.exe"}), "winlogon.exe": frozenset({"smss.exe"}),
    "services.exe": frozenset({"wininit.exe"}), "lsass.exe": frozenset({"wininit.exe"}),
}
"""Each boot process and the process Windows starts it from (the session manager's chain)."""

_SYSTEM32 = "\\windows\\system32\\"


def boot_process_drive(image: object) -> tuple[str, str] | None:
    r"""``(drive, boot process)`` when ``image`` is a boot process in a drive's ``\Windows\System32``, else ``None``.

    Examples
    --------
    >>> boot_process_drive(r"D:\Windows\System32\services.exe"), boot_process_drive(r"C:\WINDOWS\system32\smss.exe")
    (('d', 'services.exe'), ('c', 'smss.exe'))
    >>> [boot_process_drive(p) for p in (r"D:\Temp\services.exe", r"\Device\HarddiskVolume3\Windows\System32\lsass.exe",
    ...                                   r"C:\Windows\System32\svchost.exe", r"\\fs1\c$\Windows\System32\lsass.exe", None)]
    [None, None, None, None, None]
    """
    if not isinstance(image, str):
        return None
    read = read_windows_path(image)
    # a device path names no drive letter, a share or a snapshot is no host's own system
    if read is None or read.drive is None or read.elsewhere is not None:
        return None
    folder, _, name = read.folders.rpartition("\\")
    if name in BOOT_PROCESSES and folder + "\\" == _SYSTEM32:
        return read.drive, name
    return None


@dataclass(frozen=True, slots=True)
class SystemDrives:
    """The system drive of each host whose own was learnt (:func:`learn_system_drives`); others have ``C:``."""

    learnt: Mapping[str, str] = field(default_factory=dict)
    """Host -> its system drive (lower-case letter), for hosts whose drive is not the default."""
    ambiguous: frozenset[str] = frozenset()
    """Hosts whose boot processes ran from two drives or more (nothing learnt: they keep ``C:``)."""
    alone: frozenset[str] = frozenset()
    """Hosts of :attr:`learnt` learnt from one boot process (:func:`is_anchored`)."""

    def drive_of(self, host: str | None) -> str:
        """The system drive of ``host`` (the default for an unknown host or none).

        Examples
        --------
        >>> drives = SystemDrives({"ws-9": "d"})
        >>> drives.drive_of("ws-9"), drives.drive_of("ws-1"), drives.drive_of(None)
        ('d', 'c', 'c')
        """
        return self.learnt.get(host, DEFAULT_DRIVE) if host is not None else DEFAULT_DRIVE

    def common_drive(self, hosts: Iterable[str]) -> str:
        """The system drive every one of ``hosts`` has, else the default (no host, or hosts with different ones).

        Examples
        --------
        >>> drives = SystemDrives({"ws-8": "d", "ws-9": "d"})
        >>> drives.common_drive(["ws-8", "ws-9"]), drives.common_drive(["ws-8", "ws-1"]), drives.common_drive([])
        ('d', 'c', 'c')
        """
        found = {self.drive_of(host) for host in hosts}
        return found.pop() if len(found) == 1 else DEFAULT_DRIVE


def learn_system_drives(sightings: Iterable[tuple[str, object]],
                        parents: Mapping[tuple[str, str], Collection[object]] | None = None) -> SystemDrives:
    r"""Each host's system drive from ``(host, process image path)`` pairs (see the module text).

    Parameters
    ----------
    sightings : iterable of (str, object)
        A host and the image path of a process it ran (attacker text: only compared).  Any
        process may be given: boot processes in a ``\Windows\System32`` count, and a process
        in the default drive's Windows folder contradicts a host's lone boot process.
    parents : mapping, optional
        ``(host, a boot process's image path in lower case)`` -> the image paths of the processes
        that started it there (:func:`is_anchored`).  Without it no host is learnt from one boot process.

    Examples
    --------
    >>> d = r"D:\Windows\System32"
    >>> drives = learn_system_drives([("ws-9", d + r"\services.exe"), ("ws-9", d + r"\wininit.exe"),
    ...     ("ws-1", r"C:\Windows\System32\services.exe"), ("ws-1", d + r"\services.exe"), ("ws-1", d + r"\lsass.exe"),
    ...     ("ws-1", r"C:\Windows\System32\wininit.exe"), ("ws-7", d + r"\lsass.exe")])
    >>> drives.drive_of("ws-9"), drives.drive_of("ws-1"), drives.drive_of("ws-7"), sorted(drives.ambiguous)
    ('d', 'c', 'c', ['ws-1'])
    >>> parents = {("ws-7", (d + r"\lsass.exe").lower()): [r"\Device\HarddiskVolume3\Windows\System32\wininit.exe"]}
    >>> learn_system_drives([("ws-7", d + r"\lsass.exe")], parents).drive_of("ws-7")
    'd'
    >>> learn_system_drives([("ws-7", d + r"\lsass.exe"), ("ws-7", r"C:\Windows\System32\conhost.exe")], parents).drive_of("ws-7")
    'c'
    """
    seen: dict[str, dict[str, set[str]]] = {}
    images: dict[str, set[str]] = {}  # host -> its boot processes' image paths (lower case)
    on_default = set()  # hosts that ran something from the default drive's Windows folder
    for host, image in sightings:
        found = boot_process_drive(image)
        if found is not None:
            seen.setdefault(host, {}).setdefault(found[0], set()).add(found[1])
            images.setdefault(host, set()).add(str(image).lower())
        elif is_default_windows(image):
            on_default.add(host)
    learnt: dict[str, str] = {}
    alone = set()
    ambiguous = set()
    for host, drives in seen.items():
        if len(drives) > 1:
            ambiguous.add(host)
            continue
        ((drive, names),) = drives.items()
        if drive == DEFAULT_DRIVE:
            continue
        if len(names) >= MIN_BOOT_PROCESSES:
            learnt[host] = drive
        elif parents is not None and host not in on_default and all(
                is_anchored(image, parents.get((host, image), ())) for image in images[host]):
            learnt[host] = drive
            alone.add(host)
    return SystemDrives(learnt, frozenset(ambiguous), frozenset(alone))


def is_anchored(image: object, parent_images: Collection[object]) -> bool:
    r"""Whether the boot process ``image`` ran only as Windows runs it: started by its
    :data:`BOOT_PARENTS` process (at least once, and never by another), from its own drive's
    ``\Windows\System32`` or one written with no drive letter.

    Examples
    --------
    >>> d = r"D:\Windows\System32"
    >>> is_anchored(d + r"\services.exe", [d + r"\wininit.exe"]), is_anchored(d + r"\services.exe", [r"\SystemRoot\System32\wininit.exe"])
    (True, True)
    >>> is_anchored(d + r"\services.exe", []), is_anchored(d + r"\services.exe", [d + r"\wininit.exe", r"C:\Windows\System32\cmd.exe"])
    (False, False)
    >>> is_anchored(d + r"\services.exe", [r"C:\Windows\System32\wininit.exe"]), is_anchored(d + r"\lsass.exe", [r"\\fs1\c$\Windows\System32\wininit.exe"])
    (False, False)
    """
    found = boot_process_drive(image)
    if found is None or not parent_images:
        return False
    drive, name = found
    for parent in parent_images:
        read = read_windows_path(parent) if isinstance(parent, str) else None
        if read is None or read.elsewhere is not None or read.drive not in (None, drive):
            return False
        folder, _, parent_name = read.folders.rpartition("\\")
        if folder + "\\" != _SYSTEM32 or parent_name not in BOOT_PARENTS[name]:
            return False
    return True


def is_default_windows(image: object) -> bool:
    r"""Whether ``image`` is in the default drive's Windows folder (``C:\Windows\...``).

    Examples
    --------
    >>> is_default_windows(r"C:\Windows\System32\svchost.exe"), is_default_windows(r"D:\Windows\explorer.exe")
    (True, False)
    >>> is_default_windows(r"C:\Users\a\x.exe"), is_default_windows(r"\SystemRoot\System32\smss.exe"), is_default_windows(None)
    (False, False, False)
    """
    if not isinstance(image, str) or "windows" not in image.lower():
        return False  # the common case, read cheaply: a path with no Windows folder
    read = read_windows_path(image)
    return (read is not None and read.drive == DEFAULT_DRIVE and read.elsewhere is None
            and read.folders.startswith("\\windows\\"))


HOSTS_DRIVE_PROP = "hosts_system_drive"
"""A process's prop set by :func:`mark_hosts_drive`: the system drive every host that ran it has, when not ``C:``."""


def _process_columns(incidence: Incidence) -> range:
    """The incidence's process columns (sorted by ``(type, key)``, so one slice)."""
    kind = EntityType.PROCESS.value
    return range(bisect_left(incidence.entities, (kind, "")), bisect_left(incidence.entities, (kind + "\0", "")))


def _column_hosts(incidence: Incidence, column: int) -> list[str]:
    return [incidence.hosts[int(row)] for row in incidence.hosts_of(column)]


def learn_incidence_drives(incidence: Incidence, processes: Mapping[EntityKey, Entity],
                           spawned: Iterable[Relation] = ()) -> SystemDrives:
    """:func:`learn_system_drives` over the window's incidence: each host and the images of the boot processes it ran.

    Only the boot processes' columns are read (a handful per fleet, one per path and command
    line).  When a host ran one boot process only, from a drive other than ``C:``, the
    ``spawned`` relations (``process SPAWNED process``) give its parents and the host's
    processes in ``C:\\Windows`` are read too, for that host alone (:func:`is_anchored`).
    """
    columns = _process_columns(incidence)
    boot: list[tuple[str, object]] = []
    boot_columns: dict[EntityKey, int] = {}
    for column in columns:
        process = processes.get(incidence.entities[column])
        image = process.props.get("image") if process is not None else None
        if boot_process_drive(image) is not None:
            boot_columns[incidence.entities[column]] = column
            boot.extend((host, image) for host in _column_hosts(incidence, column))
    alone = _one_boot_process_elsewhere(boot)
    if not alone:
        return learn_system_drives(boot)
    # a process is one node for every host that ran it: its parents are read for those hosts alone
    parents: dict[tuple[str, str], list[object]] = {}
    for relation in spawned:
        boot_column = boot_columns.get(relation.dst)
        if boot_column is None:
            continue
        parent = processes.get(relation.src)
        parent_image = parent.props.get("image") if parent is not None else None
        image = str(processes[relation.dst].props.get("image")).lower()
        for host in _column_hosts(incidence, boot_column):
            if host in alone:
                parents.setdefault((host, image), []).append(parent_image)
    contradicting: list[tuple[str, object]] = []
    for column in columns:
        process = processes.get(incidence.entities[column])
        image = process.props.get("image") if process is not None else None
        if is_default_windows(image):
            contradicting.extend((host, image) for host in _column_hosts(incidence, column) if host in alone)
    return learn_system_drives(boot + contradicting, parents)


def _one_boot_process_elsewhere(boot: Iterable[tuple[str, object]]) -> set[str]:
    """The hosts of ``boot`` (``(host, boot process image)``) that ran one boot process, from one drive not ``C:``."""
    seen: dict[str, set[tuple[str, str]]] = {}
    for host, image in boot:
        found = boot_process_drive(image)
        if found is not None:
            seen.setdefault(host, set()).add(found)
    return {host for host, found in seen.items() if len(found) == 1 and next(iter(found))[0] != DEFAULT_DRIVE}


def mark_hosts_drive(incidence: Incidence, processes: Mapping[EntityKey, Entity], drives: SystemDrives) -> int:
    r"""Set :data:`HOSTS_DRIVE_PROP` on each process run from a drive other than ``C:`` whose hosts all have it as system drive.

    A cluster's member is one process of many hosts: its path (``D:\Windows\System32\svchost.exe``)
    is at home when every host of the window that ran it has Windows on that drive, so the
    misplaced-binary step (:func:`analytics.misplaced_binaries.misplaced_binary_check`) reads the
    prop.  ``processes`` are the detection's own copies (the store is not written).  Returns how
    many processes were marked.
    """
    if not drives.learnt:
        return 0
    marked = 0
    for column in _process_columns(incidence):
        process = processes.get(incidence.entities[column])
        image = process.props.get("image") if process is not None else None
        if not isinstance(image, str) or image[:2].lower() == DEFAULT_DRIVE + ":":
            continue  # the common case, read cheaply: a C: path
        read = read_windows_path(image)
        if read is None or read.drive in (None, DEFAULT_DRIVE):
            continue
        drive = drives.common_drive(_column_hosts(incidence, column))
        if drive == read.drive and process is not None:
            process.props[HOSTS_DRIVE_PROP] = drive
            marked += 1
    return marked
