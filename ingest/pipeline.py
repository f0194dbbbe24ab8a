"""The ingest pipeline: files or an HTTP body -> records -> events -> journal -> graph.

Order of operations (the rule for time-aware IP joins)
------------------------------------------------------
1. Every file of the call is read, parsed and **journaled** in batches of
   ``batch_size`` records (bounded memory: one batch at a time).  A batch is
   committed before its records count as accepted.  While journaling, the new
   events that bind an IP to a host (DHCP leases, endpoint network events) are
   fed to the persisted :class:`~ingest.ipmap.IpHostMap`.
2. Only then is the journal **projected** into the graph from the projection
   checkpoint on.  So a Zeek ``conn.log`` sees the DHCP leases of a
   ``dhcp.log`` given in the *same call*, whatever the file order; leases from
   earlier calls are in the persisted map.  Events of a later call do not
   re-map events already projected.

   Exception, for speed and memory: while every batch so far holds only
   endpoint events (a host name, not an IP), each batch is projected into the
   store right after its commit.  Their projection never consults the IP map,
   so it is the same as at the end; it is flushed and checkpointed with the
   rest at the end.  The first batch with a sensor event ends this, and it and
   all later events are projected at the end as described above.

   Those later batches are still projected as they are journaled, but
   speculatively (:class:`~ingest.speculative_projection.SpeculativeProjection`): the results
   are held, not stored, and applied at the end only if no IP -> host answer
   they used has changed since; otherwise (or past a memory budget) the
   events are projected again from the journal.  Either way the graph is the
   one the rule above gives.

Streams that trickle, and stopping
----------------------------------
A batch is committed when it is full, and at the end; standard input that is
a pipe or a socket (``tail -F eve.json | graphsiem ingest -``) may never
fill one nor end, so its batch is also committed once it holds records and
no batch was committed for ``flush_seconds``, even while the read waits for
bytes (:class:`~ingest.readers.streams.LiveSource` calls :meth:`~ingest.pipeline_session.Session.pace`
between records).  Such a batch is a batch like any other: journaled, then
projected early or speculatively as above, so the journal and the graph are
those of the same records in full batches; only the dating of a host's
local-time records by Sysmon records of later batches differs
(:mod:`ingest.host_clocks`).  A :class:`StopRequest` (``graphsiem ingest`` sets
one on SIGINT and SIGTERM) ends the reading where no record is half-taken: at
a batch's commit, or a stream's read; what was parsed is committed and
projected as at the end.

Such a stream's graph follows it: once journaled events have waited
``settle_seconds`` unprojected, the session **settles** (:meth:`CallProjection.settle`),
a call boundary as if the ingest had ended there and a new one begun: the
speculation is settled as at the end, the store flushed and the checkpoint
advanced, and the records after it are projected early or speculatively from
the new checkpoint.  So a sensor event is mapped with the leases journaled up
to the settle that projects it, as in separate calls; a lease journaled later
does not re-map it.  A crash between settles loses nothing: the journal
keeps every batch committed, the store the graph of the last settle with its
projection mark (Neo4j: of each batch it wrote, with its mark), and the next
call catches up from there, counting nothing twice.  Files named before a
live stream (``graphsiem ingest fleet/ -``) are settled as soon as they are
read, before the stream is waited on.  A store that fails (Neo4j down, a lock
held past its timeout) ends nothing: the journal goes on, and a later settle
or call projects what the store missed (:mod:`ingest.pipeline_projection`).

Ids (:mod:`ingest.pipeline_session`): the same record always gets the same
id, so a file ingested again adds nothing.  Nothing a record contains can make
the pipeline raise: reader framing errors, unknown formats and every
exception from a parser become rejections naming the record's origin and the
reason, kept in the journal, as does a file chosen for reading that cannot be
read at all (:mod:`ingest.pipeline_inputs`); an event outside the plausible
times is rejected too (:mod:`ingest.pipeline_checks`).

The modules: this one, the call's order of operations and its entry points;
:mod:`ingest.pipeline_projection`, how the call's events reach the graph
(:class:`CallProjection`); :mod:`ingest.pipeline_session`, a batch's records parsed
and journaled; :mod:`ingest.pipeline_counts`, a committed batch counted in the
report; :mod:`ingest.pipeline_inputs`, files, streams and HTTP bodies fed to
the session; :mod:`ingest.pipeline_checks`, what a parser's output must be;
:mod:`ingest.pipeline_stop`, :class:`StopRequest`.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from graphsiem.store.base import GraphStore
from ingest.channel_hosts import ChannelHosts
from ingest.gc_tuning import fewer_collections
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.parsers.base import ParserRegistry
from ingest.pipeline_checks import MAX_RAW_CHARS
from ingest.pipeline_inputs import UNREADABLE, ingest_body, ingest_file, ingest_stream, path_text
from ingest.pipeline_projection import CallProjection
from ingest.pipeline_session import Session
from ingest.pipeline_stop import Stopped, StopRequest
from ingest.progress import IngestProgress
from ingest.readers.base import Reader
from ingest.readers.files import (
    STDIN_NAME,
    InputFile,
    StreamInput,
    default_readers,
    iter_inputs,
    stdin_input,
)
from ingest.report import IngestReport
from ingest.write_failure import JournalWriteError

__all__ = [
    "BATCH_SIZE", "FLUSH_SECONDS", "MAX_RAW_CHARS", "SETTLE_SECONDS", "UNREADABLE", "CallProjection",
    "StopRequest", "ingest_paths", "ingest_records", "path_text", "settle_period",
]

BATCH_SIZE = 5000
FLUSH_SECONDS = 1.0
"""How long a batch of a stream that trickles (a pipe) waits, at most, before it is journaled."""
SETTLE_SECONDS = {"embedded": 60.0, "neo4j": 5.0}
"""How long journaled events of a live stream wait, at most, before its graph is settled, per store.

A settle of the embedded store saves the whole graph file (seconds for a graph
of millions of relations) and makes every reader load it again; Neo4j's costs
a checkpoint and the re-projection of held sensor batches whose IP map changed."""
SETTLE_DEFAULT = SETTLE_SECONDS["embedded"]
"""The period for a store of another kind: assumed to pay for a flush as the embedded store does."""

def ingest_paths(
    paths: Iterable[str | Path],
    *,
    store: GraphStore | None,
    journal: Journal,
    registry: ParserRegistry | None = None,
    format: str = "auto",
    default_timezone: str = "UTC",
    progress: bool | None = None,
    readers: Sequence[Reader] | None = None,
    batch_size: int = BATCH_SIZE,
    reference_year: int | None = None,
    received_at: float | None = None,
    time_window: tuple[float, float] | None = None,
    stdin: BinaryIO | None = None,
    stdin_name: str = STDIN_NAME,
    flush_seconds: float | None = FLUSH_SECONDS,
    settle_seconds: float | None = None,
    stop: StopRequest | None = None,
    receipt: float | None = None,
    channel: str | None = None,
    channel_hosts: ChannelHosts | None = None,
) -> IngestReport:
    """Ingest files and directories: journal every accepted event, then project into ``store``.

    Parameters
    ----------
    paths : iterable of path
        Files (any supported format, gzip or not) and directories (recursive,
        through symbolic links).  Each real file is read once per call, under
        the first path it is met by; a later different spelling of it (``./f``,
        ``../dir/f``, a link) is a skipped row naming that first path.  The
        string ``"-"`` is standard input, read once, in its place
        (:func:`~ingest.readers.files.open_stream`); a file named ``-`` is ``./-``.
    store : GraphStore or None
        Where the graph projection goes; ``None`` journals only (the graph can
        be caught up later with :func:`ingest.replay.project_pending`).
    journal : Journal
        The durable event journal.
    registry : ParserRegistry, optional
        Parsers for auto-detection (default: :func:`ingest.registry.default_registry`).
    format : str
        ``"auto"`` (detect per record) or a parser name to force.
    default_timezone : str
        IANA zone for zone-less timestamps without a better source.
    progress : bool, optional
        Show a progress bar; default: when standard error is a terminal.
    reference_year : int, optional
        Year of timestamps written without one (RFC 3164 syslog), for files of
        a known year; default: the syslog parser's rule relative to now.
    received_at : float, optional
        When a live source handed the records over (the syslog listener's
        spool): RFC 5424 lines without a TIMESTAMP take it.  Files have none.
    time_window : (float, float), optional
        The plausible event times, epoch seconds from and to (inclusive); a
        record with an event outside is rejected.  Default: from
        :func:`ingest.parsers.base.plausible_window` (1990 to the clock plus a day).
    stdin : binary stream, optional
        What the path ``"-"`` reads (default ``sys.stdin.buffer``).
    stdin_name : str
        The name it goes by in the report, rejections and journal rows
        (``<stdin>:12``); event ids do not depend on it.
    flush_seconds : float or None
        When standard input is a pipe or a socket, which may trickle
        (``tail -F eve.json |``): a batch holding records is journaled (and
        projected, as any batch) once no batch was for this many seconds, even
        while the read waits for bytes; ``None``: by size and at the end only.
        Files, and a file redirected to standard input, need no clock.  Smaller
        batches journal the same events under the same ids; the one thing a
        batch boundary changes is which Sysmon records date a host's
        local-time records (:mod:`ingest.host_clocks`: those of its own batch and before).
    settle_seconds : float or None
        When standard input is a pipe or a socket and ``store`` is given: once
        journaled events have waited this many seconds unprojected, the graph
        is settled, as if the ingest ended there and a new call began
        (:meth:`CallProjection.settle`): the held projections are applied (or the
        events projected again), the store flushed (the embedded store saves
        its file; Neo4j has committed), the checkpoint advanced.  Other readers
        (``graphsiem detect``, the API) then see those events.  ``None``: the
        store's default (:data:`SETTLE_SECONDS`: 60 for the embedded store,
        whose flush saves the whole graph, 5 for Neo4j); ``0``: off, the graph
        catches up at the end only.  The final graph is the one without
        settles unless a lease (an IP -> host interval) is journaled after a
        settle that projected sensor events it maps: those stay mapped as
        they were at the settle, as in separate ingest calls.  Files are
        projected at the end, whatever this says, unless a live stream
        follows them: they are settled before it is read.  A settle the
        store does not take (down, locked) is tried again a period later;
        the call ends all the same, with ``graph_pending`` in its report
        when the store does not take the end's projection either.
    stop : StopRequest, optional
        Once set (a signal handler: ``graphsiem ingest`` on SIGINT and
        SIGTERM), no further record is read: the records parsed so far are
        journaled and projected, and the report of them is returned
        (``stop.is_requested`` says it is partial).  A file stops at its next
        batch, standard input at once.
    receipt : float, optional
        When a live channel (the API) received the records: journaled with each event,
        so its sightings can be bounded by the channel's allowed lateness
        (:mod:`ingest.receipt`).  ``None`` (files an operator ingests): trusted, dated as written.
    channel : str, optional
        The live channel the records came by (``key:<id>``: an API body or upload);
        ``None`` for files an operator ingests, which are vouched for.
    channel_hosts : ChannelHosts, optional
        The operator's table of the hosts each channel may speak for: a record of a
        bound ``channel`` naming another host teaches no learner, is marked and
        counted (:mod:`ingest.channel_hosts`).  ``None``: every channel trusted.

    Returns
    -------
    IngestReport
        received = accepted + rejected per file, per format and in total;
        ``graph_pending``, the journaled events the store did not take (0
        when the graph is up to the journal).

    Raises
    ------
    UnknownFormatError
        When ``format`` names no registered parser (before anything is read).
    ValueError
        When ``"-"`` is named more than once, standard input is closed,
        ``flush_seconds`` is not a positive number, or ``settle_seconds`` is
        negative or not finite (before anything is read).
    JournalWriteError
        When the journal's disk refuses a batch (full, read-only): its
        ``report`` counts the batches committed before, its ``records`` the
        batch lost (:mod:`ingest.write_failure`).
    """
    if flush_seconds is not None and not (math.isfinite(flush_seconds) and flush_seconds > 0):
        raise ValueError(f"flush_seconds must be a positive number of seconds or None, not {flush_seconds!r}")
    settle = settle_period(store, settle_seconds)
    readers = list(readers) if readers is not None else default_readers()
    paths = list(paths)
    files: Iterable[InputFile | StreamInput] = iter_inputs(paths, stdin_input(paths, stdin, stdin_name))
    bar = None
    if sys.stderr.isatty() if progress is None else progress:
        files = list(files)  # the bar's total is the size of every file, known before reading
        bar = IngestProgress([
            found if isinstance(found, StreamInput) else found.path
            for found in files if isinstance(found, StreamInput) or found.same_as is None
        ])
    with fewer_collections():
        session = _session(
            journal, store, registry=registry, format=format,
            default_timezone=default_timezone, batch_size=batch_size, progress=bar,
            reference_year=reference_year, received_at=received_at, time_window=time_window,
            flush_seconds=flush_seconds, settle_seconds=settle, stop=stop, receipt=receipt,
            channel=channel, channel_hosts=channel_hosts,
        )
        try:
            try:
                for found in files:
                    if stop is not None and stop.is_requested:
                        break
                    if isinstance(found, StreamInput):
                        ingest_stream(session, found, readers)
                    elif found.same_as is None:
                        ingest_file(session, found.path, readers)
                    elif str(found.path) != str(found.same_as):
                        # a real file read once per call, under the first name met; the
                        # other spellings are listed so the report shows where each went
                        session.report.file(path_text(found.path)).skipped = (
                            f"the same file as {path_text(found.same_as)} (read once in this call)")
            except Stopped:
                pass  # asked to stop: what was parsed is committed, as at the end
            session.commit()  # the last batch, while the bar still shows its count
        except JournalWriteError as exc:
            # the disk refused a batch: the caller reports what was committed before it
            session.report.seconds = time.perf_counter() - session.started
            exc.report = session.report
            raise
        finally:
            if bar is not None:
                bar.close()
        return session.finish()


def settle_period(store: GraphStore | None, settle_seconds: float | None) -> float | None:
    """The settle period of an ingest into ``store`` (``None``: no settles), ``settle_seconds`` checked.

    Parameters
    ----------
    store : GraphStore or None
        The ingest's store; without one there is no graph to settle.
    settle_seconds : float or None
        Seconds; ``None`` for the store's default (:data:`SETTLE_SECONDS`), ``0`` for none.

    Raises
    ------
    ValueError
        When ``settle_seconds`` is negative, NaN or infinite.

    Examples
    --------
    >>> settle_period(None, 5.0) is None, settle_period(None, None) is None
    (True, True)
    """
    if settle_seconds is not None and not (math.isfinite(settle_seconds) and settle_seconds >= 0):
        raise ValueError(f"settle_seconds must be a number of seconds (0: off) or None, not {settle_seconds!r}")
    if store is None or settle_seconds == 0:
        return None
    if settle_seconds is None:
        return SETTLE_SECONDS.get(getattr(store, "name", ""), SETTLE_DEFAULT)
    return float(settle_seconds)


def ingest_records(
    body: bytes | str | Sequence[dict[str, Any]],
    *,
    store: GraphStore | None,
    journal: Journal,
    registry: ParserRegistry | None = None,
    format: str = "auto",
    default_timezone: str = "UTC",
    origin: str = "api",
    batch_size: int = BATCH_SIZE,
    time_window: tuple[float, float] | None = None,
    receipt: float | None = None,
    channel: str | None = None,
    channel_hosts: ChannelHosts | None = None,
) -> IngestReport:
    """Ingest an HTTP body: a JSON array, NDJSON, or already-decoded JSON objects.

    Records are auto-detected per record (or ``format`` forces a parser); the
    report has one "file" named ``origin``.  See :func:`ingest_paths` for the rest.
    """
    with fewer_collections():
        session = _session(
            journal, store, registry=registry, format=format,
            default_timezone=default_timezone, batch_size=batch_size, time_window=time_window,
            receipt=receipt, channel=channel, channel_hosts=channel_hosts,
        )
        try:
            return ingest_body(body, session, origin)
        except JournalWriteError as exc:
            exc.report = session.report  # the batches committed before the disk refused one
            raise


def _session(journal: Journal, store: GraphStore | None, **options: Any) -> Session:
    """A call's session, with the projection that takes its commits, both on the journal's IP -> host map."""
    ipmap = IpHostMap().load(journal.connection)
    return Session(journal=journal, projection=CallProjection(journal, store, ipmap), ipmap=ipmap, **options)
