"""One ingest call's session: records parsed into a batch, the batch journaled and counted.

:class:`Session` takes each framed record (detect its parser, parse, check,
give its events their ids: :mod:`ingest.event_ids`), commits a batch to the
journal when it is full, when a stream's batch has waited (:meth:`Session.pace`)
and at the end, and counts every record in the report.  What reaches the graph,
and when, is :class:`ingest.pipeline_projection.CallProjection`'s job, told of each commit.
The batch's commit, pacing and settling are :class:`ingest.pipeline_batch.BatchCommits`'s;
finding a record's parser and taking a wrapper record as its parts,
:class:`ingest.pipeline_parts.ParserChoice`'s: the session's two base classes.

Ids: derived from the parser name and the record (plus the event's index when
a record yields several events), so the same record always gets the same id.
The rule is the journal's id scheme (:mod:`ingest.event_ids`): a new journal
hashes the record's bytes as read (an NDJSON line) with sha256 and keeps that
very line as the event's raw evidence (a JSON object without a line, such as an
array element, is hashed and kept re-serialised compactly in its own key order,
so it has its compact line's id; its former canonical-text id is its alias on
journals filled before); a journal that held events before
schemes existed keeps ``stable_hash(parser name, canonical text)``, so a file
ingested into it again adds nothing.  A parser that sets an event's id itself
(a content id: Zeek, whose TSV and JSON copies of a record must be one event;
a Windows event with a record number, one in every export) keeps it, and the id
by those rules becomes the event's alias on a journal that held events before
its parser's content ids (:mod:`ingest.event_id_aliases`).  An NDJSON line that
is not compact is hashed by its compact dump and journaled as read; on a journal
that held events before that rule, the id of its bytes is its alias.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

import orjson

from graphsiem.model import Event
from ingest.channel_hosts import ChannelBinding, ChannelHosts, mark_unbound
from ingest.event_id_aliases import former_ids
from ingest.event_ids import AS_READ, as_read_id, canonical_text_id
from ingest.host_clocks import HostClocks
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.parsers.base import (
    ParseContext,
    Parser,
    ParserRegistry,
    UnknownFormatError,
    plausible_window,
)
from ingest.parsers.localized_windows_text import LOCALIZED_TEXT
from ingest.parsers.syslog_header import TIME_SOURCE
from ingest.parsers.syslog_time import ASSUMED_YEARS
from ingest.pipeline_batch import BatchCommits
from ingest.pipeline_checks import check_events, is_plain, raw_of, reason_of
from ingest.pipeline_ids import add_alias, sorted_id_input
from ingest.pipeline_parts import ParserChoice, PartsHook
from ingest.pipeline_stop import Stopped, StopRequest
from ingest.progress import IngestProgress
from ingest.readers.base import RawRecord, ReadError
from ingest.readers.ndjson import canonical_json
from ingest.receipt import RECEIVED_AT, received_suffix
from ingest.registry import default_registry
from ingest.report import Counts, IngestReport
from ingest.sensor_clock_gaps import CLOCK_GAPS

if TYPE_CHECKING:
    from ingest.pipeline_projection import CallProjection


class Session(ParserChoice, BatchCommits):
    """The state of one ingest call: the current batch and the report.

    ``projection`` is told of each batch's new events after their commit, of
    each settle and of the end (:class:`ingest.pipeline_projection.CallProjection`);
    ``ipmap`` is the map it projects with, which each commit teaches.
    """

    def __init__(
        self,
        *,
        journal: Journal,
        projection: CallProjection,
        ipmap: IpHostMap,
        registry: ParserRegistry | None,
        format: str,
        default_timezone: str,
        batch_size: int,
        progress: IngestProgress | None = None,
        reference_year: int | None = None,
        received_at: float | None = None,
        time_window: tuple[float, float] | None = None,
        flush_seconds: float | None = None,
        settle_seconds: float | None = None,
        stop: StopRequest | None = None,
        receipt: float | None = None,
        channel: str | None = None,
        channel_hosts: ChannelHosts | None = None,
    ) -> None:
        self.started = time.perf_counter()
        # A stream's batch is journaled once it waited flush_seconds (pace); a stop
        # request ends the reading at a batch's commit (flush) or a stream's read (pace).
        self.flush_seconds = flush_seconds
        self.stop = stop
        self.flushed_at = time.monotonic()
        # A live stream's graph is settled (a call boundary, :meth:`settle`) once journaled
        # events have waited settle_seconds unprojected; only while one is read (ingest_stream).
        self.settle_seconds = settle_seconds
        self.is_settling = False
        self.unsettled_since: float | None = None
        # The plausible event times (module docstring); the end moves with the
        # clock, read once a batch (a long ingest must not reject today's events).
        self.fixed_window = time_window
        self.earliest, self.latest = time_window or plausible_window()
        self.journal = journal
        self.registry = registry = registry or default_registry()
        self.forced: Parser | None = None if format == "auto" else registry.get(format)
        self.timezone = default_timezone
        self.batch_size = batch_size
        self.progress = progress
        self.report = IngestReport()
        self.ipmap = ipmap
        self.projection = projection
        self.host_clocks = HostClocks().load(journal.connection)
        self.events: list[Event] = []
        self.raw_json: list[str | bytearray] = []
        self.fields_json: list[bytes] = []
        # Per accepted record of the batch, how many events it made (its events
        # are consecutive in self.events), and the runs of records of one file
        # and format: (file counts, format counts, index of the run's first record).
        # Two tuples a record fewer than (file, format, ids) per record; flush counts a run at a time.
        self.sizes: list[int] = []
        # By position in self.events, the ids an event may be journaled under already (Journal.append):
        # a record's first event, the id when a release read one event from its record; an event
        # with a content id, its ids as read, which releases before content ids gave it.
        self.aliases: dict[int, str | tuple[str, ...]] = {}
        # positions in self.events of the events whose id their parser set (content ids: ingest.journal_recurrences)
        self.content_ids: set[int] = set()
        self.runs: list[tuple[Counts, Counts, int]] = []
        self._run_file: Counts | None = None
        self._run_formats: Counts | None = None
        self.rejections: list[tuple[str, str, str, str]] = []
        self.rejected_in: list[tuple[Counts, Counts]] = []  # each rejection's file and format counts
        self.records = 0
        self.is_as_read = journal.id_scheme == AS_READ  # which id rule (ingest.event_ids), fixed per journal
        # whether an event's content id needs its ids as read as aliases, and whether a
        # re-serialised JSON object's id of its canonical text is one (ingest.event_id_aliases)
        former = former_ids(journal.connection)
        self.may_hold_read_ids = former.read
        self.may_hold_framed_ids = former.framed
        # whether a Windows event's record-number id, or a line not compact's id of its
        # dump, may have been journaled as read by a release before (ingest.event_id_aliases)
        self.may_hold_exported_ids = former.exported
        # whether a JSON object's event may be journaled under the id of its own key order (ingest.pipeline_ids)
        self.may_hold_unsorted_ids = former.sorted
        self._shapes: dict[tuple[str, ...], Parser] = {}
        # the same by key set, asked only when the key order is new: Winlogbeat writes its keys in
        # random order (2,666 of empire_enable_rdp's 5,479 records have an order of their own)
        self._key_sets: dict[frozenset[str], Parser] = {}
        self._formats: dict[str, Counts] = {}  # the report's counts per format, without a call per record
        self._parts: dict[str, tuple[Counts, PartsHook | None]] = {}  # see _parser_entry
        self._context = ParseContext(
            default_timezone=default_timezone, reference_year=reference_year, received_at=received_at,
            host_clocks=self.host_clocks,
        )
        # year-less dates put in a year by rule are counted into the report (ingest.parsers.syslog_time)
        self._context.extras[ASSUMED_YEARS] = self.report.assumed_years
        # a host's clock measured against a sensor's on records both dated (ingest.sensor_clock_gaps)
        self._context.extras[CLOCK_GAPS] = self.report.clock_gaps
        # German rendered Windows text, not read, is counted for the report (ingest.parsers.localized_windows_text)
        self._context.extras[LOCALIZED_TEXT] = self.report.localized_text
        self.receipt = receipt
        """When a live channel received the records (``None``: a file, trusted): journaled with each
        event as :data:`ingest.receipt.RECEIVED_AT`, so the projection bounds its sightings."""
        self.channel_hosts = channel_hosts
        """The operator's table of the hosts each live channel may speak for (``None``: no table)."""
        self.channel: str | None = None
        self.binding: ChannelBinding | None = None
        self.speak_as(channel)

    def speak_as(self, channel: str | None) -> None:
        """The next records came by ``channel`` (``syslog:<peer>``, ``key:<id>``; ``None``: a file, trusted).

        When the table binds it, its records naming a host outside its binding teach
        neither the host clocks nor the sensor clock gaps nor the IP map, and are
        marked and counted (:mod:`ingest.channel_hosts`); an unbound channel keeps
        today's trust.
        """
        if channel == self.channel and channel is not None:
            return
        self.channel = channel
        binding = self.binding = None if self.channel_hosts is None else self.channel_hosts.binding(channel)
        speaks_for = None if binding is None else binding.allows
        self.host_clocks.speaks_for = speaks_for
        self.report.clock_gaps.speaks_for = speaks_for

    def receive(self, at: float) -> None:
        """The next records arrived live at ``at``: stamped with it, and dated by it when they have no time.

        The syslog listener's messages each have their own receipt time
        (:func:`ingest.pipeline_lines.ingest_lines`): both the live receipt
        (:attr:`receipt`) and the parsers' ``received_at`` become ``at``.
        """
        self.receipt = self._context.received_at = at

    # -- per record ---------------------------------------------------------
    def take(
        self,
        raw: RawRecord | ReadError,
        file: Counts,
        reader_name: str,
        hint: str | None,
        part_of: Parser | None = None,
    ) -> None:
        """Parse one framed record into the batch (or reject it); commit the batch first if it is full.

        One method for the whole path of a record: each call saved is ~0.1 us a
        record (measured).  The batch is committed when the record after its
        last one arrives, or by :meth:`flush` at the end: the same batches.
        A record whose parser splits it into parts (``parts`` in
        :mod:`ingest.parsers.base`) is taken as those parts, each by a call with
        ``part_of`` the parser, which parses it without detection and never splits it again.
        """
        if self.records >= self.batch_size:
            if part_of is None:
                self.flush()
            else:
                # a part of a record already read: a stop waits for the record's last part
                # (_take_parts), else the parts after this batch would be dropped unreported
                self.commit()
        self.records += 1
        if isinstance(raw, ReadError):
            self._reject(file, self.report.format(reader_name), raw.origin, reader_name, raw.reason, raw.raw)
            return
        record = raw.record
        # The record's text, made only where it is needed: a line as read into a
        # scheme-2 journal is hashed and journaled as its bytes, and decoding a
        # 2.8 KB Windows line cost ~0.4 us (measured); a rejection decodes it.
        text: str | None = None
        if not self.is_as_read:
            if not raw.is_canonical and isinstance(record, dict):
                # a JSON line as read, into a scheme-1 journal: its id, raw and
                # rejection text are the canonical text, exactly as before schemes
                text = canonical_json(record)
            else:
                text = raw.text
        parser = self.forced
        if part_of is not None:
            parser = part_of  # a part is its wrapper's, whatever its own keys (a hit of only _source)
        elif parser is not None:
            # --format turns auto-detection off, not the parser's own check: a record
            # its sniff does not claim would be "parsed" into an empty, host-less event
            # and journaled for good (--format ecs on Suricata EVE: 5,000 of them)
            if not parser.sniff(record):
                self._reject(
                    file, self.report.format(parser.name), raw.origin, parser.name,
                    self._not_claimed(parser, record), raw.text if text is None else text,
                )
                return
        else:
            # the parser that claimed this key layout before, if its sniff agrees (see _parser_for)
            if record.__class__ is dict and not raw.format_hint:
                parser = self._shapes.get(tuple(record))
                if parser is None:  # a new key order: a frozenset of its keys (~0.4 us) spares detect (~1.4 us)
                    parser = self._key_sets.get(frozenset(record))
            if parser is None or not parser.sniff(record):
                try:
                    parser = self._parser_for(raw)
                except UnknownFormatError as exc:
                    self._reject(
                        file, self.report.format("unknown"), raw.origin, "unknown", str(exc),
                        raw.text if text is None else text,
                    )
                    return
        name = parser.name
        formats = self._formats.get(name)
        if formats is None:
            # a parser's first record, or any record of a parser with parts (kept out of
            # _formats, so that ordinary records pay nothing for the parts hook)
            formats, parts = self._parser_entry(parser)
            if parts is not None and part_of is None and self._take_parts(parts, parser, raw, file, reader_name, hint):
                if self.stop is not None and self.stop.is_requested:
                    raise Stopped  # every part of the record is taken; ingest_paths commits them
                return
        # one context object, updated per record: parsers consume it while parsing
        context = self._context
        context.origin = origin = raw.origin
        context.path_hint = raw.path_hint or hint
        earliest, latest = self.earliest, self.latest
        try:
            events = list(parser.parse(record, context))
            if self.receipt is not None:
                _stamp_receipt(events, self.receipt)
            # a bound channel naming a host it may not speak for (ingest.channel_hosts): marked, counted below
            unbound = self.binding is not None and mark_unbound(events, self.binding, cast(str, self.channel))
            if len(events) == 1 and is_plain(event := events[0], earliest, latest):
                problem = None
                # serialised here, where a bad value can still reject the record
                fields_json = orjson.dumps(event.fields, default=str)
            else:
                problem = check_events(events, earliest, latest)
                if problem is None:
                    many_fields_json = [orjson.dumps(e.fields, default=str) for e in events]
                    if len(events) == 1:  # one valid event of looser types (an int time)
                        fields_json = many_fields_json[0]
        except Exception as exc:  # noqa: BLE001 - any parser failure is a rejection, never a crash
            problem = reason_of(exc)
        if problem:
            self._reject(file, formats, origin, name, problem, raw.text if text is None else text)
            return
        if unbound:
            self.report.unbound_channels[cast(str, self.channel)] += 1
        # The journal keeps as raw the text the id is derived from (a line as read,
        # or canonical text): no re-dump.  Scheme 2 hashes the bytes as read where
        # the reader kept them (no encode of 2.8 KB); scheme 1 hashes ``text``.
        raw_json: str | bytearray
        # a re-serialised object's canonical text, the id input of releases before
        # framing-independent ids: hashed for aliases on journals they wrote to
        former: bytes | None = None
        if not self.is_as_read:
            data = None
            raw_json = cast(str, text) if not raw.is_canonical else raw_of(record, raw.text)
        else:
            data = raw.data
            read_as = None
            if raw.is_redumped:
                read_as = raw.read_as
                if read_as is not None:  # a line not compact: hashed as read by releases before
                    if self.may_hold_exported_ids:
                        former = read_as
                # (a journal that may hold ids as read from before content ids held events when
                # this release first opened it, so may_hold_framed_ids covers both)
                elif self.may_hold_framed_ids:
                    # a re-dumped record is a parsed JSON object (a text record is never re-dumped)
                    former = canonical_json(cast(dict, record)).encode("utf-8", "surrogatepass")
            if raw.is_canonical:
                raw_json = raw_of(record, raw.text)
            else:
                # a line as read: its bytes, stored as the same text (a bytearray:
                # Python's sqlite3 binds bytes through a slower path); a line not
                # compact is hashed by its dump (data) and kept as read
                raw_json = bytearray(data if read_as is None else read_as) if data is not None else raw.text
            if data is None:
                data = raw.text.encode("utf-8", "surrogatepass")
        # From here raw_json stands for the record: nothing downstream reads
        # Event.raw (the journal stores raw_json, the projection never needs it),
        # and freeing the record now, while its memory is hot, instead of at the
        # end of the batch made Zeek JSON ingest ~8% faster per CPU second (measured).
        if formats is not self._run_formats or file is not self._run_file:
            self._start_run(file, formats)
        # the id's input: a JSON object's compact dump with sorted keys, for events the parser
        # gives no content id (ingest.pipeline_ids); else the bytes as above
        in_order = None
        if (data is not None and events and not (events[0].id if len(events) == 1 else all(e.id for e in events))
                and record.__class__ is dict and not raw.is_canonical):
            in_order = sorted_id_input(record, data)  # None: the bytes are that dump already
        if self.receipt is not None and _dated_by_receipt(events):
            # dated when it arrived: the same bytes later are another occurrence (ingest.receipt)
            text, data = _with_receipt(text, data, self.receipt)
            if in_order is not None:
                in_order = _with_receipt(None, in_order, self.receipt)[1]
            if former is not None:
                former = _with_receipt(None, former, self.receipt)[1]
        key = data if in_order is None else in_order
        # the id of the object's own key order, which releases before gave its events (ingest.event_id_aliases)
        unsorted = self.may_hold_unsorted_ids and in_order is not None
        if len(events) == 1:  # the common case, without the loop's bookkeeping
            event = events[0]
            if event.id:
                self.content_ids.add(len(self.events))
            if not event.id:
                event.id = canonical_text_id(name, cast(str, text)) if key is None else as_read_id(name, key)
                if former is not None and former != data:
                    self.aliases[len(self.events)] = as_read_id(name, former)
                if unsorted:
                    add_alias(self.aliases, len(self.events), as_read_id(name, cast(bytes, data)))
            elif self.may_hold_read_ids or (self.may_hold_exported_ids and event.source != "zeek"):
                # the parser's content id: the id as read is an alias (ingest.event_ids); a Zeek
                # event's only on a journal filled before content ids, a Windows event's before
                # record-number ids, and a re-serialised object's under either framing's id
                if data is None:
                    self.aliases[len(self.events)] = canonical_text_id(name, cast(str, text))
                elif former is None or former == data:
                    self.aliases[len(self.events)] = as_read_id(name, data)
                else:
                    self.aliases[len(self.events)] = (as_read_id(name, data), as_read_id(name, former))
            event.raw = None
            if not event.origin:
                event.origin = origin
            if not event.source:
                event.source = name
            self.events.append(event)
            self.raw_json.append(raw_json)
            self.fields_json.append(fields_json)
            self.sizes.append(1)
            return
        self.fields_json.extend(many_fields_json)
        # the record's first event may be journaled already under the one-event id, by a
        # release that read only it from this record: then it is not new (Journal.append)
        first = len(self.events)
        may_hold_read_ids = self.may_hold_read_ids or self.may_hold_exported_ids
        if may_hold_read_ids or not events[0].id:
            one_event_id = canonical_text_id(name, cast(str, text)) if key is None else as_read_id(name, key)
            self.aliases[first] = one_event_id
            if unsorted:
                add_alias(self.aliases, first, as_read_id(name, cast(bytes, data)))
        # each event of a record that gives several is journaled with the record's text
        # (a wrapper's part: its own, not the wrapper's; see _take_parts)
        for index, event in enumerate(events):
            if event.id:
                self.content_ids.add(first + index)
            if not event.id or may_hold_read_ids:  # else the parser's content id, and nothing to alias
                read_id = (
                    canonical_text_id(name, cast(str, text), index) if key is None
                    else as_read_id(name, key, index)
                )
                if not event.id:
                    event.id = read_id
                else:  # the parser's content id: the ids as read are aliases, the first event's both
                    self.aliases[first + index] = (one_event_id, read_id) if index == 0 else read_id
                if unsorted:
                    add_alias(self.aliases, first + index, as_read_id(name, cast(bytes, data), index))
            if not event.origin:
                event.origin = origin
            if not event.source:
                event.source = name
            self.events.append(event)
            self.raw_json.append(raw_json)
            event.raw = None
        self.sizes.append(len(events))
        if former is not None and former != data:
            self._alias_former(first, name, former, len(events))

    def _alias_former(self, first: int, name: str, former: bytes, count: int) -> None:
        """Add the ids releases before gave a re-serialised object's ``count`` events (from its canonical text)."""
        aliases = self.aliases
        for index in range(count):
            held = aliases.get(first + index, ())
            ids = (held,) if isinstance(held, str) else held
            olds = (as_read_id(name, former), as_read_id(name, former, 0)) if index == 0 else (
                as_read_id(name, former, index),)
            aliases[first + index] = ids + olds

    def _start_run(self, file: Counts, formats: Counts) -> None:
        self.runs.append((file, formats, len(self.sizes)))
        self._run_file, self._run_formats = file, formats

def _stamp_receipt(events: list[Event], receipt: float) -> None:
    """Give each event of a live channel its receipt time (a parser's own value of the key is overwritten)."""
    for event in events:
        fields = getattr(event, "fields", None)
        if fields.__class__ is dict:  # else check_events rejects the record, with the reason
            cast(dict[str, Any], fields)[RECEIVED_AT] = receipt


def _dated_by_receipt(events: list[Event]) -> bool:
    """Whether a record's time is its receipt time (``log.syslog.time_source: receipt``)."""
    return any(event.fields.get(TIME_SOURCE) == "receipt" for event in events)


def _with_receipt(text: str | None, data: bytes | None, receipt: float) -> tuple[str | None, bytes | None]:
    """The id's input of a record dated by its receipt: its text or bytes, then the receipt time.

    Only the id's input: the raw evidence journaled is the record as received.
    """
    suffix = "\x1f" + received_suffix(receipt)
    if data is not None:
        return text, bytes(data) + suffix.encode("ascii")
    return cast(str, text) + suffix, None
