"""Windows' core processes run from outside their folder (MITRE ATT&CK T1036.005): ``C:\\Users\\Public\\svchost.exe``.

The other half of T1036.005: the right name in the wrong place.  Windows starts ``svchost.exe``
only from ``System32`` (or ``SysWOW64``), ``lsass.exe`` only from ``System32``, ``explorer.exe``
from the Windows folder, so a process of that name anywhere else is a program named to hide
among the real ones, which a rule matching the name takes for them.  Only binaries whose home is
fixed count (:data:`HOME_FOLDERS`); programs that run from anywhere (``cmd.exe``, ``notepad.exe``,
a browser) are left alone.

Some copies of Windows' own binaries legitimately sit elsewhere, and their folders count as home
for every binary (:data:`SYSTEM_COPIES`): the component store (``WinSxS``, from which servicing
hard-links System32), a feature update's new system (``$WINDOWS.~BT\\NewOS``) and a 32-bit
process's view of System32 (``Sysnative``).  A path is read by
:func:`analytics.driver_paths.below_volume` (any drive, device and ``\\SystemRoot`` forms, ``..``
resolved); a bare name, or a path in a form not read, says nothing about where the binary was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analytics.credited_words import NOT_MEMBERS, credited_example, credited_who, plain
from analytics.driver_paths import below_volume
from analytics.explain import Check
from analytics.linked_processes import MASQUERADE_CREDITS, CreditedProcesses
from graphsiem.model import Entity, EntityType

_SYSTEM32 = ("\\windows\\system32\\",)
_BOTH = ("\\windows\\system32\\", "\\windows\\syswow64\\")
HOME_FOLDERS: dict[str, tuple[str, ...]] = {
    "svchost.exe": _BOTH, "lsass.exe": _SYSTEM32, "lsaiso.exe": _SYSTEM32, "csrss.exe": _SYSTEM32,
    "smss.exe": _SYSTEM32, "wininit.exe": _SYSTEM32, "winlogon.exe": _SYSTEM32, "services.exe": _SYSTEM32,
    "lsm.exe": _SYSTEM32, "spoolsv.exe": _SYSTEM32, "taskhost.exe": _SYSTEM32, "taskhostw.exe": _SYSTEM32,
    "sihost.exe": _SYSTEM32, "userinit.exe": _SYSTEM32, "fontdrvhost.exe": _SYSTEM32, "dwm.exe": _SYSTEM32,
    "audiodg.exe": _SYSTEM32, "runtimebroker.exe": _SYSTEM32, "conhost.exe": _SYSTEM32,
    "dllhost.exe": _BOTH, "ctfmon.exe": _BOTH, "searchindexer.exe": _SYSTEM32,
    "searchprotocolhost.exe": _BOTH, "taskmgr.exe": _BOTH,
    "wmiprvse.exe": ("\\windows\\system32\\wbem\\", "\\windows\\syswow64\\wbem\\"),
    "explorer.exe": ("\\windows\\", "\\windows\\syswow64\\"),
}
"""Windows processes that run only from their own folder (below the volume, lower case; the
binary sits directly in it)."""

MISPLACED_ENTRY = MASQUERADE_CREDITS[2]
"""The credit entry of a pivot's one-host processes run from outside their folder."""

SYSTEM_COPIES = ("\\windows\\winsxs\\", "\\$windows.~bt\\newos\\windows\\", "\\windows\\sysnative\\")
"""Folders holding legitimate copies of Windows' binaries (home to every binary of :data:`HOME_FOLDERS`)."""


@dataclass(frozen=True, slots=True)
class Misplacement:
    """A process named ``binary`` whose image ``path`` (attacker text) is outside ``home``."""

    binary: str
    path: str
    home: tuple[str, ...]

    def home_text(self) -> str:
        """Where Windows keeps the binary, for a person: ``C:\\Windows\\System32 or C:\\Windows\\SysWOW64``."""
        names = {"\\windows\\": "C:\\Windows", "\\windows\\system32\\": "C:\\Windows\\System32",
                 "\\windows\\syswow64\\": "C:\\Windows\\SysWOW64", "\\windows\\system32\\wbem\\": "C:\\Windows\\System32\\wbem",
                 "\\windows\\syswow64\\wbem\\": "C:\\Windows\\SysWOW64\\wbem"}
        return " or ".join(names.get(folder, folder) for folder in self.home)


def misplaced_binary(image: object) -> Misplacement | None:
    r"""The Windows binary an image path names outside its folder (:data:`HOME_FOLDERS`), else ``None``.

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
    """
    if not isinstance(image, str):
        return None
    folders = below_volume(image)
    if folders is None:
        return None
    folder, _, name = folders.rpartition("\\")
    home = HOME_FOLDERS.get(name)
    if home is None:
        return None
    folder += "\\"
    if folder in home or folder.startswith(SYSTEM_COPIES):
        return None
    return Misplacement(name, image, home)


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
                           credited: Iterable[CreditedProcesses] = ()) -> Check | None:
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

    The image path is attacker text: quoted as plain text, one line, cut short.
    """
    found = [m for e in entities if e.type == EntityType.PROCESS.value
             and (m := misplaced_binary(e.props.get("image"))) is not None]
    if not found:
        credit = next((c for c in credited if c.behaviour == MISPLACED_ENTRY), None)
        return None if credit is None else _credited_check(credit, hosts_text)
    first, others = found[0], len(found) - 1
    where = f"{first.binary} runs from {plain(first.path, 120)}, outside {first.home_text()} where Windows keeps it"
    if others:
        where += f" ({others} more such process{'es' if others > 1 else ''} in the cluster)"
    return _step(first.binary, where, hosts_text)


def _credited_check(credit: CreditedProcesses, hosts_text: str) -> Check | None:
    """The step for misplaced processes that are no members: who they are, how many, on how many hosts."""
    # a masquerade credit keeps its example's image path (analytics.masquerade_credits.MasqueradeCredit)
    found = misplaced_binary(getattr(credit, "example_path", None))
    if found is None:  # the entry holds misplaced processes only; kept safe for a hand-made one
        return None
    example = credited_example(credit)
    where = (f"{credited_who(credit)} reached {plain(credit.reached)}: {found.binary} runs from {plain(found.path, 120)}, "
             f"outside {found.home_text()} where Windows keeps it ({example + '; ' if example else ''}{NOT_MEMBERS})")
    return _step(found.binary, where, hosts_text)
