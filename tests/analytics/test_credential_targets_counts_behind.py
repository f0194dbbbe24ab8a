"""A member server's refusals are found when the journal's per-host counts are behind (review R20 #6).

:func:`analytics.credential_targets.failed_logon_hosts` names the hosts that refused many log-ons
from ``host_kind_counts``; when that table does not hold up to the journal's last event (a write
by an older version since this process opened the journal), it scans the window's 4625 rows
instead.  Only a doctest covered that path: with it returning nothing, the member-server tests
still passed.  Real ingest into a real journal on both stores; the counts are then left one event
behind, as an older version's append leaves them (it writes the event, not the count).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from analytics.detect import detect
from graphsiem.store.base import GraphStore
from ingest.journal_host_kinds import UPTO_KEY
from tests.analytics.test_credential_member_server import refused
from tests.analytics.test_credential_spray import BASE, credential, ingest


def test_a_brute_force_on_a_member_server_is_found_when_the_counts_are_behind(store: GraphStore,
                                                                              tmp_path: Path) -> None:
    journal = ingest(store, tmp_path, [refused(BASE + 20 * n, "administrator", "203.0.113.7", 10 + n)
                                       for n in range(30)])
    with sqlite3.connect(tmp_path / "journal.sqlite") as other_writer:
        changed = other_writer.execute("UPDATE meta SET value = CAST(value AS INTEGER) - 1 WHERE key = ?",
                                       (UPTO_KEY,)).rowcount
    assert changed == 1

    with journal:
        result = detect(store, journal=journal)

    found = credential(result)
    assert [(c.credential["validator"], c.credential["pattern"]) for c in found] == [("files01", "brute_force")]
    assert result.stats["credential_failed_logon_hosts"] == 1
