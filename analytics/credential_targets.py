"""Hosts that refused many log-ons in a window but validate no NTLM: RDP and SMB brute force and spray
on a member server or a workstation (task SPRAY2 item 2).

A brute force over RDP (logon type 10) or SMB (type 3) against a member server is logged there as
Security 4625 (``winsec:logon_failed``: the account, ``IpAddress`` and the ``WorkstationName`` the
client wrote), and no ``VALIDATED_AT`` edge names the host (the attacker's NTLM is checked against the
server's own account store, or its DC logs a 4776 of some accounts only), so
:func:`analytics.credential_attempts.validators` never looked there.  The journal's per-(host, kind)
count table (``host_kind_counts``, :mod:`ingest.journal_host_kinds`) names the hosts that ever logged
at least ``minimum`` refused log-ons (a primary-key table of hosts x kinds, read whole); each is then
counted in the window on the ``events_by_host`` index (host, ts, kind) and read as a validator is
(:func:`analytics.credential_attempts.read_attempts`), its source the address the 4625 gives.  When
the count table does not hold up to the journal's last event (a journal written by an older version,
until its next open), the window's 4625 rows are grouped by host instead (a scan of the window).
A Linux host's refused SSH log-ons (``syslog:logon_failed``, :mod:`analytics.credential_syslog`) count
the same way: sshd validates against the host's own accounts, so no edge names it either.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from analytics.credential_attempts import FAILURE_KINDS
from analytics.credential_syslog import SYSLOG_FAILURE_KIND

__all__ = ["failed_logon_hosts"]

LOGON_FAILED = FAILURE_KINDS[0]
"""``winsec:logon_failed`` (4625): the refusal a member server logs of an RDP or SMB log-on."""
REFUSAL_KINDS = (LOGON_FAILED, SYSLOG_FAILURE_KIND)
"""The refusals a host logs of log-ons to itself: Windows 4625 and a Linux host's sshd/PAM failures."""
_EVER_SQL = "SELECT host FROM host_kind_counts WHERE kind IN (?, ?) GROUP BY host HAVING SUM(n) >= ?"
_IN_WINDOW_SQL = "SELECT COUNT(*) FROM events WHERE host = ? AND ts >= ? AND ts <= ? AND kind IN (?, ?)"
_SCAN_SQL = ("SELECT host FROM events WHERE ts >= ? AND ts <= ? AND kind IN (?, ?) AND host IS NOT NULL "
             "GROUP BY host HAVING COUNT(*) >= ?")


def failed_logon_hosts(connection: sqlite3.Connection, start: float, end: float, minimum: int,
                       skip: Collection[str] = ()) -> list[str]:
    """Hosts with at least ``minimum`` refused log-ons (4625, sshd) in ``[start, end]``, sorted; ``skip`` left out.

    Parameters
    ----------
    connection : sqlite3.Connection
        The journal's.
    start, end : float
        The detection window (epoch seconds).
    minimum : int
        Refusals a host needs in the window (the smallest a pattern can be made of).
    skip : collection of str
        Hosts already read (the validators).

    Examples
    --------
    >>> db = sqlite3.connect(":memory:")
    >>> _ = db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, host TEXT, ts REAL, kind TEXT)")
    >>> _ = db.executemany("INSERT INTO events (host, ts, kind) VALUES (?, ?, ?)",
    ...                    [("srv1", t, LOGON_FAILED) for t in range(12)] + [("ws2", 1, LOGON_FAILED)])
    >>> failed_logon_hosts(db, 0, 100, 10), failed_logon_hosts(db, 0, 100, 10, skip={"srv1"})
    (['srv1'], [])
    """
    if _counts_current(connection):
        ever = [str(row[0]) for row in connection.execute(_EVER_SQL, (*REFUSAL_KINDS, minimum))]
        found = [host for host in ever if host not in skip and connection.execute(
            _IN_WINDOW_SQL, (host, start, end, *REFUSAL_KINDS)).fetchone()[0] >= minimum]
    else:
        found = [str(row[0]) for row in connection.execute(_SCAN_SQL, (start, end, *REFUSAL_KINDS, minimum))
                 if row[0] not in skip]
    return sorted(found)


def _counts_current(connection: sqlite3.Connection) -> bool:
    from ingest.journal_host_kinds import host_kind_total

    try:
        # None: the table is missing or behind the journal's last event
        return host_kind_total(connection, "", list(REFUSAL_KINDS)) is not None
    except sqlite3.Error:
        return False
