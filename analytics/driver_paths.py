"""Where Windows keeps kernel drivers, and whether a driver's path is outside it.

A signed vendor driver is installed into the Windows driver directory, which only an
administrator or the system can write.  Bring-your-own-vulnerable-driver drops the driver
where the attacker can write (Temp, ProgramData, a user profile) and loads it from there,
so a new driver from outside the directory is an attack behaviour
(``driver_outside_drivers_dir``, :mod:`analytics.features`).  Paths are attacker data:
they are only compared, never used.
"""

from __future__ import annotations

import ntpath
import re

DRIVER_DIRECTORIES: tuple[str, ...] = (
    "\\windows\\system32\\drivers\\",
    "\\windows\\system32\\driverstore\\filerepository\\",
)
"""Where Windows keeps kernel drivers (below the volume, lower case): only an administrator or
the system writes there.  A vulnerable driver brought by an attacker is dropped where the
attacker can write (Temp, ProgramData, a profile) and loaded from there."""

_DRIVE = re.compile(r"^[a-z]:\\")
_VOLUME_DEVICE = re.compile(r"^\\device\\harddiskvolume[0-9]+\\")
_WINDOWS_ROOTS = ("\\systemroot\\", "systemroot\\", "%systemroot%\\", "%windir%\\")


def below_volume(path: str) -> str | None:
    r"""A full Windows path as its lower-case folders below the volume (``\windows\temp\x.sys``), else ``None``.

    Paths are read case-insensitively, as Windows does, in the forms sources write them:
    ``C:\...`` (any drive), ``\??\C:\...`` and ``\\?\C:\...``, ``\SystemRoot\...``,
    ``%SystemRoot%\...``, a path relative to the Windows folder (``System32\drivers\x.sys``, as a
    service's ImagePath) and ``\Device\HarddiskVolumeN\...``; ``..`` is resolved, so a path cannot
    climb out of a folder and still look inside it.  A bare file name or another relative path is
    ``None``: where it was is not known.

    Examples
    --------
    >>> below_volume(r"\Device\HarddiskVolume2\Windows\System32\svchost.exe"), below_volume("x.sys")
    ('\\windows\\system32\\svchost.exe', None)
    """
    text = path.strip().strip('"').replace("/", "\\").lower()
    for prefix in ("\\??\\", "\\\\?\\", "\\\\.\\"):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    root = next((r for r in _WINDOWS_ROOTS if text.startswith(r)), None)
    if root is not None:
        text = "\\windows\\" + text[len(root):]
    elif text.startswith("system32\\"):  # an ImagePath relative to the Windows folder
        text = "\\windows\\" + text
    elif _DRIVE.match(text):
        text = text[2:]
    elif (device := _VOLUME_DEVICE.match(text)) is not None:
        text = "\\" + text[device.end():]
    else:
        return None
    return ntpath.normpath(text)


def outside_driver_directory(path: str) -> bool:
    r"""True when ``path`` is a full path outside the Windows driver directory (:data:`DRIVER_DIRECTORIES`).

    Paths are read by :func:`below_volume`; a bare file name (no folder) is not known to be
    outside: False.

    Examples
    --------
    >>> [outside_driver_directory(p) for p in (r"C:\Windows\Temp\RTCore64.sys", r"\??\C:\Users\x\gdrv.sys",
    ...     r"\SystemRoot\System32\drivers\corpdlpflt.sys", r"C:\WINDOWS\system32\DRIVERS\igdkmdn64.sys",
    ...     r"C:\Windows\System32\DriverStore\FileRepository\iigd.inf_amd64_1\igdkmd64.sys",
    ...     r"C:\Windows\System32\drivers\..\..\Temp\x.sys", "rtcore64.sys")]
    [True, True, False, False, False, True, False]
    """
    text = below_volume(path)
    if text is None:
        return False  # a name, or a relative path: where it was is not known
    return not any(text.startswith(directory) for directory in DRIVER_DIRECTORIES)
