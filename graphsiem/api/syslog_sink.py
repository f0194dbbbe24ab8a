"""The syslog listener's sink: ingest a batch, and note a refused journal write for ``/readyz``.

A POST refused by a full disk answers 507 and makes ``/readyz`` not ready
(:mod:`graphsiem.api.journal_writes`); a syslog batch refused the same way was
only a traceback in the log, and the service stayed "ready" while every
message it received was lost.  Now it is noted the same way, logged in one
line, and its messages are counted in ``graphsiem_syslog_dropped_total``
(syslog has no answer to send: a sender cannot be told to retry).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from graphsiem.api.context import AppContext
from graphsiem.api.journal_writes import RETRY_AFTER_SECONDS, journal_writes
from ingest.report import IngestReport
from ingest.write_failure import STORAGE_ERRORS, JournalWriteError, storage_reason

log = logging.getLogger("graphsiem.syslog")


def syslog_sink(ctx: AppContext) -> Callable[[Sequence[str], str], IngestReport | None]:
    """The sink the listener hands each batch to: :meth:`IngestService.ingest_syslog`, its journal writes noted.

    Returns
    -------
    callable
        ``sink(messages, transport)``: the batch's report, or ``None`` when the
        journal refused it (logged, counted as dropped, ``/readyz`` not ready).
    """
    writes = journal_writes(ctx)

    def sink(messages: Sequence[str], transport: str) -> IngestReport | None:
        try:
            report = ctx.ingest.ingest_syslog(messages, transport)
        except JournalWriteError as exc:
            lost, reason = exc.records, exc.reason
        except STORAGE_ERRORS as exc:
            lost, reason = len(messages), storage_reason(exc)
        else:
            writes.succeeded()
            return report
        writes.failed(reason)
        ctx.metrics.count_syslog_dropped(transport, lost)
        log.error("journal write refused: %d syslog %s messages lost: %s (/readyz not ready for %d s)",
                  lost, transport, reason, RETRY_AFTER_SECONDS)
        return None

    return sink
