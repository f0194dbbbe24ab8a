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
from dataclasses import dataclass

DRIVER_DIRECTORIES: tuple[str, ...] = (
    "\\windows\\system32\\drivers\\",
    "\\windows\\system32\\driverstore\\filerepository\\",
)
"""Where Windows keeps kernel drivers (below the volume, lower case): only an administrator or
the system writes there.  A vulnerable driver brought by an attacker is dropped where the
attacker can write (Temp, ProgramData, a profile) and loaded from there."""

_DRIVE = re.compile(r"^([a-z]):\\")
_VOLUME_DEVICE = re.compile(r"^\\device\\harddiskvolume[0-9]+\\")
_SHADOW_COPY = re.compile(r"^\\device\\harddiskvolumeshadowcopy[0-9]+\\")
_NETWORK_DEVICES = ("\\device\\mup\\", "\\device\\lanmanredirector\\", "\\device\\webdavredirector\\")
_WINDOWS_ROOTS = ("\\systemroot\\", "systemroot\\", "%systemroot%\\", "%windir%\\")

NETWORK_SHARE = "a network share"
"""Where a path in a UNC form points (``\\\\server\\share``, ``\\\\?\\UNC\\``, ``\\Device\\Mup\\``, WebDAV)."""
SHADOW_COPY = "a shadow copy"
"""Where a ``\\Device\\HarddiskVolumeShadowCopyN\\`` path points: a snapshot of a volume, not the volume."""


@dataclass(frozen=True, slots=True)
class WindowsPath:
    """A full Windows path read by :func:`read_windows_path`.

    ``folders`` is the path below its volume (lower case, ``..`` resolved); ``drive`` the drive
    letter when the path names one (``c``), else ``None`` (``\\SystemRoot``, a device path);
    ``elsewhere`` is :data:`NETWORK_SHARE` or :data:`SHADOW_COPY` when the path is on no local
    volume, else ``None``.
    """

    folders: str
    drive: str | None = None
    elsewhere: str | None = None


def read_windows_path(path: str) -> WindowsPath | None:
    r"""A full Windows path's volume and folders (:class:`WindowsPath`), else ``None`` (a name or relative path).

    Paths are read case-insensitively, as Windows does, in the forms sources write them:
    ``C:\...`` (any drive), ``\??\C:\...`` and ``\\?\C:\...``, ``\SystemRoot\...``,
    ``%SystemRoot%\...``, a path relative to the Windows folder (``System32\drivers\x.sys``, as a
    service's ImagePath) and ``\Device\HarddiskVolumeN\...`` (as Windows' own events write it;
    which N is the system volume differs by host, so any N is a local volume).  A network share
    (``\\server\share\...``, ``\\?\UNC\...``, ``\Device\Mup\...``, a WebDAV redirector) and a
    shadow copy (``\Device\HarddiskVolumeShadowCopyN\...``, also behind ``\\?\GLOBALROOT``) are
    read with ``elsewhere`` set.  ``..`` is resolved, so a path cannot climb out of a folder and
    still look inside it.

    Examples
    --------
    >>> read_windows_path(r"D:\Windows\System32\svchost.exe")
    WindowsPath(folders='\\windows\\system32\\svchost.exe', drive='d', elsewhere=None)
    >>> read_windows_path(r"\\?\UNC\fs1\share\svchost.exe").elsewhere, read_windows_path("svchost.exe")
    ('a network share', None)
    """
    text = path.strip().strip('"').replace("/", "\\").lower()
    prefixed = False
    for prefix in ("\\??\\", "\\\\?\\", "\\\\.\\"):
        if text.startswith(prefix):
            text, prefixed = text[len(prefix):], True
            break
    if prefixed and text.startswith("globalroot\\"):  # \\?\GLOBALROOT\Device\...: the device path itself
        text, prefixed = text[len("globalroot"):], False
    if prefixed and text.startswith("unc\\"):
        return WindowsPath(_below(text[len("unc"):]), elsewhere=NETWORK_SHARE)
    if not prefixed and text.startswith("\\\\"):  # \\server\share, \\server@SSL\DavWWWRoot (WebDAV)
        return WindowsPath(_below(text[1:]), elsewhere=NETWORK_SHARE)
    if text.startswith(_NETWORK_DEVICES):
        return WindowsPath(_below(text[text.index("\\", len("\\device\\")):]), elsewhere=NETWORK_SHARE)
    if (shadow := _SHADOW_COPY.match(text)) is not None:
        return WindowsPath(_below(text[shadow.end() - 1:]), elsewhere=SHADOW_COPY)
    root = next((r for r in _WINDOWS_ROOTS if text.startswith(r)), None)
    if root is not None:
        return WindowsPath(_below("\\windows\\" + text[len(root):]))
    if text.startswith("system32\\"):  # an ImagePath relative to the Windows folder
        return WindowsPath(_below("\\windows\\" + text))
    if (drive := _DRIVE.match(text)) is not None:
        return WindowsPath(_below(text[2:]), drive=drive.group(1))
    if (device := _VOLUME_DEVICE.match(text)) is not None:
        return WindowsPath(_below("\\" + text[device.end():]))
    return None


def _below(text: str) -> str:
    """Folders below a volume with ``..`` resolved (``normpath`` keeps the leading backslash)."""
    return ntpath.normpath(text)


def below_volume(path: str) -> str | None:
    r"""A full path on a local volume as its lower-case folders below the volume (``\windows\temp\x.sys``), else ``None``.

    Paths are read by :func:`read_windows_path` (any drive letter counts here); a bare file name,
    another relative path, a network share or a shadow copy is ``None``: where it was is not known.

    Examples
    --------
    >>> below_volume(r"\Device\HarddiskVolume2\Windows\System32\svchost.exe"), below_volume("x.sys")
    ('\\windows\\system32\\svchost.exe', None)
    """
    read = read_windows_path(path)
    return None if read is None or read.elsewhere is not None else read.folders


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
