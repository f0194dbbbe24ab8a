"""The journals the API's ingest service hands out: one per thread, and one that remembers a call's rejections.

Part of :mod:`graphsiem.api.services.ingest`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from graphsiem.model import Event
from ingest.journal import Journal

if TYPE_CHECKING:
    from graphsiem.api.services.ingest import IngestService

MAX_REJECTIONS_SHOWN = 100


class RecordingJournal:
    """A journal that also remembers the rejections of one call (to answer with them).

    The pipeline keeps rejections in the journal; the API must also say which
    records of *this* request were rejected and why.
    """

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self.rejections: list[tuple[str, str]] = []
        self.rejected_total = 0

    def reject(self, rejections: Iterable[tuple[str, str, str, str]]) -> int:
        rows = list(rejections)
        self._remember(rows)
        return self._journal.reject(rows)

    def append(self, events: Sequence[Event], **options: Any) -> list[Event]:
        # the pipeline hands a batch's rejections to append, to keep them in its transaction
        self._remember(options.get("rejections", ()))
        return self._journal.append(events, **options)

    def _remember(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        self.rejected_total += len(rows)
        room = MAX_REJECTIONS_SHOWN - len(self.rejections)
        self.rejections.extend((origin, reason) for origin, _, reason, _ in rows[:max(room, 0)])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._journal, name)



class ThreadJournal:
    """``ctx.journal``: journal reads on whichever thread asks."""

    def __init__(self, service: IngestService) -> None:
        self._service = service

    def get(self, ids: Iterable[str]) -> list[Any]:
        """Events by id, their origins rewritten so no server path leaves the API."""
        events = self._service.journal().get(ids)
        for event in events:
            event.origin = self._service.public_origin(event.origin or "")
        return events

    @property
    def connection(self) -> sqlite3.Connection:
        """This thread's connection to the journal database (a detection's credential attempts read
        their validator's events in the window through it: :mod:`analytics.credential_attempts`)."""
        connection: sqlite3.Connection = self._service.journal().connection
        return connection
