"""Which paths an ingest does not read: files that are not regular files, or not telemetry.

Split from :mod:`ingest.readers.files`, which re-exports these names.  A FIFO,
socket or device is never opened (a FIFO without a writer would block the
ingest for ever); a licence, checksum, README or YAML file is skipped by its
name.  Both are skips with a reason in the ingest report, not rejections.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_SKIP_NAMES = {
    "license", "licence", "copying", "notice", "sha256sums", "md5sums", "sha1sums",
    "ground_truth.json",  # written next to the telemetry by `graphsiem simulate`
    "simulation.json",  # the parameters graphsiem.lab's simulate() writes there too
}
_SKIP_PREFIXES = ("readme", "license", "licence", "changelog")
_SKIP_SUFFIXES = (
    ".md", ".rst", ".yml", ".yaml", ".sha256", ".md5", ".sig", ".asc", ".py", ".html", ".pdf",
    ".png", ".jpg", ".zip", ".7z", ".tar",
)

_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory"),
)


def skip_reason(path: Path) -> str | None:
    """Why ``path`` is not to be read, or ``None`` when it should be.

    Not a regular file (a FIFO, a socket, a device: opening a FIFO without a
    writer blocks for ever, a device never ends), or not telemetry by its name.
    A path that cannot be looked at (missing, a dangling link) is left to the
    read, which reports it as unreadable.
    """
    kind = special_file_kind(path)
    if kind is not None:
        return f"not a regular file ({kind})"
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name in _SKIP_NAMES or name.startswith(_SKIP_PREFIXES):
        return "not telemetry (documentation or licence file)"
    if name.endswith(_SKIP_SUFFIXES):
        return f"not telemetry ({Path(name).suffix} file)"
    return None


def special_file_kind(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file (through links): ``"a FIFO"``..."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return None
    for is_kind, kind in _SPECIAL_FILES:
        if is_kind(mode):
            return kind
    return "a special file"
