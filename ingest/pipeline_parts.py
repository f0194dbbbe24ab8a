"""Which parser reads a record, and a wrapper record taken as its parts.

:class:`ParserChoice` is a base of :class:`ingest.pipeline_session.Session`:
the parser of a record whose key layout has none yet (remembered per layout,
so that the next record of the layout costs one ``sniff``, where that sniff
alone gives detection's answer: :meth:`~ingest.parsers.base.ParserRegistry.decides_layout`), the reason a record
is not the forced ``--format``'s, and a wrapper record (a parser with
``parts``, :mod:`ingest.parsers.base`) taken as its parts, each by
:meth:`~ingest.pipeline_session.Session.take`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from graphsiem.model import Event
from ingest.parsers.base import ParseContext, ParseError, Parser, ParserRegistry, UnknownFormatError
from ingest.pipeline_checks import reason_of
from ingest.readers.base import RawRecord, ReadError
from ingest.readers.ndjson import canonical_json
from ingest.report import Counts, IngestReport

PartsHook = Callable[[Any], Iterable[tuple[Any, str]] | None]
"""A wrapper parser's ``parts`` method (:mod:`ingest.parsers.base`)."""


class ParserChoice:
    """Find a record's parser and split wrapper records into parts (a base class of the session)."""

    # made by Session.__init__
    registry: ParserRegistry
    report: IngestReport
    records: int
    _shapes: dict[tuple[str, ...], Parser]
    _key_sets: dict[frozenset[str], Parser]
    _formats: dict[str, Counts]
    _parts: dict[str, tuple[Counts, PartsHook | None]]

    if TYPE_CHECKING:  # the session's (Session.take, BatchCommits._reject): declared for readers and checkers only
        def take(
            self, raw: RawRecord | ReadError, file: Counts, reader_name: str, hint: str | None,
            part_of: Parser | None = None,
        ) -> None: ...

        def _reject(self, file: Counts, formats: Counts, origin: str, fmt: str, reason: str, raw: str) -> None: ...

    def _parser_entry(self, parser: Parser) -> tuple[Counts, PartsHook | None]:
        """The report's counts of ``parser``'s format and its ``parts`` hook, looked up once a call.

        A parser without ``parts`` is then cached in ``_formats`` (take's one lookup
        a record); one with it stays in ``_parts`` and its records come here.
        """
        name = parser.name
        entry = self._parts.get(name)
        if entry is None:
            formats = self.report.format(name)
            parts = getattr(parser, "parts", None)
            if parts is None:
                self._formats[name] = formats
            entry = self._parts[name] = (formats, parts)
        return entry

    def _take_parts(
        self, parts: PartsHook, parser: Parser, raw: RawRecord, file: Counts, reader_name: str,
        hint: str | None,
    ) -> bool:
        """Take each part of a wrapper record as a record; False when ``parser`` parses the record whole.

        A part's text (its id's input and its raw evidence, :mod:`ingest.event_ids`) is its
        canonical JSON; its origin is the record's plus the part's suffix.  A record of no
        parts (an empty scroll page) is not counted at all.  A ``parts`` that fails (a
        parser bug) rejects the record whole with the reason; the parts taken before stay.
        """
        origin, path_hint = raw.origin, raw.path_hint
        try:
            pieces = parts(raw.record)
            if pieces is None:
                return False
            pieces = iter(pieces)
        except Exception as exc:  # noqa: BLE001 - a failure to split is a rejection, never a crash
            self._reject_whole(parser, raw, file, exc)
            return True
        self.records -= 1  # the parts are the batch's records, not the record that holds them
        take = self.take
        while True:
            # only the splitting is guarded: an error of take itself (the journal's) must raise
            try:
                piece: Any = next(pieces, _END)
                if piece is _END:
                    return True
                part, suffix = piece
                text = part if part.__class__ is str else canonical_json(part)
                item = RawRecord(part, f"{origin}{suffix}", text, path_hint)
            except Exception as exc:  # noqa: BLE001 - as above
                self._reject_whole(parser, raw, file, exc)
                return True
            take(item, file, reader_name, hint, parser)

    def _reject_whole(self, parser: Parser, raw: RawRecord, file: Counts, exc: Exception) -> None:
        """Reject a record whose parser's ``parts`` failed on it (the parts taken before stay)."""
        name = parser.name
        self._reject(file, self.report.format(name), raw.origin, name, f"cannot split into parts: {reason_of(exc)}", raw.text)

    def _parser_for(self, raw: RawRecord) -> Parser:
        """The parser of a record whose key layout has none yet, or whose layout's parser refused it."""
        if raw.format_hint:
            try:
                return self.registry.get(raw.format_hint)
            except UnknownFormatError:
                pass
        record = raw.record
        parser = self.registry.detect(record)
        # Records of one source share their key layout: remember which parser
        # claimed a layout, so that take re-checks only its sniff.  By key order and
        # by key set: no sniff reads the order, and a source writing its keys in
        # random order would fill the order cache and detect every record.
        if record.__class__ is dict and not raw.format_hint:
            key_set = frozenset(record)
            # Only where that sniff alone gives detection's answer: when a sniff ahead
            # reads values (MDE's Type), a forged first row of the layout would otherwise
            # choose the parser of every genuine row after it.  Such a layout is
            # remembered as undecided, so that each of its records is detected.
            remembered = parser if self.registry.decides_layout(parser, key_set) else UNDECIDED
            if len(self._shapes) < 4096:
                self._shapes[tuple(record)] = remembered
            if len(self._key_sets) < 4096:
                self._key_sets[key_set] = remembered
        return parser

    def _not_claimed(self, parser: Parser, record: Any) -> str:
        """The reason a record is not the forced format's: what auto-detection would read it as."""
        try:
            found = f"it reads as {self.registry.detect(record).name} (--format auto would take it)"
        except Exception:  # noqa: BLE001 - UnknownFormatError, or a sniff that broke its promise
            found = "no parser recognises it"
        return f"not a {parser.name} record: {found}"


_END = object()
"""The end of a parser's parts, for ``next`` (a part may be any JSON value, ``None`` too)."""


class _Undecided:
    """The parser remembered for a key layout whose records must each be detected: it claims nothing."""

    name = "undecided layout"
    sniff_reads_values = False

    def sniff(self, record: Any) -> bool:
        return False

    def parse(self, record: Any, context: ParseContext) -> Iterator[Event]:
        raise ParseError("an undecided layout is detected, never parsed")  # take never reaches it


UNDECIDED: Parser = _Undecided()
"""What ``_shapes`` and ``_key_sets`` hold for a layout a value-reading sniff ahead could claim
(:meth:`~ingest.parsers.base.ParserRegistry.decides_layout`): its sniff refuses, so take detects."""

