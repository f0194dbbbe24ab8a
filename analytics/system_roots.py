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
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from analytics.driver_paths import read_windows_path
from analytics.incidence import Incidence
from graphsiem.model import Entity, EntityKey, EntityType

DEFAULT_DRIVE = "c"
"""The system drive of a host whose own is not learnt (Windows' default and near-universal one)."""

BOOT_PROCESSES = frozenset({"smss.exe", "csrss.exe", "wininit.exe", "services.exe", "lsass.exe", "winlogon.exe"})
"""Processes every Windows host runs from its own System32 only, from boot on: the session manager's chain."""

MIN_BOOT_PROCESSES = 2
"""Different boot processes a host must have run from one drive for that drive to be learnt (one
copy of one of them is easier to plant than the chain that starts the others)."""

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


def learn_system_drives(sightings: Iterable[tuple[str, object]]) -> SystemDrives:
    r"""Each host's system drive from ``(host, process image path)`` pairs (see the module text).

    Parameters
    ----------
    sightings : iterable of (str, object)
        A host and the image path of a process it ran (attacker text: only compared).  Any
        process may be given: only boot processes in a ``\Windows\System32`` count.

    Examples
    --------
    >>> d = r"D:\Windows\System32"
    >>> drives = learn_system_drives([("ws-9", d + r"\services.exe"), ("ws-9", d + r"\wininit.exe"),
    ...     ("ws-1", r"C:\Windows\System32\services.exe"), ("ws-1", d + r"\services.exe"), ("ws-1", d + r"\lsass.exe"),
    ...     ("ws-1", r"C:\Windows\System32\wininit.exe"), ("ws-7", d + r"\lsass.exe")])
    >>> drives.drive_of("ws-9"), drives.drive_of("ws-1"), drives.drive_of("ws-7"), sorted(drives.ambiguous)
    ('d', 'c', 'c', ['ws-1'])
    """
    seen: dict[str, dict[str, set[str]]] = {}
    for host, image in sightings:
        found = boot_process_drive(image)
        if found is not None:
            seen.setdefault(host, {}).setdefault(found[0], set()).add(found[1])
    learnt: dict[str, str] = {}
    ambiguous = set()
    for host, drives in seen.items():
        if len(drives) > 1:
            ambiguous.add(host)
            continue
        ((drive, names),) = drives.items()
        if drive != DEFAULT_DRIVE and len(names) >= MIN_BOOT_PROCESSES:
            learnt[host] = drive
    return SystemDrives(learnt, frozenset(ambiguous))


HOSTS_DRIVE_PROP = "hosts_system_drive"
"""A process's prop set by :func:`mark_hosts_drive`: the system drive every host that ran it has, when not ``C:``."""


def _process_columns(incidence: Incidence) -> range:
    """The incidence's process columns (sorted by ``(type, key)``, so one slice)."""
    kind = EntityType.PROCESS.value
    return range(bisect_left(incidence.entities, (kind, "")), bisect_left(incidence.entities, (kind + "\0", "")))


def _column_hosts(incidence: Incidence, column: int) -> list[str]:
    return [incidence.hosts[int(row)] for row in incidence.hosts_of(column)]


def learn_incidence_drives(incidence: Incidence, processes: Mapping[EntityKey, Entity]) -> SystemDrives:
    """:func:`learn_system_drives` over the window's incidence: each host and the images of the boot processes it ran.

    Only the boot processes' columns are read (a handful per fleet, one per path and command line).
    """
    def sightings() -> Iterator[tuple[str, object]]:
        for column in _process_columns(incidence):
            process = processes.get(incidence.entities[column])
            image = process.props.get("image") if process is not None else None
            if boot_process_drive(image) is not None:
                yield from ((host, image) for host in _column_hosts(incidence, column))
    return learn_system_drives(sightings())


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
