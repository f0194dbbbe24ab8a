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

A value is read the way a person reads it (:func:`read_original`): control and invisible format
characters, whitespace and quotes are no part of a name, full-width forms are their ASCII
letters (NFKC), and a bare ``PowerShell`` is ``powershell.exe``.  Confusable letters from other
scripts (a Cyrillic ``е`` in ``PowerShеll.EXE``) are *not* folded into the binary they imitate:
Microsoft's binaries never carry one, so such a value was written by someone editing the
resource, who could as well have written any other name, and folding could only read some
other binary as ``powershell.exe``.  Such a value is reported instead
(:func:`analytics.image_lookalikes.imitated_original`), and so is the field a person does read
in a process list, the image name on disk (``svchοst.exe`` with a Greek ``ο``:
:func:`analytics.image_lookalikes.imitated_binary`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

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
"""Binaries whose renamed copy is read as the binary it is (lower-case canonical file names)."""

CHECK_ONLY = frozenset({
    "curl.exe", "msiexec.exe", "mimikatz.exe", "rclone.exe", "adfind.exe", "mavinject.exe",
    "esentutl.exe", "ntdsutil.exe", "msdt.exe",
})
"""Tools whose renamed copy is a check step (:mod:`analytics.renamed_binaries`) but is still read
under its name on disk.  Reading a renamed ``curl.exe`` as ``curl.exe`` would give its lineage
pair the fleet's everyday ``explorer.exe -> curl.exe`` baseline (a new pair would look old), and
``msiexec.exe`` is left out of :data:`analytics.lineage.INTERPRETERS` on purpose."""

STEP_NAMED = WATCHED | CHECK_ONLY
"""Every binary whose renamed copy gets a check step (:mod:`analytics.renamed_binaries`,
:mod:`analytics.masquerade_credits`)."""

_ORIGINAL_ALIASES = {"pwsh.dll": "pwsh.exe", "psexec.c": "psexec.exe", "procdump": "procdump.exe",
                     "psexesvc": "psexesvc.exe", "nltestrk.exe": "nltest.exe",
                     "mavinject32.exe": "mavinject.exe", "mavinject64.exe": "mavinject.exe"}
"""``OriginalFileName`` values that are not the file's name: PowerShell 7's is its ``pwsh.dll``,
Sysinternals' PsExec says ``psexec.c`` (its source file), ProcDump ``procdump``, nltest
``nltestrk.exe`` and Windows' ``mavinject.exe`` ``mavinject32.exe``."""

_SHIPPED_NAMES: Mapping[str, frozenset[str]] = {
    "psexec.exe": frozenset({"psexec64.exe", "psexec64a.exe"}),
    "procdump.exe": frozenset({"procdump64.exe", "procdump64a.exe"}),
    "mavinject.exe": frozenset({"mavinject32.exe", "mavinject64.exe"}),
}
"""Names a watched binary ships under besides its canonical one: no rename."""

_MEANINGLESS = frozenset({"", "-", "?", "n/a", "none", "null", "unknown"})
"""What a sensor writes when the file has no version resource: no name at all."""

_NOT_TEXT = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
"""Unicode categories that are no part of a written name: controls (a trailing NUL), invisible
format characters (zero-width space, bidi overrides) and spaces (``PowerShell.EXE .MUI``)."""
_QUOTES = "\"'`\u2018\u2019\u201c\u201d\u00ab\u00bb"


@dataclass(frozen=True, slots=True)
class OriginalName:
    """A PE ``OriginalFileName`` as read: what it names and how it was written.

    ``name`` is the lower-case file name it names (aliases resolved, ``.MUI`` dropped);
    ``written`` the last path component cleaned of invisible characters and quotes, case kept
    (still attacker text: quote it as plain text); ``had_path`` whether the value carried a path before the name (no
    real binary's does); ``respelled`` whether cleaning changed the value's last component.
    """

    name: str
    written: str
    had_path: bool
    respelled: bool


def _clean(text: str) -> str:
    if not (text.isascii() and text.isprintable() and " " not in text):  # the common value skips this
        text = unicodedata.normalize("NFKC", text)  # full-width dot and letters -> ASCII
        text = "".join(ch for ch in text if unicodedata.category(ch) not in _NOT_TEXT)
    return text.strip(_QUOTES)


def read_original(value: object, watched: frozenset[str] = WATCHED | CHECK_ONLY) -> OriginalName | None:
    """Read a PE ``OriginalFileName`` (see the module text), or ``None`` when it names nothing.

    Parameters
    ----------
    value : object
        The value as the event gave it.
    watched : frozenset of str
        Names a bare value (no extension) is completed to: ``PowerShell`` -> ``powershell.exe``.

    Examples
    --------
    >>> read_original("Power\\u200bShell\\uff0eEXE\\x00").name, read_original("PowerShell").name
    ('powershell.exe', 'powershell.exe')
    >>> read_original("<b>x</b>\\\\PowerShell.EXE")
    OriginalName(name='powershell.exe', written='PowerShell.EXE', had_path=True, respelled=False)
    """
    if not isinstance(value, str):
        return None
    return _read(value, watched)


@lru_cache(maxsize=8192)  # a fleet's processes repeat a few hundred original names
def _read(value: str, watched: frozenset[str]) -> OriginalName | None:
    parts = re.split(r"[\\/]", _clean(value))
    written = _clean(parts[-1])
    name = written.lower()
    if name.endswith(".mui"):
        name = name[:-4]
    if name in _MEANINGLESS:
        return None
    name = _ORIGINAL_ALIASES.get(name, name)
    if "." not in name and f"{name}.exe" in watched:
        name = f"{name}.exe"
    raw_last = re.split(r"[\\/]", value.strip())[-1]
    return OriginalName(name, written, len(parts) > 1, raw_last != written)


def original_name(value: object) -> str | None:
    """A PE ``OriginalFileName`` as a lower-case file name, or ``None`` when it names nothing.

    A language resource suffix (``PowerShell.EXE.MUI``), a path and invisible characters are
    dropped, and a known alias is read as the file it names (``psexec.c`` -> ``psexec.exe``):
    :func:`read_original`.

    Examples
    --------
    >>> original_name("PowerShell.EXE.MUI"), original_name("psexec.c"), original_name("-")
    ('powershell.exe', 'psexec.exe', None)
    """
    read = read_original(value)
    return None if read is None else read.name


def renamed_from(file_name: str, original: object, watched: frozenset[str] = WATCHED) -> str | None:
    """The watched binary a file named ``file_name`` is a renamed copy of, else ``None``.

    Parameters
    ----------
    file_name : str
        The image's file name (no path), any case.
    original : object
        Its PE ``OriginalFileName`` as the event gave it (``None``, ``"-"``: unknown).
    watched : frozenset of str
        The binaries that count: :data:`WATCHED` (how a process is read), or with
        :data:`CHECK_ONLY` for the check step.

    Examples
    --------
    >>> renamed_from("svcupd.exe", "PowerShell.EXE")
    'powershell.exe'
    >>> renamed_from("PowerShell.exe", "PowerShell.EXE.MUI"), renamed_from("7zG.exe", "7zg.exe")
    (None, None)
    >>> renamed_from("chrome_proxy.exe", "chrome.exe"), renamed_from("PsExec64.exe", "psexec.c")
    (None, None)
    >>> renamed_from("svcupd.exe", "curl.exe"), renamed_from("svcupd.exe", "curl.exe", WATCHED | CHECK_ONLY)
    (None, 'curl.exe')
    """
    read = read_original(original, watched)
    if read is None or read.name not in watched:
        return None
    name = file_name.strip().lower()
    if name == read.name or name in _SHIPPED_NAMES.get(read.name, ()):
        return None
    return read.name
