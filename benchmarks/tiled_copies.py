"""Numbered copies of corpus records for the ingest benchmarks: each copy a new event.

The benchmarks tile a corpus (a few thousand records) to 100k or more by
writing it again and again.  A copy must be a *new* event to the pipeline,
or the run measures duplicate detection instead of ingest.  A ``_bench_copy``
key changes the record's bytes, which is enough for records hashed by their
content (Zeek's content id takes every field, JSON objects their sorted dump),
but not for a Windows event with a record number: its id is a content id over
the computer's log slot and the mapped event data
(:mod:`ingest.parsers.windows_record_ids`), which an unknown top-level key does
not reach.  Since that id rule (commit 5bdf9b2) the Windows JSON tiling made
29,960 events of 104,101 records.  So a copy also moves the record's number
(``EventRecordID`` in each export's spelling) by ``copy * RECORD_STRIDE``:
the same event data in another slot of the log, which is another event.
"""

from __future__ import annotations

from typing import Any

# Past any record number the corpora hold (7 digits), so no two copies meet.
RECORD_STRIDE = 100_000_000

# Where each Windows export keeps the record number (ingest.parsers.windows_shapes).
_TOP_LEVEL = ("RecordNumber", "record_number", "EventRecordID", "EventRecordId")


def _moved(value: Any, copy: int) -> Any:
    """``value`` moved by ``copy`` strides, in its own type (an int, or a text of digits)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value + copy * RECORD_STRIDE
    if isinstance(value, str) and value.strip().isdigit():
        return str(int(value) + copy * RECORD_STRIDE)
    return value


def numbered_copy(record: dict[str, Any], copy: int) -> dict[str, Any]:
    """Copy ``copy`` of ``record``: a ``_bench_copy`` key and, for a Windows event, a record number of its own.

    Parameters
    ----------
    record : dict
        One corpus record as parsed from JSON (not changed).
    copy : int
        The copy's number; copy 0 keeps the record number as it was.

    Returns
    -------
    dict
        A new record (nested dicts that hold a record number are copied, not shared).

    Examples
    --------
    >>> numbered_copy({"winlog": {"record_id": 7}}, 2)
    {'winlog': {'record_id': 200000007}, '_bench_copy': 2}
    >>> numbered_copy({"RecordNumber": "12"}, 1)["RecordNumber"]
    '100000012'
    >>> numbered_copy({"Event": {"System": {"EventRecordID": 5}}}, 1)["Event"]["System"]["EventRecordID"]
    100000005
    """
    out = {**record, "_bench_copy": copy}
    if not copy:
        return out
    for key in _TOP_LEVEL:
        if key in out:
            out[key] = _moved(out[key], copy)
    winlog = out.get("winlog")
    if isinstance(winlog, dict) and "record_id" in winlog:
        out["winlog"] = {**winlog, "record_id": _moved(winlog["record_id"], copy)}
    event = out.get("Event")
    if isinstance(event, dict):
        system = event.get("System")
        if isinstance(system, dict) and "EventRecordID" in system:
            out["Event"] = {**event, "System": {**system, "EventRecordID": _moved(system["EventRecordID"], copy)}}
    return out
