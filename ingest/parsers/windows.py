"""Windows event JSON parsers: one plugin per layout, one mapping for all.

The plugins are ``evtx_json`` (evtx_dump output and the EVTX reader's
records), ``winlogbeat`` (6.x and 7/8), ``sentinel`` (Azure Sentinel
``SecurityEvent``/``Event`` exports) and ``nxlog`` (flat NXLog, also via
Logstash).  Each reads its layout with :mod:`ingest.parsers.windows_shapes`
and hands the result to :func:`ingest.parsers.windows_events.to_event`, which
documents the time and host rules and the event-id coverage.

Register them in the order :func:`parsers` returns: the sniffs are disjoint on
the corpus, and the most specific layouts come first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from graphsiem.model import Event
from ingest.parsers.base import ParseContext, ParseError, Parser, Record
from ingest.parsers.windows_events import to_event
from ingest.parsers.windows_shapes import (
    WinRecord,
    from_evtx_json,
    from_nxlog,
    from_sentinel,
    from_winlogbeat,
    is_evtx_json,
    is_nxlog,
    is_sentinel,
    is_winlogbeat,
    may_be_evtx_json,
    may_be_winlogbeat,
)


class WindowsJsonParser:
    """A Windows JSON layout as a :class:`~ingest.parsers.base.Parser` plugin.

    Parameters
    ----------
    name : str
        The format name (``Event.source``).
    is_shape : callable
        Cheap test on a dict record.
    read_shape : callable
        Reads the record into a :class:`WinRecord`; raises ``ParseError``.
    may_be_shape : callable, optional
        For a shape test that reads values: whether it may hold for some object
        with exactly the given keys.  ``None`` (the default) declares that
        ``is_shape`` reads only keys (:mod:`ingest.parsers.base`, "What a sniff reads").
    """

    __slots__ = ("name", "_is_shape", "_read_shape", "_may_be_shape", "sniff_reads_values")

    def __init__(
        self,
        name: str,
        is_shape: Callable[[Mapping[str, Any]], bool],
        read_shape: Callable[[Mapping[str, Any]], WinRecord],
        may_be_shape: Callable[[AbstractSet[str]], bool] | None = None,
    ) -> None:
        self.name = name
        self._is_shape = is_shape
        self._read_shape = read_shape
        self._may_be_shape = may_be_shape
        self.sniff_reads_values = may_be_shape is not None

    def could_claim_layout(self, keys: AbstractSet[str]) -> bool:
        """Whether some object with exactly ``keys`` is in this layout, whatever its values."""
        if self._may_be_shape is None:
            return self.sniff(dict.fromkeys(keys))  # keys only: the sniff itself answers
        return self._may_be_shape(keys)

    def sniff(self, record: Record) -> bool:
        """True for a dict in this parser's layout; never raises."""
        try:
            return isinstance(record, dict) and self._is_shape(record)
        except Exception:  # noqa: BLE001 - a sniff must never raise
            return False

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """The one normalised event of ``record``."""
        if not isinstance(record, dict):
            raise ParseError(f"{self.name} expects a JSON object, got {type(record).__name__}")
        # the raw record (journaled beside the event) keeps a mapped event's message
        yield to_event(
            self._read_shape(record), source=self.name, context=context, raw=record, mapped_message=False
        )

    def __repr__(self) -> str:
        return f"WindowsJsonParser({self.name!r})"


def parsers() -> list[Parser]:
    """The Windows JSON parsers, in registration order.

    Examples
    --------
    >>> [p.name for p in parsers()]
    ['evtx_json', 'winlogbeat', 'sentinel', 'nxlog']
    """
    return [
        WindowsJsonParser("evtx_json", is_evtx_json, from_evtx_json, may_be_evtx_json),
        WindowsJsonParser("winlogbeat", is_winlogbeat, from_winlogbeat, may_be_winlogbeat),
        WindowsJsonParser("sentinel", is_sentinel, from_sentinel),
        WindowsJsonParser("nxlog", is_nxlog, from_nxlog),
    ]
