"""The queue's column sorts on the server: ``GET /v1/clusters?sort=``.

The page reads at most 1,000 clusters; its column sorts ordered those rows only, so on a
20,000-cluster queue "oldest first seen" showed the oldest of the 1,000 riskiest, not
the queue's oldest.  ``sort`` names a column of the queue, ``-`` before it for
descending (``sort=-last_seen``); without it the queue's own order (risk descending).

Every sort ends with the queue's own order, highest risk, then fewest hosts, then id:
a total, stable order, so keyset paging walks it without skipping or repeating a row
(the cursor carries the last row's sort value with its risk, hosts and id).  A missing
value (a verdict not given, no assignee, a time not known) sorts as the smallest: first
ascending, last descending.  Text compares by code point (SQLite's ``BINARY``), a summary
by its first :data:`SUMMARY_PREFIX` characters, so a cursor stays short.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SUMMARY_PREFIX = 200
"""Characters of a summary its sort compares (ties go on to risk, hosts and id)."""

# Fixed SQL per sortable column (no value in them): each never NULL, so keyset comparisons hold.
_COLUMNS: dict[str, str] = {
    "score": "c.score",
    "host_count": "c.host_count",
    "first_seen": "COALESCE(c.first_seen, -1e308)",
    "last_seen": "COALESCE(c.last_seen, -1e308)",
    "status": "COALESCE(t.status, 'open')",
    "verdict": "COALESCE(t.verdict, '')",
    "assignee": "COALESCE(t.assignee, '')",
    "summary": f"substr(COALESCE(json_extract(c.data, '$.explanation.summary'), ''), 1, {SUMMARY_PREFIX})",
}
SORTABLE = tuple(_COLUMNS)
"""The columns ``sort`` takes."""

# An index per sortable column of the clusters table (its expression as ORDER BY writes it, without
# the alias): a sorted page is read from the index down to the cursor (4-16 ms for 20,000 clusters)
# instead of sorting the queue for every page (105-285 ms).  Triage columns are another table's.
ORDER_SCHEMA = "".join(
    f"CREATE INDEX IF NOT EXISTS clusters_sort_{column} ON clusters({_COLUMNS[column].replace('c.', '')});\n"
    for column in ("first_seen", "last_seen", "host_count", "summary"))

# The queue's own order and its keyset condition after (score, host_count, id).
QUEUE_ORDER = "c.score DESC, c.host_count, c.id"
QUEUE_AFTER = "(c.score < ? OR (c.score = ? AND (c.host_count > ? OR (c.host_count = ? AND c.id > ?))))"


@dataclass(frozen=True)
class QueueSort:
    """One ``sort`` value: a column of :data:`SORTABLE` and its direction."""

    column: str
    descending: bool

    @property
    def name(self) -> str:
        """As ``sort`` writes it: ``last_seen`` or ``-last_seen``."""
        return ("-" if self.descending else "") + self.column

    @property
    def is_default(self) -> bool:
        """The queue's own order (risk, highest first): no column before it."""
        return self.column == "score" and self.descending

    @property
    def expression(self) -> str:
        """The column's SQL (fixed text)."""
        return _COLUMNS[self.column]

    def order_by(self) -> str:
        """The ORDER BY clause's text: the column, then the queue's own order."""
        if self.is_default:
            return QUEUE_ORDER
        return f"{self.expression} {'DESC' if self.descending else 'ASC'}, {QUEUE_ORDER}"

    def after(self, value: Any, score: float, host_count: int, cluster_id: str) -> tuple[str, list[Any]]:
        """The WHERE fragment and values of the rows after a cursor's row in this order."""
        tie = [score, score, host_count, host_count, cluster_id]
        if self.is_default:
            return QUEUE_AFTER, tie
        beyond = "<" if self.descending else ">"
        # the leading bound lets SQLite seek the column's index to the cursor instead of scanning to it
        return (f"({self.expression} {beyond}= ? AND ({self.expression} {beyond} ? OR "
                f"({self.expression} = ? AND {QUEUE_AFTER})))", [value, value, value, *tie])


DEFAULT_SORT = QueueSort("score", descending=True)


def parse_sort(text: str | None) -> QueueSort:
    """``sort``'s value as a :class:`QueueSort`; :data:`DEFAULT_SORT` when absent.

    Raises
    ------
    ValueError
        Naming the columns it takes, when ``text`` names none of them.

    Examples
    --------
    >>> parse_sort("-last_seen").order_by()
    'COALESCE(c.last_seen, -1e308) DESC, c.score DESC, c.host_count, c.id'
    >>> parse_sort(None).is_default, parse_sort("-score").is_default
    (True, True)
    """
    if text is None or not text.strip():
        return DEFAULT_SORT
    text = text.strip()
    column = text.removeprefix("-")
    if column not in _COLUMNS:
        raise ValueError(f"unknown sort {text[:40]!r}: one of {', '.join(SORTABLE)}, "
                         "with '-' before it for descending")
    return QueueSort(column, descending=text.startswith("-"))
