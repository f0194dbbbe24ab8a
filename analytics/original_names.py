"""What a binary is, by its PE ``OriginalFileName``: renamed copies of watched binaries (MITRE ATT&CK T1036.003).

Copying ``powershell.exe`` to ``C:\\Users\\Public\\svcupd.exe`` changes the image name that
every name-based check reads, not the file: its PE version resource still says
``OriginalFileName PowerShell.EXE`` (Sysmon 1, ECS ``process.pe.original_file_name``, MDE
``ProcessVersionInfoOriginalFileName``; the projection keeps it as the process's
``original_file_name``).  So a process is classified by what it *is*
(:func:`analytics.lineage.image_name` asks :func:`renamed_from`), and a renamed copy is a
step of its own (:func:`analytics.renamed_binaries.renamed_copy_check`).

Only a fixed list of binaries counts (:data:`WATCHED`): vendors ship many files whose
``OriginalFileName`` differs from the name on disk (``7zG.exe`` says ``7zg.exe``, a vendor's
setup stub ``mysetup_v2.exe`` says ``setup.exe``, a versioned ``tool-1.4.exe`` says ``tool.exe``...), and
none of them may change how a process is read.  A name a binary legitimately ships under
(``PsExec64.exe``, whose ``OriginalFileName`` is ``psexec.c``) is no rename either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

WATCHED = frozenset({
    # script hosts and the living-off-the-land binaries of analytics.lineage.INTERPRETERS ...
    "powershell.exe", "pwsh.exe", "cmd.exe", "wscript.exe", "cscript.exe", "mshta.exe",
    "rundll32.exe", "regsvr32.exe", "certutil.exe", "bitsadmin.exe", "wmic.exe",
    "psexesvc.exe", "schtasks.exe", "installutil.exe", "msbuild.exe",
    # ... and tools attackers rename to pass name-based rules
    "psexec.exe", "procdump.exe", "regasm.exe", "regsvcs.exe", "cmstp.exe", "msxsl.exe",
    "odbcconf.exe", "powershell_ise.exe", "net.exe", "net1.exe", "nltest.exe", "reg.exe",
    "sc.exe", "vssadmin.exe", "wevtutil.exe", "forfiles.exe",
})
"""Binaries whose renamed copy is a finding (lower-case canonical file names)."""

_ORIGINAL_ALIASES = {"pwsh.dll": "pwsh.exe", "psexec.c": "psexec.exe", "procdump": "procdump.exe",
                     "psexesvc": "psexesvc.exe", "nltestrk.exe": "nltest.exe"}
"""``OriginalFileName`` values that are not the file's name: PowerShell 7's is its ``pwsh.dll``,
Sysinternals' PsExec says ``psexec.c`` (its source file), ProcDump ``procdump`` and nltest
``nltestrk.exe``."""

_SHIPPED_NAMES: Mapping[str, frozenset[str]] = {
    "psexec.exe": frozenset({"psexec64.exe", "psexec64a.exe"}),
    "procdump.exe": frozenset({"procdump64.exe", "procdump64a.exe"}),
}
"""Names a watched binary ships under besides its canonical one: no rename."""

_MEANINGLESS = frozenset({"", "-", "?", "n/a", "none", "null", "unknown"})
"""What a sensor writes when the file has no version resource: no name at all."""


def original_name(value: object) -> str | None:
    """A PE ``OriginalFileName`` as a lower-case file name, or ``None`` when it names nothing.

    A language resource suffix (``PowerShell.EXE.MUI``) and a path are dropped, and a known
    alias is read as the file it names (``psexec.c`` -> ``psexec.exe``).

    Examples
    --------
    >>> original_name("PowerShell.EXE.MUI"), original_name("psexec.c"), original_name("-")
    ('powershell.exe', 'psexec.exe', None)
    """
    if not isinstance(value, str):
        return None
    name = re.split(r"[\\/]", value.strip())[-1].strip().lower()
    if name.endswith(".mui"):
        name = name[:-4]
    if name in _MEANINGLESS:
        return None
    return _ORIGINAL_ALIASES.get(name, name)


def renamed_from(file_name: str, original: object) -> str | None:
    """The watched binary a file named ``file_name`` is a renamed copy of, else ``None``.

    Parameters
    ----------
    file_name : str
        The image's file name (no path), any case.
    original : object
        Its PE ``OriginalFileName`` as the event gave it (``None``, ``"-"``: unknown).

    Examples
    --------
    >>> renamed_from("svcupd.exe", "PowerShell.EXE")
    'powershell.exe'
    >>> renamed_from("PowerShell.exe", "PowerShell.EXE.MUI"), renamed_from("7zG.exe", "7zg.exe")
    (None, None)
    >>> renamed_from("chrome_proxy.exe", "chrome.exe"), renamed_from("PsExec64.exe", "psexec.c")
    (None, None)
    """
    known = original_name(original)
    if known is None or known not in WATCHED:
        return None
    name = file_name.strip().lower()
    if name == known or name in _SHIPPED_NAMES.get(known, ()):
        return None
    return known
