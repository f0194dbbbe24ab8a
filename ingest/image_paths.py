"""Image paths as the process join compares them, and the names a file or process gives itself.

A path's identity without its volume (:func:`image_identity`: Security 5156's device paths
and Sysmon's drive paths are one), whether two of them can be one program (:func:`same_image`),
a path's last component (:func:`basename`) and a PE ``OriginalFileName`` that names something
(:func:`pe_original_name`).  Pure functions on text: used by the projection's entity builders
(:mod:`ingest.projection_processes`, :mod:`ingest.projection_entities`).
"""

from __future__ import annotations

import re
from typing import Any

_NO_ORIGINAL = frozenset(("", "-", "?"))
"""What a sensor writes for a file without a version resource: no original file name."""

_VOLUME = re.compile(r"^(?:\\\\\?\\|\\\?\?\\)?(?:\\device\\harddiskvolume\d+|[a-z]:)(?=\\)")
r"""A path's volume: ``C:``, ``\device\harddiskvolume2`` (5156), behind an optional ``\\?\`` / ``\??\``."""


_PATH_PREFIXES = (("\\\\?\\globalroot\\", "\\"), ("\\\\?\\unc\\", "\\\\"), ("\\device\\mup\\", "\\\\"))
r"""Spellings of one place: a share (``\\?\UNC\srv``, 5156's ``\device\mup\srv`` = ``\\srv``) and a
shadow copy (``\\?\GLOBALROOT\Device\...`` = 5156's ``\device\...``)."""


def image_identity(path: str) -> str:
    r"""An image path as the pid join compares it: lower case, ``\`` separators, no volume.

    5156 names ``\device\harddiskvolume2\windows\...`` where Sysmon names ``C:\Windows\...``:
    both are ``\windows\...`` here.  A bare name stays a bare name.

    >>> image_identity("C:\\Windows\\System32\\CMD.EXE")
    '\\windows\\system32\\cmd.exe'
    >>> image_identity("\\Device\\HarddiskVolume2\\Windows\\System32\\cmd.exe")
    '\\windows\\system32\\cmd.exe'
    >>> image_identity("\\device\\mup\\srv\\share\\t.exe"), image_identity("\\\\srv\\share\\t.exe")
    ('\\\\srv\\share\\t.exe', '\\\\srv\\share\\t.exe')
    >>> image_identity("cmd.exe"), image_identity("")
    ('cmd.exe', '')
    """
    text = path.replace("/", "\\").lower()
    for prefix, instead in _PATH_PREFIXES:
        if text.startswith(prefix):
            text = instead + text[len(prefix):]
            break
    return _VOLUME.sub("", text, count=1)


def same_image(held: str, named: str) -> bool:
    r"""Whether two :func:`image_identity` values can be one program: equal paths, or equal
    names when either side is only a name (or a join state saved before paths were kept);
    an unknown side agrees.  ``\users\public\svchost.exe`` is not ``\windows\system32\svchost.exe``.

    >>> same_image("\\windows\\system32\\svchost.exe", "\\users\\public\\svchost.exe")
    False
    >>> same_image("svchost.exe", "\\windows\\system32\\svchost.exe"), same_image("", "x.exe")
    (True, True)
    """
    if not held or not named:
        return True
    if "\\" in held and "\\" in named:
        return held == named
    return basename(held) == basename(named)


def pe_original_name(value: Any) -> str | None:
    """A PE ``OriginalFileName`` as the event wrote it (trimmed), or ``None`` when it names nothing.

    Kept as written, case and all (``PowerShell.EXE``): what the file calls itself is evidence;
    reading it (``.MUI`` suffixes, aliases) is the analytics' job (``analytics.original_names``).

    Examples
    --------
    >>> pe_original_name(" PowerShell.EXE "), pe_original_name("-"), pe_original_name(None)
    ('PowerShell.EXE', None, None)
    """
    if value is None:
        return None
    text = str(value).strip()
    return None if text in _NO_ORIGINAL else text


def basename(path: str) -> str:
    r"""The lower-case last component of a Windows or POSIX ``path`` ("" for none).

    >>> basename("C:\\Windows\\System32\\CMD.EXE"), basename("/usr/bin/curl"), basename("")
    ('cmd.exe', 'curl', '')
    """
    if not path:
        return ""
    return path.replace("\\", "/").rsplit("/", 1)[-1].lower()
