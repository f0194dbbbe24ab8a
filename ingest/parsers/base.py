"""Parser plugins and their registry.

Ingest is two steps, each a plugin kind:

* a **reader** frames a file into records: NDJSON lines, a JSON array or
  concatenated pretty-printed objects, Zeek TSV rows (turned into dicts keyed by
  the ``#fields`` names, typed by ``#types``, with ``_path`` set), EVTX records
  (as evtx_dump-style dicts), plain text lines (syslog).  Readers live in
  ``ingest/readers/``.
* a **parser** turns one record (a ``dict`` or a ``str`` line) into normalised
  :class:`graphsiem.model.Event` objects.  It has a ``name``, a cheap
  ``sniff(record) -> bool`` and ``parse(record, context) -> Iterator[Event]``.

Parsers leave ``Event.id`` empty: the pipeline derives a stable id from the
parser name and the record's canonical text, so the same record always gets
the same id, whichever file or API call brought it.

A record a parser cannot handle raises :class:`ParseError` with the reason; the
pipeline turns that into a ``Rejected`` entry (record, origin, reason) and goes on.

Wrapper formats: parts
----------------------
A record may hold several independent records: an Elasticsearch search
response holds its hits, a Splunk results page its results, an MDE Event Hub
message its records.  Such a parser may
define an optional method ``parts(record)`` that returns ``None`` for a record
it parses whole (a single hit), or an iterable of ``(part, suffix)`` pairs:
each ``part`` (a ``dict`` or ``str``) is then a record of its own for the
pipeline, with origin ``<record's origin><suffix>`` (``"f.json:1#hit-3"``).
The pipeline parses each part with the same parser (``parse(part, context)``)
and never splits a part again; it counts, accepts and rejects the parts, not
the record, so one bad part rejects only itself, with its own text, and a
record of no parts (an empty scroll page) counts as nothing.  A part's event
ids come from the parser's name and the part's canonical JSON
(:func:`~ingest.readers.ndjson.canonical_json`), its raw evidence is that text
(:mod:`ingest.event_ids`).  ``parts`` must be cheap for a record it does not
split, must not raise for records ``sniff`` claimed (if it does, the record is
rejected whole, its parts already taken kept), and is looked up once per
parser per ingest call, so it cannot be added to a parser while it is used.
A part is read by the same ``parse`` as a record of its own (the parser cannot
tell them apart), so ``parse`` must read or refuse, with a reason, whatever a
part may be.  Each event of a record that gives several (a part's too) is
journaled with that record's text.  ``parse`` given a whole wrapper record (a
caller other than the pipeline, or another wrapper's inner record) reads all
its parts, through :func:`parse_parts`.

What a sniff reads: keys, or values too
---------------------------------------
An ingest remembers which parser claimed a JSON object's key layout, and for
the next object of that layout asks only that parser's ``sniff``
(:mod:`ingest.pipeline_parts`).  That is the parser detection would give only
if no sniff ahead of it could claim the object, so each parser declares what
its sniff reads of a JSON object (text records are never remembered):

* ``sniff_reads_values = False``: its answer for a JSON object depends only on
  the object's set of keys (not their order, not their values);
* ``sniff_reads_values = True``: values too (MDE's ``Type``, Splunk HEC's
  ``host``, Zeek's nested ``id``...).  Such a parser also defines
  ``could_claim_layout(keys) -> bool``: False only when no object with exactly
  ``keys`` is claimed, whatever its values.  A parser that declares neither is
  taken as reading values and able to claim any layout: never wrong, only slower.

:meth:`ParserRegistry.decides_layout` reads the declarations;
``tests/ingest/parsers/test_sniff_declarations.py`` keeps each one honest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from graphsiem.model import Event

if TYPE_CHECKING:
    from ingest.host_clocks import HostClocks

Record = dict[str, Any] | str

EARLIEST_EVENT_TIME = 631152000.0
"""1990-01-01 UTC: an earlier event time is a corrupt or unset value (Windows' 1601 epoch, 0)."""

FUTURE_TOLERANCE_S = 86400.0
"""How far past the clock an event time may lie (a sender's clock running ahead, zones)."""


def plausible_window(now: float | None = None) -> tuple[float, float]:
    """The plausible event times, inclusive: :data:`EARLIEST_EVENT_TIME` to ``now`` (default the
    clock) plus :data:`FUTURE_TOLERANCE_S`; the pipeline and the parsers' time checks share it."""
    return EARLIEST_EVENT_TIME, (time.time() if now is None else now) + FUTURE_TOLERANCE_S

FIRST_YEAR, LAST_YEAR = 1970, 2099
"""Bounds of a given ``reference_year`` (``graphsiem ingest --year``, the API's ``year``)."""


def timezone_problem(name: str) -> str | None:
    """Why ``name`` cannot be a ``default_timezone`` (None when it is an IANA zone).

    Checked before any record is read: a bad zone would otherwise reject every
    zone-less record, one by one, as if the records were at fault.

    >>> timezone_problem("Europe/Paris") is None, timezone_problem("Mars/Olympus")[:17]
    (True, 'unknown time zone')
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a directory
        return f"unknown time zone {name!r}: use an IANA name such as UTC, Europe/Paris or America/New_York"
    return None


class ParseError(ValueError):
    """A record that its parser cannot turn into events; the message is the reason."""


class UnknownFormatError(LookupError):
    """No registered parser recognises a record, or a format name is unknown."""


@dataclass(slots=True)
class ParseContext:
    """What a parser may know beyond the record itself.

    Attributes
    ----------
    origin : str
        ``"path:line"`` (or ``"path#record-n"``, ``"api"``) of the record, for evidence and errors.
    path_hint : str | None
        Log name guessed from the file name (``"conn"`` for ``conn.log``), used
        when a Zeek JSON record carries no ``_path``.
    default_timezone : str
        IANA zone applied to zone-less timestamps that have no better source
        (documented rule; default ``"UTC"``).
    reference_year : int | None
        Year for RFC 3164 syslog lines, which carry none (see the syslog parser).
    extras : dict
        Reader-specific hints.
    clock : callable
        Epoch seconds now (default :func:`time.time`), for rules that depend on
        the current time (the RFC 3164 year); tests inject a fixed clock.
    received_at : float | None
        When a live source handed over the records (the syslog listener's
        receipt time); ``None`` for files, which have none.  An RFC 5424 line
        whose TIMESTAMP is NILVALUE takes it.
    host_clocks : HostClocks | None
        Windows hosts' clock offsets learnt from Sysmon (:mod:`ingest.host_clocks`);
        the pipeline gives one per ingest call, ``None`` dates records as written.
    """

    origin: str = ""
    path_hint: str | None = None
    default_timezone: str = "UTC"
    reference_year: int | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    received_at: float | None = None
    host_clocks: HostClocks | None = None


@runtime_checkable
class Parser(Protocol):
    """A record-level format plugin.

    A parser whose records can hold several records (an Elasticsearch search response)
    may also define ``parts(record) -> Iterable[tuple[Record, str]] | None``: see
    "Wrapper formats: parts" in the module docstring.  It is optional, so it is not
    a member of the protocol: ``isinstance(parser, Parser)`` holds with or without it.
    So are ``sniff_reads_values`` and ``could_claim_layout`` ("What a sniff reads" in the
    module docstring).
    """

    name: str

    def sniff(self, record: Record) -> bool:
        """Cheap check: could this record be of my format?  Must never raise."""

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """Normalised events of the record; raise :class:`ParseError` on bad input."""


def parse_parts(
    parts: Iterable[tuple[Any, str]],
    context: ParseContext,
    parse_part: Callable[[Any, ParseContext], Iterable[Event]],
    empty: str,
) -> Iterator[Event]:
    """The events of a wrapper record read whole: each part by ``parse_part``, with its own origin.

    The pipeline takes a wrapper's parts one by one (module docstring); a wrapper's
    ``parse`` given the whole record (another caller, or a part that is itself a
    wrapper record) reads them here.  Each part is read with ``context.origin`` set
    to ``<origin><suffix>``, restored after; the first part that cannot be read
    fails the record, its reason led by the suffix.  A record of no parts fails with
    ``empty``: read whole, it is a record, and it holds no event (the pipeline counts
    a record of no parts as nothing only where it splits it).

    Parameters
    ----------
    parts : iterable of (part, suffix)
        What the parser's ``parts`` returned for the record.
    context : ParseContext
        The record's context.
    parse_part : callable
        Reads one part: ``parse_part(part, context)`` gives its events or raises
        :class:`ParseError`.
    empty : str
        The reason a record of no parts is refused.

    Examples
    --------
    >>> def read(part, context):
    ...     if not isinstance(part, int):
    ...         raise ParseError("not a number")
    ...     yield Event("", "n", float(part), None, "n", {}, context.origin)
    >>> context = ParseContext(origin="f:1")
    >>> [e.origin for e in parse_parts([(1, "#n-1"), (2, "#n-2")], context, read, "none")], context.origin
    (['f:1#n-1', 'f:1#n-2'], 'f:1')
    >>> for parts in ([(1, "#n-1"), ("x", "#n-2")], []):
    ...     try:
    ...         list(parse_parts(parts, context, read, "a list of no numbers"))
    ...     except ParseError as error:
    ...         print(error)
    n-2: not a number
    a list of no numbers
    """
    origin = context.origin
    suffix = None
    try:
        for part, suffix in parts:
            context.origin = f"{origin}{suffix}"
            try:
                yield from parse_part(part, context)
            except ParseError as error:
                raise ParseError(f"{suffix.lstrip('#')}: {error}") from None
    finally:
        context.origin = origin
    if suffix is None:
        raise ParseError(empty)


class ParserRegistry:
    """An ordered set of parsers (an instance, not a global).

    Order matters for auto-detection: the first parser whose ``sniff`` accepts
    a record wins, so specific formats are registered before generic ones.
    """

    def __init__(self) -> None:
        self._parsers: dict[str, Parser] = {}

    def register(self, parser: Parser) -> Parser:
        """Add ``parser``; refuse a second parser with the same name."""
        if parser.name in self._parsers:
            raise ValueError(f"a parser named {parser.name!r} is already registered")
        self._parsers[parser.name] = parser
        return parser

    def get(self, name: str) -> Parser:
        """The parser called ``name``; :class:`UnknownFormatError` names the known ones."""
        try:
            return self._parsers[name]
        except KeyError:
            known = ", ".join(self._parsers) or "none"
            raise UnknownFormatError(f"unknown format {name!r} (known: {known})") from None

    def detect(self, record: Record) -> Parser:
        """The first parser that sniffs ``record`` as its own."""
        for parser in self._parsers.values():
            try:
                if parser.sniff(record):
                    return parser
            except Exception:  # noqa: BLE001 - a sniff must never break detection
                continue
        raise UnknownFormatError(_describe_unknown(record))

    def decides_layout(self, parser: Parser, keys: AbstractSet[str]) -> bool:
        """Whether every JSON object with exactly ``keys`` that ``parser`` sniffs as its own is detected as ``parser``'s.

        Asked when :meth:`detect` gave ``parser`` for an object with these keys, so each
        parser ahead of it whose sniff reads only keys refused them; the answer is
        then no only when a parser ahead reads values and could claim an object of
        these keys (module docstring, "What a sniff reads").  A layout it decides may
        be remembered: re-checking ``parser``'s sniff alone gives detection's answer.

        Examples
        --------
        >>> from ingest.registry import default_registry
        >>> registry = default_registry()
        >>> ecs = registry.get("ecs")
        >>> registry.decides_layout(ecs, {"@timestamp", "host", "process"})
        True
        >>> registry.decides_layout(ecs, {"@timestamp", "host", "Type", "DeviceName"})  # MDE's, by Type
        False
        """
        for ahead in self._parsers.values():
            if ahead is parser:
                return True
            if getattr(ahead, "sniff_reads_values", True) and could_claim_layout(ahead, keys):
                return False
        return False  # not a parser of this registry: nothing is known of its place

    @property
    def names(self) -> list[str]:
        return list(self._parsers)

    def __iter__(self) -> Iterator[Parser]:
        return iter(self._parsers.values())

    def __len__(self) -> int:
        return len(self._parsers)


def could_claim_layout(parser: Parser, keys: AbstractSet[str]) -> bool:
    """Whether ``parser``'s sniff may claim some JSON object with exactly ``keys`` (True when it does not say).

    >>> from ingest.parsers.mde import MdeParser
    >>> could_claim_layout(MdeParser(), {"Type", "DeviceName"}), could_claim_layout(MdeParser(), {"ts", "uid"})
    (True, False)
    >>> could_claim_layout(object(), {"ts"})  # declares nothing: taken as able to claim anything
    True
    """
    claims = getattr(parser, "could_claim_layout", None)
    if claims is None:
        return True
    try:
        return bool(claims(keys))
    except Exception:  # noqa: BLE001 - a broken declaration must not break ingest: assume it could
        return True


def _describe_unknown(record: Record) -> str:
    if isinstance(record, dict):
        keys = ", ".join(sorted(record)[:8])
        return f"no parser recognises a JSON object with keys [{keys}]"
    return f"no parser recognises the line {record[:80]!r}"
