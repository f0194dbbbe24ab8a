"""A committed batch's records counted into the report: received, accepted, new events, duplicates.

A batch keeps, per accepted record, how many events it made (``sizes``; its
events are consecutive in the batch's ``events``), and the runs of records of
one file and format: ``(file counts, format counts, index of the run's first
record)``.  Counting a run at a time costs two tuples a run instead of a
``(file, format, ids)`` per record.
"""

from __future__ import annotations

from graphsiem.model import Event
from ingest.report import Counts


def count_committed(
    total: Counts, runs: list[tuple[Counts, Counts, int]], sizes: list[int], events: list[Event], new: list[Event]
) -> None:
    """Count the batch's records in their file's, their format's and the ``total`` counts.

    Parameters
    ----------
    total : Counts
        The report's totals.
    runs : list of (Counts, Counts, int)
        The batch's runs of records of one file and format, as above.
    sizes : list of int
        Per accepted record, how many events it made.
    events : list of Event
        The batch's events, in record order.
    new : list of Event
        Those the journal took as new: the first event object of each id it did not hold.
    """
    bounds = run_bounds(runs, sizes)
    if len(new) == len(events):
        # every event is new and distinct (the journal keeps one per id):
        # each record counts all its events, none is a duplicate
        for file, formats, first, end, first_event, end_event in bounds:
            _add_accepted((file, formats, total), end - first, end_event - first_event)
        return
    if len(events) == len(sizes) and sizes.count(1) == len(sizes):
        # One event a record (Windows, Zeek, EVE lines), some held or repeated: a record
        # is new when its event object is one the journal returned (the first of each new
        # id), counted per run in C instead of a Python loop a record (valgrind: -5.5k
        # instructions a Windows event in batches with a few duplicates)
        taken = set(map(id, new))
        is_new = list(map(taken.__contains__, map(id, events)))
        for file, formats, first, end, _, _ in bounds:
            records = end - first
            fresh_records = sum(is_new[first:end])
            for counts in (file, formats, total):
                counts.received += records
                counts.accepted += records
                counts.events += fresh_records
                counts.duplicates += records - fresh_records
        return
    fresh = {event.id for event in new}
    for file, formats, first, end, event_index, _ in bounds:
        for size in sizes[first:end]:
            new_ids = 0
            for event in events[event_index : event_index + size]:
                if event.id in fresh:
                    fresh.discard(event.id)  # a repeated record in the batch is not new twice
                    new_ids += 1
            event_index += size
            is_duplicate = size > 0 and not new_ids
            for counts in (file, formats, total):
                counts.received += 1
                counts.accepted += 1
                counts.events += new_ids
                counts.duplicates += is_duplicate


def run_bounds(
    runs: list[tuple[Counts, Counts, int]], sizes: list[int]
) -> list[tuple[Counts, Counts, int, int, int, int]]:
    """Each run as (file, formats, first record, end record, first event, end event)."""
    bounds = []
    event_index = 0
    for n, (file, formats, first) in enumerate(runs):
        end = runs[n + 1][2] if n + 1 < len(runs) else len(sizes)
        events = sum(sizes[first:end])
        bounds.append((file, formats, first, end, event_index, event_index + events))
        event_index += events
    return bounds


def _add_accepted(targets: tuple[Counts, Counts, Counts], records: int, events: int) -> None:
    for counts in targets:
        counts.received += records
        counts.accepted += records
        counts.events += events
