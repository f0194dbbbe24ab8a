"""The id input of a JSON object's events: its compact dump with sorted keys (task IDS3 #2).

An event the parser gives no content id (:mod:`ingest.event_ids`) is hashed
by its record.  Until this release that was the record's compact NDJSON line
(or the object re-serialised compactly in its own key order), so a collector
that re-serialises records with their keys in another order (a JSON library
that sorts them, a pipeline that rebuilds each object) sent every event again.
Now a JSON object's input is its compact dump with sorted keys, at every
depth: the same object in any key order, spacing or escaping is one event.
Windows events with a record number and Zeek records have content ids, which
ignored key order already; they pay nothing here (the dump is made only when
some event of the record has no id).

Cost: one ``orjson`` dump with ``OPT_SORT_KEYS`` of the parsed object (the
line's bytes were hashed where they lay before), measured in
``docs/performance.md`` (session 21).  The line as read is still the raw
evidence journaled.  On a journal that held events when this release first
opened it (``meta`` key ``sorted_ids_from_seq``,
:mod:`ingest.event_id_aliases`) the id of the object's own key order is the
event's alias, so files journaled before add nothing again.
"""

from __future__ import annotations

from collections.abc import MutableMapping

import orjson

_SORTED = orjson.OPT_SORT_KEYS


def sorted_id_input(record: dict, data: bytes) -> bytes | None:
    """The compact dump of ``record`` with sorted keys; None when it is ``data`` itself, or cannot be made.

    Parameters
    ----------
    record : dict
        The parsed JSON object.
    data : bytes
        The id's input in the object's own key order (its compact line as read, or its compact dump).

    Returns
    -------
    bytes or None
        The sorted dump; ``None`` when ``data`` is already that (the id is the same) or when
        orjson cannot write a value back (an integer beyond 64 bits): the object keeps the id of ``data``.

    Examples
    --------
    >>> sorted_id_input({"b": 1, "a": {"d": 2, "c": 3}}, b'{"b":1,"a":{"d":2,"c":3}}')
    b'{"a":{"c":3,"d":2},"b":1}'
    >>> sorted_id_input({"a": 1, "b": 2}, b'{"a":1,"b":2}') is None
    True
    """
    try:
        dumped = orjson.dumps(record, option=_SORTED)
    except TypeError:  # orjson.JSONEncodeError: a value it cannot write back
        return None
    return None if dumped == data else dumped


def add_alias(aliases: MutableMapping[int, str | tuple[str, ...]], position: int, alias: str) -> None:
    """Add ``alias`` to the aliases of the batch's event at ``position`` (:meth:`ingest.journal.Journal.append`).

    Examples
    --------
    >>> aliases = {}
    >>> add_alias(aliases, 0, "a"); add_alias(aliases, 0, "b"); add_alias(aliases, 1, "c")
    >>> aliases
    {0: ('a', 'b'), 1: 'c'}
    """
    held = aliases.get(position)
    if held is None:
        aliases[position] = alias
    elif isinstance(held, str):
        aliases[position] = (held, alias)
    else:
        aliases[position] = (*held, alias)
