"""The inputs of an ingest call: files under the given paths, each real file once, and standard input.

Split from :mod:`ingest.readers.files`, which re-exports these names.  A
directory is walked recursively (sorted, hidden entries ignored, symbolic
links to directories followed, each real directory and each real file once
per call); the path ``-`` stands for standard input (:class:`StreamInput`).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file an ingest call names or finds, and whether it was already met in the call."""

    path: Path
    """As given, or as found under a given directory (through the links walked)."""
    same_as: Path | None = None
    """The path under which this real file (same device and inode) came first in the
    call, when it did: the file is read once, under that path."""


STDIN = "-"
"""The path that stands for standard input; a file named ``-`` is given as ``./-``."""

STDIN_NAME = "<stdin>"
"""The name standard input goes by in reports, rejections and the journal, unless named."""


@dataclass(frozen=True, slots=True)
class StreamInput:
    """A source that is a stream, not a file: standard input, named ``-`` among the paths.

    Read once, as it comes (:func:`open_stream`): it has no size, cannot be
    reopened, and is never "the same file" as a path (``f.json - < f.json``
    reads both; the journal's ids make the second one add nothing).
    """

    stream: BinaryIO
    """The binary stream (``sys.stdin.buffer``, never its text wrapper)."""
    name: str = STDIN_NAME
    """Its name in the report, in rejections (``<stdin>:12``) and in journal rows."""


def is_stdin(path: object) -> bool:
    """Whether ``path`` stands for standard input: the string ``"-"`` (a ``Path("-")`` is a file)."""
    return isinstance(path, str) and path == STDIN


def stdin_input(
    paths: Sequence[object], stream: BinaryIO | None = None, name: str | None = None
) -> StreamInput | None:
    """The standard-input source that ``paths`` name with ``-``, or ``None`` when none is ``-``.

    Parameters
    ----------
    paths : sequence
        The paths of an ingest call.
    stream : binary stream, optional
        What ``-`` reads (default ``sys.stdin.buffer``).
    name : str, optional
        Its name in reports and rejections (default :data:`STDIN_NAME`).

    Raises
    ------
    ValueError
        ``-`` is named more than once (a stream can be read only once), or
        standard input is closed.

    Examples
    --------
    >>> import io
    >>> stdin_input(["a.json", "-"], io.BytesIO(b"{}"), "upstream.json").name
    'upstream.json'
    >>> stdin_input(["a.json"]) is None
    True
    """
    named = sum(1 for path in paths if is_stdin(path))
    if not named:
        return None
    if named > 1:
        raise ValueError(f"standard input ('-') is named {named} times; it can be read only once")
    if stream is None:
        if sys.stdin is None:
            raise ValueError("standard input ('-') is closed")
        stream = sys.stdin.buffer
    return StreamInput(stream, name or STDIN_NAME)


def iter_inputs(
    paths: Iterable[str | os.PathLike[str]], stdin: StreamInput | None = None
) -> Iterator[InputFile | StreamInput]:
    """Every file under ``paths``, each real file once: files as given, directories recursively.

    Directories are walked depth first, each directory's files (sorted by name)
    before its subdirectories (sorted); names starting with ``.`` are ignored.
    Symbolic links to directories are followed (``sensor1 -> ../real``), each
    real directory (device and inode) walked once, so a link back up the tree
    ends instead of looping.  A regular file met again in the call, under any
    spelling (``f.json``, ``./f.json``, ``../dir/f.json``, a link, a hard link),
    comes out with :attr:`InputFile.same_as` set, for the caller to report and
    not read twice.  Other files (FIFOs, sockets, devices, dangling links) come
    out as found: :func:`skip_reason` or the read reports them.  Given
    ``stdin`` (:func:`stdin_input`), the path ``-`` comes out as that source,
    in its place among the others.
    """
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: dict[tuple[int, int] | str, Path] = {}
    for item in paths:
        if stdin is not None and is_stdin(item):
            yield stdin
            continue
        path = Path(item)
        if path.is_dir():
            yield from _walk(path, seen_dirs, seen_files)
        else:
            yield _first_or_again(path, seen_files)


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """The files :func:`iter_inputs` finds, each real file once (repeats left out)."""
    for found in iter_inputs(paths):
        if isinstance(found, InputFile) and found.same_as is None:
            yield found.path


def _walk(top: Path, seen_dirs: set[tuple[int, int]],
          seen_files: dict[tuple[int, int] | str, Path]) -> Iterator[InputFile]:
    # an explicit stack rather than recursion: a deep tree must not exhaust Python's stack
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            info = os.stat(folder)  # through links: the real directory
        except OSError:
            continue  # vanished or unreadable, as os.walk passes over it
        key = (info.st_dev, info.st_ino)
        if key in seen_dirs:
            continue  # a link back to a directory already walked (or being walked)
        seen_dirs.add(key)
        try:
            with os.scandir(folder) as entries:
                listed = sorted((entry.name, _is_dir(entry)) for entry in entries
                                if not entry.name.startswith("."))
        except OSError:
            continue
        for name, is_dir in listed:
            if not is_dir:
                yield _first_or_again(folder / name, seen_files)
        # reversed onto the stack: the subdirectories are walked in sorted order
        pending.extend(folder / name for name, is_dir in reversed(listed) if is_dir)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows a symbolic link
    except OSError:
        return False


def _first_or_again(path: Path, seen: dict[tuple[int, int] | str, Path]) -> InputFile:
    key = _file_key(path)
    if key is None:
        return InputFile(path)
    first = seen.setdefault(key, path)
    return InputFile(path, None if first is path else first)


def _file_key(path: Path) -> tuple[int, int] | str | None:
    """The identity of a regular file: device and inode (its resolved path where there is no inode)."""
    try:
        info = os.stat(path)
    except OSError:
        return None  # the read reports it
    if not stat.S_ISREG(info.st_mode):
        return None
    if info.st_ino:
        return (info.st_dev, info.st_ino)
    return str(path.resolve())
