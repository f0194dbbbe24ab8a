"""Clock gaps between two sensors that saw the same record: noted, never corrected.

Zeek's ``syslog.log`` dates each message by the capture (``ts``: the sensor's clock when the
datagram passed) and the message dates itself (its RFC 5424 header: the sending host's clock).
A Windows event carried in it (:func:`ingest.parsers.syslog.windows_events_in_zeek_syslog`) is
dated by its header.  Both clocks saw the same datagram, within the network's transit time, so
their difference is the sending host's clock offset from the sensor's.  In the WRCCDC 2018
capture (Brim's sample) the domain controller's events are 76 minutes behind Zeek's capture
time (``08:59:54-07:00`` in a datagram Zeek captured at ``17:16:04Z``): its Windows logons sit
76 minutes away from the connections Zeek logged for them, and nothing said so.

:class:`ClockGaps` collects the difference for every carried event, per sending host and sender
address, and :meth:`ClockGaps.gaps` names those whose median is :data:`GAP_BOUND_S` or more
away: the ingest report (``graphsiem ingest``, ``POST /v1/events``) says so as a warning with the
offset.  No timestamp is shifted: which clock is right is for the analyst to judge (the sensor
may be the wrong one), and an event keeps the time its own source wrote.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CLOCK_GAPS = "ingest.clock_gaps"
"""The :class:`ClockGaps` of the ingest session in ``ParseContext.extras`` (absent: nothing collected)."""

GAP_BOUND_S = 120.0
"""The median offset (seconds, either way) from which a pair is reported: the header is dated to
the second and a datagram crosses a network in milliseconds, but a forwarder may hold a batch
for a minute; two minutes is no transit."""

SAMPLES_KEPT = 1000
"""Offsets kept per pair for the median (the first ones; every one is counted): bounded memory
whatever the input (the sending host and address are attacker-chosen text)."""

PAIRS_KEPT = 10_000
"""Pairs tracked at most; further ones are counted in :attr:`ClockGaps.untracked`."""


@dataclass(slots=True)
class _Pair:
    count: int = 0
    samples: list[float] = field(default_factory=list)
    low: float = float("inf")
    high: float = float("-inf")


@dataclass(slots=True)
class ClockGaps:
    """Offsets of the sending hosts' clocks from the capturing sensor's, per (host, sender address)."""

    pairs: dict[tuple[str, str, str], _Pair] = field(default_factory=dict)
    untracked: int = 0
    changed: set[tuple[str, str, str]] = field(default_factory=set)
    """Pairs observed since :meth:`take_changed` (the journal keeps them: :mod:`ingest.journal_clock_gaps`)."""
    speaks_for: Callable[[str], bool] | None = None
    """Whether the channel of the records being parsed may speak for a host (``None``: trusted): a
    record of a host it may not is not observed (:mod:`ingest.channel_hosts`)."""

    def observe(self, *, host: str, sender: str, sensor: str, sent_at: float, captured_at: float) -> None:
        """One record dated by both clocks: ``sent_at`` by the host's, ``captured_at`` by the sensor's.

        Parameters
        ----------
        host : str
            The normalised host whose clock wrote ``sent_at``.
        sender : str
            The address the sensor saw the record come from.
        sensor : str
            What captured it (``zeek``).
        sent_at, captured_at : float
            Epoch seconds UTC.
        """
        if self.speaks_for is not None and not self.speaks_for(host):
            return  # another host's channel: its word on this host's clock is not taken
        key = (host, sender, sensor)
        pair = self.pairs.get(key)
        if pair is None:
            if len(self.pairs) >= PAIRS_KEPT:
                self.untracked += 1
                return
            pair = self.pairs[key] = _Pair()
        offset = sent_at - captured_at
        self.changed.add(key)
        pair.count += 1
        if len(pair.samples) < SAMPLES_KEPT:
            pair.samples.append(offset)
        pair.low = min(pair.low, offset)
        pair.high = max(pair.high, offset)

    def take_changed(self) -> set[tuple[str, str, str]]:
        """The pairs observed since the last call, forgotten as changed."""
        changed, self.changed = self.changed, set()
        return changed

    def measure(self, key: tuple[str, str, str]) -> tuple[float, float, float, int]:
        """``(median, min, max, records)`` of one pair (seconds: the host's clock minus the sensor's)."""
        pair = self.pairs[key]
        return statistics.median(pair.samples), pair.low, pair.high, pair.count

    def gaps(self, bound_s: float = GAP_BOUND_S) -> list[dict[str, Any]]:
        """The pairs whose median offset is ``bound_s`` or more either way, the widest first.

        Returns
        -------
        list of dict
            ``host``, ``sender``, ``sensor``, ``offset_s`` (the median: the host's clock minus the
            sensor's, negative when the host is behind), ``min_s``, ``max_s``, ``records`` and
            ``note`` (the sentence the report prints).
        """
        found = []
        for (host, sender, sensor), pair in self.pairs.items():
            median = statistics.median(pair.samples)
            if abs(median) < bound_s:
                continue
            found.append({"host": host, "sender": sender, "sensor": sensor, "offset_s": round(median, 1),
                          "min_s": round(pair.low, 1), "max_s": round(pair.high, 1), "records": pair.count,
                          "note": gap_note(host, sender, sensor, median, pair.count)})
        return sorted(found, key=lambda gap: (-abs(gap["offset_s"]), gap["host"], gap["sender"]))


def gap_note(host: str, sender: str, sensor: str, offset_s: float, records: int) -> str:
    """The warning for one pair, e.g. ``clock gap: kramer (10.47.22.25) is 76 min behind zeek's capture ...``.

    Examples
    --------
    >>> gap_note("kramer", "10.47.22.25", "zeek", -4570.4, 28)
    "clock gap: kramer's own times (its messages from 10.47.22.25) are 76 min behind zeek's capture time (median of 28 records, -4570 s); times are kept as each source wrote them"
    """
    minutes = abs(offset_s) / 60
    amount = f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min"
    side = "behind" if offset_s < 0 else "ahead of"
    return (f"clock gap: {host}'s own times (its messages from {sender}) are {amount} {side} {sensor}'s "
            f"capture time (median of {records} records, {offset_s:+.0f} s); times are kept as each "
            "source wrote them")
