"""The year of year-less syslog dates: RFC 3164 headers and CEF ``rt`` without a year.

The rule (docs/fields.md, "Syslog time"):

* with ``context.reference_year`` (``graphsiem ingest --year``): the first such
  date of a file is in that year; each later one is in the year of the one
  before it, moved to the next year when its month goes back by more than
  six months (``Dec 31`` then ``Jan  1``: New Year inside the file) and back
  again when it goes forward by more than six months after such a move (a
  late ``Dec 31`` line just after New Year), never before the given year.  A
  smaller step back (a line written late across a month's end) keeps the year.
* without it: with now (``context.clock``) taken in the date's zone, the
  year among last, this and next year that puts the date nearest to now and
  not more than :data:`FUTURE_TOLERANCE_S` (one day) in the future.

A 29 February: with ``context.reference_year``, a ``Feb 29`` in a year without
one (the given year, or the later year a file has moved on to) is rejected,
naming the date and the year: the year was given, and a date it does not have
is a mistake in the line or in the year, not a reason to date the line years
earlier.  Without it, the guessed years skip the years without one, back to
the last leap year.

The per-file state of the first rule is kept in ``context.extras`` (the
pipeline keeps one :class:`~ingest.parsers.base.ParseContext` for a whole
ingest and sets its ``origin`` to ``path:line`` per record): a new path, or a
line number lower than the last one seen (the same file read again), starts
a file afresh.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from ingest.parsers.base import FUTURE_TOLERANCE_S, ParseContext, ParseError

"""How far in the future a year-less date may be dated (sender clocks run ahead)."""

ROLLOVER_MONTHS = 6
"""A month further back than this from the last date of a file (with a given year) is the next year's."""

_YEARS_BACK = 10  # from next year back past the previous leap year (at most 8 years apart)
_STATE_KEY = "syslog.file_year"
ASSUMED_YEARS = "syslog.assumed_years"
"""``ParseContext.extras`` key of a ``{year: records}`` dict (the pipeline's
:attr:`ingest.report.IngestReport.assumed_years`) that counts the dates put in a
year by the rule without ``--year``: the report says so, and how to give the year."""


class _FileYear:
    """Where a file's year-less dates have got to: the file, its last line, year and month."""

    __slots__ = ("path", "line", "reference", "year", "month")

    def __init__(self, path: str, line: int | None, reference: int, month: int) -> None:
        self.path, self.line, self.reference = path, line, reference
        self.year, self.month = reference, month

    def year_of(self, month: int) -> int:
        """The year of a date in ``month`` that follows the file's last date."""
        if self.month - month > ROLLOVER_MONTHS:
            return self.year + 1
        if month - self.month > ROLLOVER_MONTHS and self.year > self.reference:
            return self.year - 1
        return self.year


def _position(origin: str) -> tuple[str, int | None]:
    """``("path", line)`` of an origin ``path:line`` or ``path#n``; the line is ``None`` without one."""
    for separator in (":", "#"):
        head, found, tail = origin.rpartition(separator)
        if found and tail.isascii() and tail.isdigit():
            return head, int(tail)
    return origin, None


def _file_state(context: ParseContext, reference: int, month: int) -> tuple[_FileYear, int | None]:
    """This file's year state (started afresh for a new file) and the current line number."""
    path, line = _position(context.origin)
    state = context.extras.get(_STATE_KEY)
    if (
        not isinstance(state, _FileYear)
        or state.path != path
        or state.reference != reference
        or (line is not None and state.line is not None and line < state.line)
    ):
        state = context.extras[_STATE_KEY] = _FileYear(path, line, reference, month)
    return state, line


def _local_year(now: float, zone: tzinfo) -> int:
    """The year at epoch ``now`` in ``zone``, from a per-zone cache of the current year's span."""
    span = _year_spans.get(zone)
    if span is None or not span[0] <= now < span[1]:
        year = datetime.fromtimestamp(now, zone).year
        start, end = datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
        span = _year_spans[zone] = (start.timestamp(), end.timestamp(), year)
    return span[2]


_year_spans: dict[tzinfo, tuple[float, float, int]] = {}
"""Zone -> (start, end, year) of the year "now" was last in: a zone lookup (~2 us) per
line only once a year (or when an injected clock jumps)."""


def yearless_time(
    month: int,
    day: int,
    clock: tuple[int, int, int, int],
    context: ParseContext,
    zone: tzinfo | None = None,
    *,
    what: str = "RFC 3164 date",
) -> float:
    """Epoch seconds of a date without a year, by the module's year rule.

    Parameters
    ----------
    month, day : int
        The date (``day`` is checked against the month and year).
    clock : tuple of int
        Hour, minute, second and microsecond.
    context : ParseContext
        Reference year, time zone, clock and origin (for the per-file state).
    zone : tzinfo, optional
        The zone the date was written in; default ``context.default_timezone``.
    what : str
        Names the date in the error (``"RFC 3164 date"``, ``"CEF rt"``).

    Raises
    ------
    ParseError
        A day the month never has (``Apr 31``), or ``Feb 29`` in a given
        (``reference_year``) year without one.

    Examples
    --------
    >>> from datetime import UTC
    >>> context = ParseContext(origin="a.log:1", reference_year=2005)
    >>> datetime.fromtimestamp(yearless_time(12, 31, (23, 59, 59, 0), context), UTC).year
    2005
    >>> context.origin = "a.log:2"
    >>> datetime.fromtimestamp(yearless_time(1, 1, (0, 0, 1, 0), context), UTC).year
    2006
    """
    tz = zone if zone is not None else ZoneInfo(context.default_timezone)
    if context.reference_year is not None:
        return _in_given_year(month, day, clock, context, context.reference_year, tz, what)
    now = context.clock()
    # this year is the year now in the date's zone: a New Year's line in
    # Auckland is read in the new year while UTC is still in the old one
    first, latest = _local_year(now, tz) + 1, now + FUTURE_TOLERANCE_S
    for year in range(first, first - _YEARS_BACK, -1):
        if year == first and (month, day) > (1, 3):
            # next year's date after 3 January is more than a day ahead of
            # any moment this year (zone offset changes are at most a day)
            continue
        try:
            moment = datetime(year, month, day, *clock, tzinfo=tz)
        except ValueError:
            if month == 2 and day == 29:
                continue  # a guessed year without one: the one before
            raise ParseError(f"invalid {what}: month {month} day {day}") from None
        ts = moment.astimezone(UTC).timestamp()
        if ts <= latest:
            assumed = context.extras.get(ASSUMED_YEARS)
            if assumed is not None:  # the ingest report says which years were assumed, how often
                assumed[year] = assumed.get(year, 0) + 1
            return ts
    raise ParseError(f"invalid {what}: month {month} day {day}")


def _in_given_year(
    month: int, day: int, clock: tuple[int, int, int, int], context: ParseContext, reference: int,
    tz: tzinfo, what: str,
) -> float:
    """Epoch seconds of the date in the file's year, from the given ``reference`` year (module rule)."""
    state, line = _file_state(context, reference, month)
    year = state.year_of(month)
    try:
        moment = datetime(year, month, day, *clock, tzinfo=tz)
    except ValueError:
        if month == 2 and day == 29:
            source = "the given year" if year == reference else "the file's year after New Year"
            raise ParseError(
                f"invalid {what}: Feb 29 does not exist in {year}, {source} (--year {reference})"
            ) from None
        raise ParseError(f"invalid {what}: month {month} day {day}") from None
    state.line, state.year, state.month = line, year, month  # only a date that was read moves the file on
    return moment.astimezone(UTC).timestamp()
