"""Ingest messages that are already records, one text line each: a syslog listener's batch.

A batch of syslog messages (many senders, up to the listener's batch size)
used to be written to a spool file and read back as a file, so its content
chose how it was read: a gzip magic, a byte-order mark or UTF-16's pattern
of NULs in the first message, a NUL or control bytes anywhere (the batch
refused as binary), or a first message that looked like JSON, a CSV header,
``<Event>`` or ``#separator`` decided the framing of every message after it.
Here each message is its own record, whatever the others hold: a message
its parser refuses is one rejection with its reason; the others are read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from graphsiem.store.base import GraphStore
from ingest.channel_hosts import ChannelHosts
from ingest.gc_tuning import fewer_collections
from ingest.journal import Journal
from ingest.parsers.base import ParserRegistry
from ingest.pipeline import BATCH_SIZE, _session
from ingest.readers.base import RawRecord
from ingest.report import IngestReport

MESSAGES = "text"
"""The reader name the report gives a batch of messages (that of text lines)."""


def ingest_lines(
    lines: Iterable[str],
    *,
    origin: str,
    store: GraphStore | None,
    journal: Journal,
    registry: ParserRegistry | None = None,
    format: str = "auto",
    default_timezone: str = "UTC",
    reference_year: int | None = None,
    received_at: float | None = None,
    data: Sequence[bytes] | None = None,
    received: Sequence[float] | None = None,
    channels: Sequence[str | None] | None = None,
    channel_hosts: ChannelHosts | None = None,
) -> IngestReport:
    """Ingest each of ``lines`` as one text record, ``origin:N`` its origin (N from 1).

    Blank lines are skipped, as a text file's are.  The report has one "file"
    named ``origin``; ``received_at`` dates the records that carry no time
    (see :func:`ingest.pipeline.ingest_paths`, whose other parameters these are).
    ``data``, when given, holds each line's bytes as received (``data[i]`` for
    ``lines[i]``): the record's id is derived from them, as a file line's is from
    its bytes, so two messages whose texts read alike stay two records.

    Messages are a live channel's: each event is stamped with its receipt time
    (:mod:`ingest.receipt`), ``received[i]`` for ``lines[i]`` when given (the
    listener's time of each message, which also dates a message without a time
    of its own), else ``received_at``; without either, none (trusted, as a file).
    ``channels[i]``, when given, is the channel ``lines[i]`` came by (the listener's
    ``syslog:<peer address>``), judged by ``channel_hosts`` (:mod:`ingest.channel_hosts`).

    Raises
    ------
    UnknownFormatError
        When ``format`` names no registered parser (before anything is read).
    """
    with fewer_collections():
        session = _session(
            journal, store, registry=registry, format=format, default_timezone=default_timezone,
            reference_year=reference_year, received_at=received_at, batch_size=BATCH_SIZE,
            receipt=received_at, channel_hosts=channel_hosts,
        )
        file = session.report.file(origin)
        file.reader = MESSAGES
        counts, take = file.counts, session.take
        for number, line in enumerate(lines, start=1):
            if line.strip():
                raw = None if data is None else data[number - 1]
                if received is not None:
                    session.receive(received[number - 1])
                if channels is not None:
                    session.speak_as(channels[number - 1])
                take(RawRecord(line, f"{origin}:{number}", line, None, None, raw), counts, MESSAGES, None)
        return session.finish()
