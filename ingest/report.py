"""The ingest report: received = accepted + rejected, per file, per format and in total."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from graphsiem.visible_text import escape_hidden
from ingest.parsers.localized_windows_text import localized_lines
from ingest.sensor_clock_gaps import ClockGaps


@dataclass(slots=True)
class Counts:
    """Record counts of one file, one format or the whole ingest.

    ``duplicates`` are accepted records whose events were already in the
    journal (accepted, not new); ``events`` counts the new events journaled.
    """

    received: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    events: int = 0

    def add(self, other: Counts) -> None:
        self.received += other.received
        self.accepted += other.accepted
        self.rejected += other.rejected
        self.duplicates += other.duplicates
        self.events += other.events


@dataclass(slots=True)
class FileReport:
    """One input file: the reader used (or why it was skipped) and its counts."""

    path: str
    reader: str | None = None
    skipped: str | None = None
    counts: Counts = field(default_factory=Counts)


@dataclass(slots=True)
class IngestReport:
    """Everything one ingest call did."""

    files: dict[str, FileReport] = field(default_factory=dict)
    formats: dict[str, Counts] = field(default_factory=dict)
    total: Counts = field(default_factory=Counts)
    projected: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    graph_pending: int = 0
    """Journaled events the graph store did not take by the end of the call (it failed or did not
    answer): the graph is this far behind the journal until a later call projects them."""
    assumed_years: dict[int, int] = field(default_factory=dict)
    """Year -> records whose date has no year (RFC 3164 syslog, CEF) and were put in it by
    :data:`ASSUMED_YEAR_RULE`, without ``--year`` (counted by :mod:`ingest.parsers.syslog_time`)."""
    clock_gaps: ClockGaps = field(default_factory=ClockGaps)
    unbound_channels: Counter[str] = field(default_factory=Counter)
    """Channel -> accepted records naming a host the operator's table does not bind it to: they
    taught no learner (:mod:`ingest.channel_hosts`)."""
    localized_text: Counter[tuple[str, int]] = field(default_factory=Counter)
    """(language, event id) -> Windows messages rendered in that language, not read
    (:mod:`ingest.parsers.localized_windows_text`)."""
    """Hosts whose own clock and a sensor's disagree on records both dated (:mod:`ingest.sensor_clock_gaps`)."""

    def file(self, path: str) -> FileReport:
        report = self.files.get(path)
        if report is None:
            report = self.files[path] = FileReport(path)
        return report

    def format(self, name: str) -> Counts:
        counts = self.formats.get(name)
        if counts is None:
            counts = self.formats[name] = Counts()
        return counts

    @property
    def skipped(self) -> list[FileReport]:
        return [f for f in self.files.values() if f.skipped]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``graphsiem ingest --json`` and ``POST /events``."""
        return {
            "received": self.total.received,
            "accepted": self.total.accepted,
            "rejected": self.total.rejected,
            "duplicates": self.total.duplicates,
            "events": self.total.events,
            "files": [
                {"path": f.path, "reader": f.reader, "skipped": f.skipped, **asdict(f.counts)}
                for f in self.files.values()
            ],
            "formats": {name: asdict(counts) for name, counts in sorted(self.formats.items())},
            "projected": dict(self.projected),
            "graph_pending": self.graph_pending,
            "assumed_year": self._assumed_year(),
            "clock_gaps": self.clock_gaps.gaps(),
            "unbound_channels": self.unbound_channel_rows(),
            "localized_windows_text": [
                {"language": language, "event_id": event_id, "records": count}
                for (language, event_id), count in sorted(self.localized_text.items())],
            "seconds": round(self.seconds, 3),
        }

    def unbound_channel_rows(self) -> list[dict[str, Any]]:
        """Per channel, the records that named a host it is not bound to (:mod:`ingest.channel_hosts`), by channel."""
        return [{"channel": channel, "records": count} for channel, count in sorted(self.unbound_channels.items())]

    def _assumed_year(self) -> dict[str, Any] | None:
        """``--json``'s account of year-less dates put in a year by rule; ``None`` when there were none."""
        if not self.assumed_years:
            return None
        return {
            "records": sum(self.assumed_years.values()),
            "years": {str(year): count for year, count in sorted(self.assumed_years.items())},
            "rule": ASSUMED_YEAR_RULE,
            "change_with": "--year YYYY",
        }

    def render(self) -> str:
        """A plain-text table for terminals."""
        header = f"{'':<48} {'received':>9} {'accepted':>9} {'rejected':>9} {'dupes':>7} {'events':>8}"
        lines = [header, "per file:"]
        for f in self.files.values():
            if f.skipped:
                lines.append(f"  {_clip(f.path, 46):<46} skipped: {printable(f.skipped)}")
            else:
                lines.append(f"  {_clip(f.path, 46):<46} {_row(f.counts)}")
        lines.append("per format:")
        for name, counts in sorted(self.formats.items()):
            lines.append(f"  {_clip(name, 46):<46} {_row(counts)}")
        lines.append(f"{'total':<48} {_row(self.total)}")
        if self.projected:
            lines.extend(_projection_lines(self.projected))
        if self.graph_pending:
            lines.append(
                f"graph behind the journal: {self.graph_pending} events journaled but not projected (the graph "
                "store did not take them); any later ingest projects them (the same input journals nothing twice)"
            )
        if self.assumed_years:
            lines.append(_assumed_year_line(self.assumed_years))
        lines.extend(gap["note"] for gap in self.clock_gaps.gaps())
        lines.extend(localized_lines(self.localized_text))
        lines.append(f"took {self.seconds:.2f} s")
        return "\n".join(lines)


ASSUMED_YEAR_RULE = (
    "a date written without a year is put in the year that makes it the most recent such date "
    "not more than a day ahead of now"
)
"""The year rule of :mod:`ingest.parsers.syslog_time` without ``--year``, as the report states it."""


def _assumed_year_line(assumed_years: dict[int, int]) -> str:
    """The table's line on year-less dates: how many, which years, the rule, and how to give the year.

    >>> _assumed_year_line({2025: 3, 2026: 1997}).split(" (a date")[0]
    'year assumed: 2000 records dated without a year were put in 2025 (3), 2026 (1997)'
    """
    years = ", ".join(f"{year} ({count})" if len(assumed_years) > 1 else str(year)
                      for year, count in sorted(assumed_years.items()))
    return (f"year assumed: {sum(assumed_years.values())} records dated without a year were put in {years} "
            f"({ASSUMED_YEAR_RULE}); give the year with --year YYYY (e.g. the year of an archived file)")


GRAPH_WRITES = ("entities", "relations", "sightings")
"""Keys of ``projected`` that count writes (batch items upserted), not what the graph holds."""


def _projection_lines(projected: dict[str, int]) -> list[str]:
    """The projection's lines: events projected, then the graph writes, labelled as writes.

    ``entities``, ``relations`` and ``sightings`` count the items each batch
    upserted: an entity seen in ten batches is ten writes and one node, and an
    entity already in the graph is a write too.  Printed as totals they read as
    the size of the graph (15,528 "entities" for 4,684 nodes), so they are
    labelled as writes and the reader is pointed to ``graphsiem stats``.
    """
    events = [f"{k} {v}" for k, v in projected.items() if k not in GRAPH_WRITES]
    writes = [f"{k} {v}" for k, v in projected.items() if k in GRAPH_WRITES]
    lines = [f"projected into the graph: {', '.join(events)}"] if events else []
    if writes:
        lines.append(f"graph writes (upserts, repeats included; `graphsiem stats` counts what the "
                     f"graph holds): {', '.join(writes)}")
    return lines


def _row(c: Counts) -> str:
    return f"{c.received:>9} {c.accepted:>9} {c.rejected:>9} {c.duplicates:>7} {c.events:>8}"


def printable(text: str) -> str:
    r"""``text`` with control characters escaped, safe to print on a terminal.

    File names, origins and rejection reasons can carry attacker-chosen bytes
    (an ANSI escape in a file name or a record); they are shown, never obeyed.
    The characters escaped are those the server's text writes as codes
    (:func:`graphsiem.visible_text.escape_hidden`), here in Python's notation.

    Examples
    --------
    >>> printable("evil\x1b[2J")
    'evil\\x1b[2J'
    """
    return escape_hidden(text, notation="repr")


def _clip(text: str, width: int) -> str:
    text = printable(text)
    return text if len(text) <= width else "…" + text[-(width - 1) :]
