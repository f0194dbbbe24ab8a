"""The words that say which window a detection read and why it found nothing.

Said by ``graphsiem detect`` under its table and kept in the service's
detection record (``GET /v1/detections/{id}``, the page's empty queue).  They
are built from a detection's stats (:mod:`analytics.window_end`, rule 3: hosts
that *lead* the fleet widen the window's start, by one window at most) and
from what the window held (:mod:`graphsiem.detection_window_reads`).

Review T9, finding F8: on a fleet whose clocks span 2018-2025 the output said
the window started "a window before the rest of the fleet's newest event" when
the widening had been capped and the start lay five years after it, called a
48 h window "24 h", and said "in the store" of a store read as of ``--now``.
Every figure here is therefore read from the window itself (its start, end and
length), the cap is said with the hosts that caused it, and a read as of
``--now`` says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphsiem.model import epoch_to_iso
from ingest.report import printable

if TYPE_CHECKING:
    from analytics.config import DetectionConfig
    from graphsiem.detection_window_reads import HostSpan, WindowContents

SPAN_HOSTS_SHOWN = 20
"""Hosts listed one per line in an empty detection's data spans; beyond, the newest and oldest."""
_SPAN_ENDS = 5


def duration_text(seconds: float) -> str:
    """A length of time for a reader: hours up to three days, then days (and years beyond one).

    Examples
    --------
    >>> duration_text(172800.0), duration_text(1800.0), duration_text(5 * 86400.0), duration_text(45276 * 3600.0)
    ('48 h', '0.5 h', '5 days', '5.2 years')
    """
    hours = seconds / 3600.0
    if hours < 72:
        return f"{round(hours, 1):g} h"
    days = hours / 24.0
    return f"{days / 365.25:.1f} years" if days >= 365.25 else f"{days:.0f} days"


def _hosts(names: list[str] | tuple[str, ...], count: int) -> str:
    """``"a, b ..."``: the names shown, with ``...`` when there are more; escaped."""
    return printable(", ".join(names) + (" ..." if count > len(names) else ""))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _leader(stats: dict[str, Any]) -> str | None:
    """The leading host whose clock set the window's end (rule 3), or ``None``."""
    if int(stats.get("hosts_leading") or 0) and stats.get("hosts_leading_shown"):
        return str(stats["hosts_leading_shown"][0])
    return None


def end_label(stats: dict[str, Any]) -> str:
    """What set the window's end: ``--now``, the (fleet's) newest event, or a leading host's clock.

    Examples
    --------
    >>> end_label({"window_ends_at": "now"}), end_label({"window_ends_at": "newest event"})
    ('--now', 'the newest event')
    >>> end_label({"window_ends_at": "newest event", "hosts_leading": 2, "hosts_leading_shown": ["dc", "ws"]})
    "dc's newest event (a leading host's clock)"
    """
    ends_at = stats.get("window_ends_at", "newest event")
    if ends_at == "now":
        return "--now"
    leader = _leader(stats)
    if leader is not None:
        return f"{printable(leader)}'s newest event (a leading host's clock)"
    return f"the {ends_at}"


def _leads(stats: dict[str, Any], leading: int, most: float) -> str:
    """Which hosts lead the fleet and each one by how much (``most``: the leader's lead).

    Each host leads by its own amount: one figure for all (the leader's) said "8 hosts lead
    the fleet by 5.3 years" when the others led by 0.3 h to 3.1 years (review U1 #7).

    Examples
    --------
    >>> _leads({"hosts_leading_shown": ["dc"]}, 1, 3600.0 * 5)
    '1 host (dc) leads the fleet by 5 h'
    >>> _leads({"hosts_leading_shown": ["a", "b"], "hosts_leading_by_s": [5e8, 7200.0],
    ...         "hosts_leading_least_s": 7200.0}, 2, 5e8)
    '2 hosts lead the fleet by 2 h to 15.8 years (a by 15.8 years, b by 2 h)'
    >>> _leads({"hosts_leading_shown": ["a", "b"], "hosts_leading_by_s": [5e8, 9000.0],
    ...         "hosts_leading_least_s": 3600.0}, 3, 5e8)
    '3 hosts lead the fleet by 1 h to 15.8 years (a by 15.8 years, b by 2.5 h ...)'
    >>> _leads({"hosts_leading_shown": ["a", "b"]}, 2, 7200.0)  # a record saved before each lead was kept
    '2 hosts (a, b) lead the fleet, the first by 2 h'
    """
    shown = [str(name) for name in stats.get("hosts_leading_shown") or []]
    if leading == 1:
        return f"1 host ({_hosts(shown, 1)}) leads the fleet by {duration_text(most)}"
    by = stats.get("hosts_leading_by_s") or []
    if len(by) != len(shown) or not shown:
        return f"{leading} hosts ({_hosts(shown, leading)}) lead the fleet, the first by {duration_text(most)}"
    least = stats.get("hosts_leading_least_s")
    least = min(by) if least is None else float(least)
    each = ", ".join(f"{printable(name)} by {duration_text(float(lead))}" for name, lead in zip(shown, by, strict=True))
    more = " ..." if leading > len(shown) else ""
    span = duration_text(most) if duration_text(least) == duration_text(most) \
        else f"{duration_text(least)} to {duration_text(most)}"
    return f"{leading} hosts lead the fleet by {span} ({each}{more})"


def widening_note(stats: dict[str, Any], window_hours: float) -> str:
    """Rule 3 in words: how far the start was widened for the leading hosts, and whether capped.

    Examples
    --------
    >>> widening_note({"window_start": 0.0, "window_end": 100800.0, "fleet_end": 86400.0,
    ...                "hosts_leading": 3, "hosts_leading_shown": ["a", "b", "c"]}, 24.0)
    "window starts at 1970-01-01T00:00:00.000Z, 24 h before the rest of the fleet's newest event (1970-01-02T00:00:00.000Z), so it is 28 h long, not 24 h: 3 hosts (a, b, c) lead the fleet, the first by 4 h (clocks running ahead, or the only hosts still reporting); a's newest event ends it, and what the fleet first did in those hours counts as new"
    >>> print(widening_note({"window_start": 864000.0, "window_end": 1036800.0, "fleet_end": 86400.0,
    ...                      "hosts_leading": 1, "hosts_leading_shown": ["dc"]}, 24.0))
    window starts at 1970-01-11T00:00:00.000Z, 48 h before its end: widening the start for hosts that lead the fleet is capped at one extra window (24 h), so the window holds none of the rest of the fleet's data, whose newest event (1970-01-02T00:00:00.000Z) is 9 days before its start; 1 host (dc) leads the fleet by 11 days (clock running ahead, or the only host still reporting); dc's newest event (a leading host's clock) ends the window
    """
    leading = int(stats.get("hosts_leading") or 0)
    if not leading or stats.get("fleet_end") is None or "window_start" not in stats:
        return ""
    start, end, fleet_end = stats["window_start"], stats["window_end"], stats["fleet_end"]
    window_s = window_hours * 3600.0
    who = f"{_leads(stats, leading, end - fleet_end)} (clock{'' if leading == 1 else 's'} running ahead, or " \
          f"the only host{'' if leading == 1 else 's'} still reporting)"
    leader = printable(_leader(stats) or "a leading host")
    if start > fleet_end - window_s + 1.0:  # analytics.window_end: one extra window at most
        return (f"window starts at {epoch_to_iso(start)}, {duration_text(end - start)} before its end: widening the "
                f"start for hosts that lead the fleet is capped at one extra window ({duration_text(window_s)}), so "
                f"the window holds none of the rest of the fleet's data, whose newest event "
                f"({epoch_to_iso(fleet_end)}) is {duration_text(start - fleet_end)} before its start; {who}; "
                f"{leader}'s newest event (a leading host's clock) ends the window")
    return (f"window starts at {epoch_to_iso(start)}, {duration_text(window_s)} before the rest of the fleet's "
            f"newest event ({epoch_to_iso(fleet_end)}), so it is {duration_text(end - start)} long, not "
            f"{duration_text(window_s)}: {who}; {leader}'s newest event ends it, and what the fleet first did in "
            "those hours counts as new")


def window_note(stats: dict[str, Any], window_hours: float) -> str:
    """What the output says about how the window was set when it is not the plain last
    ``window_hours`` ending at the newest event (empty otherwise).

    Examples
    --------
    >>> window_note({"window_ends_at": "fleet's newest event", "window_end": 86400.0, "newest_sighting":
    ...              4070908800.0, "hosts_ahead": 1, "hosts_ahead_shown": ["ws-7"]}, 24.0)
    "window ends at 1970-01-02T00:00:00.000Z, the fleet's newest event: 1 host ahead of the fleet ignored (ws-7; newest sighting 2099-01-01T00:00:00.000Z)"
    >>> window_note({"window_ends_at": "newest event", "clock_behind": True}, 24.0)
    "most hosts' newest events are dated more than 1 h past this machine's clock: its clock is taken to be wrong and the window ends at the fleet's newest event"
    >>> window_note({"window_ends_at": "newest event", "clock_behind": False}, 24.0)
    ''
    """
    notes = [widening_note(stats, window_hours)]
    if stats.get("window_ends_at") == "fleet's newest event":
        count = int(stats["hosts_ahead"])
        shown = _hosts(stats["hosts_ahead_shown"], count)
        ignored = f"{_plural(count, 'host')} ahead of the fleet ignored ({shown}; newest sighting " \
                  f"{epoch_to_iso(stats['newest_sighting'])})"
        if _leader(stats) is not None:  # the end is a leading host's, said above: not "the fleet's"
            notes.append(f"{ignored}: read as of the window's end")
        else:
            notes.append(f"window ends at {epoch_to_iso(stats['window_end'])}, the fleet's newest event: {ignored}")
    if stats.get("clock_behind"):
        # most hosts report past this machine's clock: its clock (or the data's) is off, not theirs
        notes.append("most hosts' newest events are dated more than 1 h past this machine's clock: "
                     "its clock is taken to be wrong and the window ends at the fleet's newest event")
    return "; ".join(note for note in notes if note)


def contents_text(contents: WindowContents) -> str:
    """What the window held, in one clause.

    Examples
    --------
    >>> from graphsiem.detection_window_reads import WindowContents
    >>> contents_text(WindowContents(hosts=1, sightings=2, fleet_hosts=18, hosts_shown=("ar-win-dc",)))
    'the window holds 2 sightings (host x entity) on 1 of the 18 hosts that had reported by its end (ar-win-dc)'
    """
    fleet = "the one host" if contents.fleet_hosts == 1 else f"the {contents.fleet_hosts} hosts"
    text = f"the window holds {_plural(contents.sightings, 'sighting')} (host x entity) on {contents.hosts} " \
           f"of {fleet} that had reported by its end"
    return text + (f" ({_hosts(contents.hosts_shown, contents.hosts)})" if contents.hosts_shown else "")


def why_no_clusters(stats: dict[str, Any], config: DetectionConfig, *, now: float | None = None,
                    contents: WindowContents | None = None) -> str:
    """What an empty detection looked at: its window, what it held and how many entities met
    each pivot condition.

    Parameters
    ----------
    stats : dict
        The detection's stats.
    config : DetectionConfig
    now : float, optional
        The run's ``--now`` (a backtest): the store was read as of then.
    contents : WindowContents, optional
        What the window held; said after the pivot counts.

    Examples
    --------
    >>> from analytics.config import DetectionConfig
    >>> why_no_clusters({"window_start": 0.0, "window_end": 86400.0, "window_ends_at": "newest event",
    ...                  "on_min_hosts": 4, "new_on_min_hosts": 0, "pivot_candidates": 0}, DetectionConfig())
    'window 1970-01-01T00:00:00.000Z .. 1970-01-02T00:00:00.000Z (24 h ending at the newest event); 4 entities shared by >= 3 hosts in it, 0 of them first seen in it (pivots must be new: everything older is the baseline)'
    >>> why_no_clusters({"clusters": 0, "shared_entities": 0}, DetectionConfig(), now=86400.0)
    'as of --now (1970-01-02T00:00:00.000Z), no entity is shared by 2 or more hosts in the store (nothing first seen later is read): nothing to cluster'
    """
    held = f"; {contents_text(contents)}" if contents is not None else ""
    if stats.get("shared_entities") == 0 and "window_end" not in stats:
        if now is not None:
            return (f"as of --now ({epoch_to_iso(now)}), no entity is shared by 2 or more hosts in the store "
                    f"(nothing first seen later is read): nothing to cluster{held}")
        return f"no entity is shared by 2 or more hosts in the store: nothing to cluster{held}"
    if "on_min_hosts" not in stats:  # a baseline ranking: no pivots to account for
        return ""
    if stats.get("window_ends_at") == "now":  # "in it" and "first seen" are as known at --now
        held += f"; the store read as of --now ({epoch_to_iso(stats['window_end'])})"
    length = duration_text(stats["window_end"] - stats["window_start"])
    line = (f"window {epoch_to_iso(stats['window_start'])} .. {epoch_to_iso(stats['window_end'])} "
            f"({length} ending at {end_label(stats)}); ")
    shared, new, candidates = stats["on_min_hosts"], stats["new_on_min_hosts"], stats["pivot_candidates"]
    line += f"{shared} {'entity' if shared == 1 else 'entities'} shared by >= {config.min_hosts} hosts in it"
    if shared == 0:
        return line + held
    if config.new_pivots_only:
        line += f", {new} of them first seen in it"
        if new == 0:
            return line + " (pivots must be new: everything older is the baseline)" + held
    return line + f", {candidates} {_candidate_rule(stats, config)}" + (
        "" if candidates == 0 else "; no cluster formed from them"
    ) + held


def _candidate_rule(stats: dict[str, Any], config: DetectionConfig) -> str:
    """The ubiquity rule as :func:`analytics.clusters.ubiquitous` applies it: ``max_fraction`` spares
    what is new on hosts with a baseline, and how many hosts have one says whether that could apply.

    Examples
    --------
    >>> from analytics.config import DetectionConfig
    >>> _candidate_rule({"baseline_hosts": 0, "hosts": 80}, DetectionConfig())
    'not suppressed and on at most 50% of the fleet, or new where most hosts have 21.6 h of data before the window (pivot candidates; 0 of 80 hosts have that much)'
    """
    from analytics.clusters import baseline_seconds

    rule = f"not suppressed and on at most {config.max_fraction:.0%} of the fleet"
    history = f"{baseline_seconds(config.window_hours * 3600.0) / 3600.0:g} h"
    rule += f", or new where most hosts have {history} of data before the window (pivot candidates"
    if "baseline_hosts" in stats and "hosts" in stats:
        rule += f"; {stats['baseline_hosts']} of {stats['hosts']} hosts have that much"
    return rule + ")"


def span_lines(spans: list[HostSpan]) -> list[str]:
    """The store's data per host (first .. newest sighting), to pick ``--now`` for a backtest.

    Up to :data:`SPAN_HOSTS_SHOWN` hosts one per line, the newest first; a larger
    fleet is told by its span and its newest and oldest hosts.

    Examples
    --------
    >>> from graphsiem.detection_window_reads import HostSpan
    >>> print("\\n".join(span_lines([HostSpan("dc", 86400.0, 172800.0), HostSpan("ws", 0.0, 3600.0)])))
    the store's data per host (first .. newest sighting), newest first; a backtest (--now) within a span several hosts share can find what they did together:
      dc  1970-01-02T00:00:00.000Z .. 1970-01-03T00:00:00.000Z
      ws  1970-01-01T00:00:00.000Z .. 1970-01-01T01:00:00.000Z
    """
    if not spans:
        return []
    lines = ["the store's data per host (first .. newest sighting), newest first; a backtest (--now) within a "
             "span several hosts share can find what they did together:"]
    shown = spans if len(spans) <= SPAN_HOSTS_SHOWN else [*spans[:_SPAN_ENDS], None, *spans[-_SPAN_ENDS:]]
    width = max(len(printable(span.host)) for span in spans)
    for span in shown:
        if span is None:
            first = min(s.first_seen for s in spans)
            lines.append(f"  ... {len(spans) - 2 * _SPAN_ENDS} hosts more; the fleet's data spans "
                         f"{epoch_to_iso(first)} .. {epoch_to_iso(spans[0].last_seen)}")
            continue
        lines.append(f"  {printable(span.host):<{width}}  {epoch_to_iso(span.first_seen)} .. "
                     f"{epoch_to_iso(span.last_seen)}")
    return lines
