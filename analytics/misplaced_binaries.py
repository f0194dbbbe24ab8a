"""Windows' core processes and System32-only tools run from outside their folder (MITRE ATT&CK T1036.005): ``C:\\Users\\Public\\svchost.exe``.

The other half of T1036.005: the right name in the wrong place.  Windows starts ``svchost.exe``
only from ``System32`` (or ``SysWOW64``), ``lsass.exe`` only from ``System32``, ``explorer.exe``
from the Windows folder, so a process of that name anywhere else is a program named to hide
among the real ones, which a rule matching the name takes for them.  Only binaries whose home is
fixed count (:data:`HOME_FOLDERS`); programs that run from anywhere (``cmd.exe``, ``notepad.exe``,
a browser) are left alone.

Living-off-the-land binaries Windows keeps only in System32 (and its 32-bit twin SysWOW64) count
too: ``rundll32.exe``, ``regsvr32.exe``, ``mshta.exe`` or ``certutil.exe`` copied to
``C:\\Users\\Public`` escapes every rule written for its System32 path.  ``cmd.exe`` is left out
(portable copies ship with tools), and so are ``msbuild.exe`` and ``installutil.exe`` (they live
in the .NET Framework's folders, one per version).

The home is on the system drive: ``C:``, or a form that names no drive (``\\SystemRoot``, a
``\\Device\\HarddiskVolumeN`` path as Windows' own events write it).  ``D:\\Windows\\System32``
is a folder anyone who can write to ``D:`` may create, so it is outside; so are a network share
and a shadow copy (:func:`analytics.driver_paths.read_windows_path`), and the step says which.
A host whose Windows is installed on another letter is judged by its own system drive, learnt
from its boot processes' image paths (:mod:`analytics.system_roots`): ``D:\\Windows\\System32``
is home on such a host, and ``C:\\Windows\\System32`` is not.

Some copies of Windows' own binaries legitimately sit elsewhere (:func:`at_home`): the component
store (``WinSxS``, from which servicing hard-links System32, writable only by TrustedInstaller), a
feature update's new system (``$WINDOWS.~BT\\NewOS``, only the binary's own folder below its
``Windows``: any user may create folders at ``C:\\``'s root) and a 32-bit process's view of
System32 (``C:\\Windows\\Sysnative``, read as System32).  A bare name, or a path in a form not read,
says nothing about where the binary was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analytics.credited_processes import MASQUERADE_CREDITS, CreditedProcesses
from analytics.credited_words import NOT_MEMBERS, credited_example, credited_who, plain
from analytics.driver_paths import read_windows_path
from analytics.explain import Check
from analytics.system_roots import HOSTS_DRIVE_PROP
from graphsiem.model import Entity, EntityType

_SYSTEM32 = ("\\windows\\system32\\",)
_BOTH = ("\\windows\\system32\\", "\\windows\\syswow64\\")
_WBEM = ("\\windows\\system32\\wbem\\", "\\windows\\syswow64\\wbem\\")
_POWERSHELL = ("\\windows\\system32\\windowspowershell\\v1.0\\", "\\windows\\syswow64\\windowspowershell\\v1.0\\")
HOME_FOLDERS: dict[str, tuple[str, ...]] = {
    "svchost.exe": _BOTH, "lsass.exe": _SYSTEM32, "lsaiso.exe": _SYSTEM32, "csrss.exe": _SYSTEM32,
    "smss.exe": _SYSTEM32, "wininit.exe": _SYSTEM32, "winlogon.exe": _SYSTEM32, "services.exe": _SYSTEM32,
    "lsm.exe": _SYSTEM32, "spoolsv.exe": _SYSTEM32, "taskhost.exe": _SYSTEM32, "taskhostw.exe": _SYSTEM32,
    "sihost.exe": _SYSTEM32, "userinit.exe": _SYSTEM32, "fontdrvhost.exe": _SYSTEM32, "dwm.exe": _SYSTEM32,
    "audiodg.exe": _SYSTEM32, "runtimebroker.exe": _SYSTEM32, "conhost.exe": _SYSTEM32,
    "dllhost.exe": _BOTH, "ctfmon.exe": _BOTH, "searchindexer.exe": _SYSTEM32,
    "searchprotocolhost.exe": _BOTH, "taskmgr.exe": _BOTH,
    "wmiprvse.exe": _WBEM, "explorer.exe": ("\\windows\\", "\\windows\\syswow64\\"),
    # living-off-the-land binaries that ship only with Windows (PowerShell 7 is pwsh.exe, not these)
    "rundll32.exe": _BOTH, "regsvr32.exe": _BOTH, "mshta.exe": _BOTH, "certutil.exe": _BOTH,
    "msiexec.exe": _BOTH, "cscript.exe": _BOTH, "wscript.exe": _BOTH, "bitsadmin.exe": _BOTH,
    "schtasks.exe": _BOTH, "werfault.exe": _BOTH, "wmic.exe": _WBEM, "powershell.exe": _POWERSHELL,
}
"""Windows processes that run only from their own folder (below the volume, lower case; the
binary sits directly in it)."""

MISPLACED_ENTRY = MASQUERADE_CREDITS[2]
"""The credit entry of a pivot's one-host processes run from outside their folder."""

SYSTEM_DRIVE = "c"
"""The drive Windows is installed on (a path naming no drive is read as on it)."""

COMPONENT_STORE = "\\windows\\winsxs\\"
"""Windows' component store: every binary of :data:`HOME_FOLDERS` has legitimate copies in its subfolders."""
FEATURE_UPDATE = "\\$windows.~bt\\newos"
"""A feature update's new system: the binary's own folders below it (``...\\NewOS\\Windows\\System32\\``) are home."""
SYSNATIVE = ("\\windows\\sysnative\\", "\\windows\\system32\\")
"""A 32-bit process's name for System32, read as System32."""


@dataclass(frozen=True, slots=True)
class Misplacement:
    """A process named ``binary`` whose image ``path`` (attacker text) is outside ``home``."""

    binary: str
    path: str
    home: tuple[str, ...]
    elsewhere: str = ""
    """Why a path in the binary's own folder is still outside, for a person (``a network share``), else empty."""
    drive: str = SYSTEM_DRIVE
    """The system drive of the host that ran it (lower-case letter)."""

    def home_text(self) -> str:
        """Where Windows keeps the binary, for a person: ``C:\\Windows\\System32 or C:\\Windows\\SysWOW64``."""
        letter = self.drive.upper() + ":"
        return " or ".join(letter + _WRITTEN.get(folder, folder.rstrip("\\")) for folder in self.home)

    def found_text(self) -> str:
        """Where the process ran and why it is outside, for a person (the path is attacker text: quoted plain)."""
        said = f"{self.binary} runs from {plain(self.path, 120)}"
        if self.elsewhere:
            said += f" ({self.elsewhere})"
        return f"{said}, outside {self.home_text()} where Windows keeps it"


_WRITTEN = {"\\windows\\": "\\Windows", "\\windows\\system32\\": "\\Windows\\System32",
            "\\windows\\syswow64\\": "\\Windows\\SysWOW64", "\\windows\\system32\\wbem\\": "\\Windows\\System32\\wbem",
            "\\windows\\syswow64\\wbem\\": "\\Windows\\SysWOW64\\wbem",
            _POWERSHELL[0]: "\\Windows\\System32\\WindowsPowerShell\\v1.0",
            _POWERSHELL[1]: "\\Windows\\SysWOW64\\WindowsPowerShell\\v1.0"}
"""Home folders as Windows writes them."""


def at_home(folder: str, home: tuple[str, ...]) -> bool:
    r"""Whether ``folder`` (below the system volume, lower case, ending ``\``) holds a legitimate copy of a binary kept in ``home``.

    Examples
    --------
    >>> [at_home(f, _BOTH) for f in ("\\windows\\system32\\", "\\windows\\winsxs\\amd64_x\\",
    ...     "\\$windows.~bt\\newos\\windows\\system32\\", "\\$windows.~bt\\newos\\x\\", "\\windows\\sysnative\\",
    ...     "\\windows\\sysnative\\x\\", "\\windows\\")]
    [True, True, True, False, True, False, False]
    """
    if folder in home or folder.startswith(COMPONENT_STORE):
        return True
    if folder.startswith(FEATURE_UPDATE + "\\"):
        return folder[len(FEATURE_UPDATE):] in home
    native, system32 = SYSNATIVE
    return folder.startswith(native) and system32 + folder[len(native):] in home


def misplaced_binary(image: object, system_drive: str = SYSTEM_DRIVE) -> Misplacement | None:
    r"""The Windows binary an image path names outside its folder (:data:`HOME_FOLDERS`), else ``None``.

    ``system_drive`` is the drive Windows is installed on, on the host that ran it (a lower-case
    letter: :meth:`analytics.system_roots.SystemDrives.drive_of`); a path naming no drive is read as on it.

    Examples
    --------
    >>> misplaced_binary(r"C:\Users\Public\svchost.exe").home_text()
    'C:\\Windows\\System32 or C:\\Windows\\SysWOW64'
    >>> [misplaced_binary(p) for p in (r"C:\WINDOWS\system32\svchost.exe", r"\Device\HarddiskVolume2\Windows\explorer.exe",
    ...     r"C:\Windows\WinSxS\amd64_microsoft-windows-lsa_31bf3856ad364e35_10.0.19041.1_none_x\lsass.exe",
    ...     "svchost.exe", r"C:\Tools\cmd.exe")]
    [None, None, None, None, None]
    >>> misplaced_binary(r"C:\Windows\System32\..\Temp\lsass.exe").binary
    'lsass.exe'
    >>> misplaced_binary(r"D:\Windows\System32\svchost.exe").elsewhere, misplaced_binary(r"\\fs1\c$\Windows\lsass.exe").elsewhere
    ('drive D:, not the system drive C:', 'a network share')
    >>> misplaced_binary(r"D:\Windows\System32\svchost.exe", "d"), misplaced_binary(r"C:\Windows\System32\lsass.exe", "d").elsewhere
    (None, 'drive C:, not the system drive D:')
    """
    if not isinstance(image, str):
        return None
    read = read_windows_path(image)
    if read is None:
        return None
    folder, _, name = read.folders.rpartition("\\")
    home = HOME_FOLDERS.get(name)
    if home is None:
        return None
    if read.elsewhere is not None:
        return Misplacement(name, image, home, read.elsewhere, system_drive)
    if read.drive is not None and read.drive != system_drive:
        return Misplacement(name, image, home, f"drive {read.drive.upper()}:, not the system drive {system_drive.upper()}:",
                            system_drive)
    if at_home(folder + "\\", home):
        return None
    return Misplacement(name, image, home, drive=system_drive)


def _step(binary: str, found: str, hosts_text: str) -> Check:
    """The step: ``found`` (where the process ran, said for a person), then what to check and when it is benign."""
    return Check(
        None,
        f"{found}: a program given a Windows process's name in another folder hides among the real ones while "
        f"every rule that matches {binary} by name takes it for them (MITRE ATT&CK T1036.005); compare its hash "
        f"and signer with the system's {binary}, and check who wrote it to that folder (Sysmon event 11) and what "
        f"it ran on {hosts_text}",
        f"the file is Microsoft-signed and identical to the system's {binary} (a copy kept by a backup, imaging or "
        "servicing tool, seen at this path on other hosts before the window)",
    )


def misplaced_binary_check(entities: Iterable[Entity], hosts_text: str,
                           credited: Iterable[CreditedProcesses] = (), system_drive: str = SYSTEM_DRIVE) -> Check | None:
    """The step for a cluster with a Windows process run from outside its folder, else ``None``.

    Parameters
    ----------
    entities : iterable of Entity
        The cluster's members (process props carry ``image``).
    hosts_text : str
        The cluster's hosts as the checks name them.
    credited : iterable of CreditedProcesses
        The cluster's credited processes: when no member is misplaced, its
        :data:`MISPLACED_ENTRY` entry names the one-host processes that reached a new member
        (:mod:`analytics.masquerade_credits`).
    system_drive : str
        The system drive of the cluster's hosts (:meth:`analytics.system_roots.SystemDrives.common_drive`):
        a member's path is judged against it.

    The image path is attacker text: quoted as plain text, one line, cut short.
    """
    found = [m for e in entities if e.type == EntityType.PROCESS.value
             and (m := misplaced_binary(e.props.get("image"), _drive_of(e, system_drive))) is not None]
    if not found:
        credit = next((c for c in credited if c.behaviour == MISPLACED_ENTRY), None)
        return None if credit is None else _credited_check(credit, hosts_text)
    first, others = found[0], len(found) - 1
    where = first.found_text()
    if others:
        where += f" ({others} more such process{'es' if others > 1 else ''} in the cluster)"
    return _step(first.binary, where, hosts_text)


def _drive_of(process: Entity, system_drive: str) -> str:
    """The system drive a member process is judged against: its hosts' own when the detection learnt it
    (:func:`analytics.system_roots.mark_hosts_drive`), else ``system_drive``."""
    drive = process.props.get(HOSTS_DRIVE_PROP)
    return drive if isinstance(drive, str) and len(drive) == 1 else system_drive


def _credited_check(credit: CreditedProcesses, hosts_text: str) -> Check | None:
    """The step for misplaced processes that are no members: who they are, how many, on how many hosts."""
    # a masquerade credit keeps its example's image path (analytics.masquerade_credits.MasqueradeCredit)
    found = misplaced_binary(getattr(credit, "example_path", None), getattr(credit, "example_drive", SYSTEM_DRIVE))
    if found is None:  # the entry holds misplaced processes only; kept safe for a hand-made one
        return None
    example = credited_example(credit)
    where = (f"{credited_who(credit)} reached {plain(credit.reached)}: {found.found_text()} "
             f"({example + '; ' if example else ''}{NOT_MEMBERS})")
    return _step(found.binary, where, hosts_text)
