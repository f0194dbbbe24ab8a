"""Which Windows release a host runs, read from its own process creations (HOSTF3 #4).

No event names the host's OS: Sysmon and Security records carry no version, and the journal keeps no
Winlogbeat ``host.os``.  But Sysmon 1 writes each started image's ``FileVersion``
(``process.pe.file_version``), and Windows' own binaries under System32 carry their release's:
``6.1.7601.17514 (win7sp1_rtm.101119-1850)`` is Windows 7 SP1 (the corpus's iewin7), ``10.0.19041.1``
Windows 10.  :func:`windows_release` takes the ``major.minor`` most of a host's System32 images started
in the window say.  A version resource is its builder's text, so one binary is not enough: a planted
image claiming 6.1 among a Windows 10 host's own is outvoted, and a host with fewer than
:data:`MIN_IMAGES` such images has no release said.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

PROCESS_CREATES = ("sysmon:process_create", "winsec:process_create")
"""The kinds a process creation is journaled as (:mod:`analytics.host_findings` reads them from here)."""

__all__ = ["LSM_PROCESS_RELEASES", "MIN_IMAGES", "windows_release"]

MIN_IMAGES = 2
"""Distinct System32 images (their FileVersion said) a host's release is read from, at least."""
LSM_PROCESS_RELEASES = frozenset({"6.0", "6.1"})
"""Windows Vista/Server 2008 and 7/Server 2008 R2: ``lsm.exe`` is its own process (a service DLL since 8)."""
_SYSTEM_DIRS = ("c:\\windows\\system32\\", "c:\\windows\\syswow64\\")
_RELEASE = re.compile(r"\s*(\d{1,2})\.(\d{1,2})\.")


def windows_release(events: Iterable[tuple[str, str, float, Mapping[str, object]]]) -> str | None:
    """The ``major.minor`` Windows release more than half of a host's System32 images say, if any.

    Parameters
    ----------
    events : iterable of ``(event id, kind, ts, fields)``
        One host's events (:func:`analytics.host_findings.hits_of_events`'s); process creations are read.

    Returns
    -------
    str or None
        E.g. ``"6.1"``; None when fewer than :data:`MIN_IMAGES` images said a version or none has most.

    Examples
    --------
    >>> def run(image, version):
    ...     return ("e", "sysmon:process_create", 0.0, {"process.executable": image, "process.pe.file_version": version})
    >>> windows_release([run(r"C:\\Windows\\System32\\cmd.exe", "6.1.7601.17514 (win7sp1_rtm.101119-1850)"),
    ...                  run(r"C:\\Windows\\system32\\svchost.exe", "6.1.7600.16385 (win7_rtm.090713-1255)")])
    '6.1'
    >>> windows_release([run(r"C:\\Windows\\System32\\cmd.exe", "6.1.7601.17514")]) is None
    True
    """
    versions: dict[str, str] = {}
    for _, kind, _, fields in events:
        if kind not in PROCESS_CREATES:
            continue
        image = str(fields.get("process.executable") or "").strip().lower().replace("/", "\\")
        matched = _RELEASE.match(str(fields.get("process.pe.file_version") or ""))
        if matched and image.startswith(_SYSTEM_DIRS):
            versions.setdefault(image, f"{int(matched[1])}.{int(matched[2])}")
    if len(versions) < MIN_IMAGES:
        return None
    release, count = Counter(versions.values()).most_common(1)[0]
    return release if 2 * count > len(versions) else None
