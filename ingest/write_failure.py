"""A write to the journal that the disk refused: full, read-only, gone.

The pipeline's readers turn every exception of a file into a rejection of
that file ("could not be read to the end"), rightly for a damaged gzip; a
journal commit that fails inside a record's ``take`` was caught there too,
counted as the file's fault, and the rejection's own commit failed again: a
70-line traceback and no report (review S2, item 4).  The session raises
:class:`JournalWriteError` instead, which the readers let through, and
:func:`ingest.pipeline.ingest_paths` hands it back with the report of the
batches committed before (:attr:`JournalWriteError.report`).
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.report import IngestReport

STORAGE_ERRORS: tuple[type[BaseException], ...] = (OSError, sqlite3.OperationalError)
"""What a write to a file or an SQLite database raises when the disk refuses it."""

_CANNOT_CREATE = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.ENOENT, errno.EISDIR)
_CANNOT_CREATE_SQLITE = ("readonly database", "unable to open database", "attempt to write a readonly")


class JournalWriteError(Exception):
    """A batch the journal could not commit, with what the call had committed before.

    Parameters
    ----------
    path : Path
        The journal's file.
    cause : Exception
        The error of the write (``sqlite3.OperationalError``, ``OSError``).
    records : int
        The records of the batch that was not committed.

    Attributes
    ----------
    report : IngestReport or None
        Set by :func:`ingest.pipeline.ingest_paths`: the counts of the batches
        committed before the failure, the failed batch's records taken out.
    """

    def __init__(self, path: Path, cause: BaseException, records: int) -> None:
        self.path = path
        self.cause = cause
        self.records = records
        self.report: IngestReport | None = None
        super().__init__(f"{path}: {storage_reason(cause)}")

    @property
    def reason(self) -> str:
        """The disk's reason, in a few words (``database or disk is full``)."""
        return storage_reason(self.cause)


def storage_reason(exc: BaseException) -> str:
    """The reason of a storage error in a few words, without the path (the caller names it).

    Examples
    --------
    >>> storage_reason(OSError(28, "No space left on device", "/d/journal.sqlite"))
    'No space left on device'
    >>> storage_reason(sqlite3.OperationalError("database or disk is full"))
    'database or disk is full'
    """
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def cannot_create(exc: BaseException) -> bool:
    """True when ``exc`` says a file cannot be made or opened for writing at all (not: the disk filled).

    Tells ``EX_CANTCREAT`` (73: a read-only or missing place, a path under a
    file, no permission) from ``EX_IOERR`` (74: a write that failed part-way,
    the disk or a size limit full).

    Examples
    --------
    >>> cannot_create(NotADirectoryError(20, "Not a directory"))
    True
    >>> cannot_create(sqlite3.OperationalError("attempt to write a readonly database"))
    True
    >>> cannot_create(sqlite3.OperationalError("database or disk is full"))
    False
    >>> cannot_create(OSError(28, "No space left on device"))
    False
    """
    if isinstance(exc, OSError):
        return exc.errno in _CANNOT_CREATE
    text = str(exc)
    return any(marker in text for marker in _CANNOT_CREATE_SQLITE)
