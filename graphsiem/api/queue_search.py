"""What ``GET /v1/clusters?q=`` matches: each stored cluster's text, folded once when it is stored.

The queue's text box searches the summary, the host names, the members' values and keys
and the pivot's key (the page's own filter, ``queue.js`` ``visible()``).  SQLite's
``lower()`` folds A-Z only, so ``ÄDMIN`` never found ``ädmin`` and ``STRASSE`` never
found ``straße``; and folding in SQL meant walking every cluster's JSON on every query
(2.6-2.9 s for a text no cluster holds in a 20,000-cluster queue, twice with ``total``).

Now each cluster's searchable text is folded by :func:`search_fold` when a detection
stores it (``cluster_search``, one row per cluster id) and ``q`` is folded the same way:
the query is one ``instr`` per cluster.  A state database from before the table gets
its rows on open (:func:`fill_missing`).
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from typing import Any

SEARCH_SCHEMA = """
CREATE TABLE IF NOT EXISTS cluster_search (
    cluster_id TEXT PRIMARY KEY, text TEXT NOT NULL
) WITHOUT ROWID;
"""

# A fixed fragment (the value is a parameter): the clusters whose folded text holds the folded q.
TEXT_MATCH = "EXISTS (SELECT 1 FROM cluster_search cs WHERE cs.cluster_id = c.id AND instr(cs.text, ?) > 0)"

_FIELD_SEPARATOR = "\n"  # the text box is one line: a q never spans two fields


def search_fold(text: str) -> str:
    """``text`` as ``q`` compares it: compatibility-normalised and case-folded, for any script.

    NFKC first (full-width ``ＡＤＭＩＮ`` is ``ADMIN``, a ligature its letters, as host
    names are normalised at ingest), then lower, upper and lower again: Unicode's full
    case mappings, which both Python and the page's JavaScript have (JavaScript has no
    ``casefold``), so the server and the page's own filter agree.  The result equals
    ``str.casefold()`` (``ß``, ``ẞ`` and ``SS`` alike, Greek final sigma as sigma) for every
    character but the dotless ``ı``, which matches ``i`` and ``I`` too (``KIRIKKALE`` finds
    ``kırıkkale``: the queue does not know the analyst's locale, and a wider match is the
    safe side of a search); ``İ`` matches ``i`` (its combining dot is dropped).  Lookalike
    letters of other scripts (a Cyrillic ``а``) are not folded: ``q`` finds what is written,
    the confusables are the analytics' (:mod:`analytics.confusables`).

    Examples
    --------
    >>> search_fold("ÄDMIN"), search_fold("Straße"), search_fold("İSTANBUL"), search_fold("ＷＳ－１")
    ('ädmin', 'strasse', 'istanbul', 'ws-1')
    """
    folded = unicodedata.normalize("NFKC", text).lower().upper().lower()
    return unicodedata.normalize("NFKC", folded).replace("i\u0307", "i")


def searchable_text(cluster: dict[str, Any]) -> str:
    """The folded text ``q`` searches in a stored cluster: summary, hosts, members' values and keys, pivot key."""
    explanation = cluster.get("explanation") or {}
    members = cluster.get("members") or []
    keys = cluster.get("entity_keys") or members  # an older cluster: its members carry the keys
    fields = [
        str(explanation.get("summary") or "") if isinstance(explanation, dict) else "",
        str((cluster.get("pivot") or {}).get("key") or ""),
        *(str(host) for host in cluster.get("hosts") or []),
        *(str(e.get("value") or "") for e in cluster.get("entities") or [] if isinstance(e, dict)),
        *(str(k.get("key") or "") for k in keys if isinstance(k, dict)),
        *(str(m.get("key") or "") for m in members if isinstance(m, dict)),
    ]
    return _FIELD_SEPARATOR.join(search_fold(field) for field in fields if field)


def write_search_text(db: sqlite3.Connection, cluster_id: str, cluster: dict[str, Any]) -> None:
    """Store ``cluster``'s folded text (inside the caller's transaction)."""
    db.execute("INSERT OR REPLACE INTO cluster_search (cluster_id, text) VALUES (?, ?)",
               (cluster_id, searchable_text(cluster)))


def fill_missing(db: sqlite3.Connection) -> int:
    """Fold the text of stored clusters that have none (a state database from before the table); how many."""
    # Every open asks: the counts first (a row is written with its cluster, and neither is deleted), then
    # ids only (the primary key's index), as reading each row's data would scan the table.
    clusters, searchable = db.execute(
        "SELECT (SELECT COUNT(*) FROM clusters), (SELECT COUNT(*) FROM cluster_search)").fetchone()
    if clusters <= searchable:
        return 0
    missing = [row[0] for row in db.execute(
        "SELECT id FROM clusters c WHERE NOT EXISTS (SELECT 1 FROM cluster_search cs WHERE cs.cluster_id = c.id)")]
    if missing:
        db.execute("BEGIN IMMEDIATE")
        try:
            rows = db.execute("SELECT id, data FROM clusters WHERE id IN (SELECT value FROM json_each(?))",
                              (json.dumps(missing),)).fetchall()
            db.executemany("INSERT OR REPLACE INTO cluster_search (cluster_id, text) VALUES (?, ?)",
                           [(row[0], searchable_text(json.loads(row[1]))) for row in rows])
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return len(missing)
