"""Whether a likely compromise's log-on was given special privileges (task CRED8 item 2).

Windows logs Security 4672 ("Special privileges assigned to new logon") in the same instant as the 4624
of a session given administrator rights: ``SeDebugPrivilege``, ``SeBackupPrivilege``... The projection
makes it ``user PRIVILEGED_ON host`` (:meth:`ingest.projection_endpoint.EndpointRules._special_privileges`),
its evidence the 4672.  For a compromise the analyst needs more than "this account has been admin there
at some time": whether *the sprayer's own session* was.  The 4672 says which session it is for
(``winlog.logon.id``, the 4624's ``TargetLogonId``), so :func:`with_privileges` reads the 4672s its host
logged within :data:`SESSION_SECONDS` of the compromise's 4624 and keeps one of that session (or, when
either names no session, of that account).

It changes the words and the evidence, never the risk: a compromise is at its pattern's risk already,
and an attacker's noise cannot add a 4672 to a session the sprayer did not open.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson

from analytics.credential_spray import Compromise, CredentialFinding

__all__ = ["PRIVILEGES_KIND", "SESSION_SECONDS", "privileged_session", "with_privileges"]

PRIVILEGES_KIND = "winsec:special_privileges"
SESSION_SECONDS = 2.0
"""Either side of the 4624: the LSA writes the 4672 of a session with it (same second in the corpus)."""
_SQL = ("SELECT id, fields FROM events WHERE host = ? AND ts >= ? AND ts <= ? AND kind = ? ORDER BY ts, seq")
_EVENT_SQL = "SELECT fields FROM events WHERE id = ? LIMIT 1"


def with_privileges(finding: CredentialFinding, connection: sqlite3.Connection) -> CredentialFinding:
    """``finding`` with each compromise's 4672 (its event and privileges) when its session was given one.

    Parameters
    ----------
    finding : CredentialFinding
        A merged finding (its compromises name the host they logged on to, or the finding's validator).
    connection : sqlite3.Connection
        The journal's.

    Returns
    -------
    CredentialFinding
        The same finding (the same object when no compromise was privileged).
    """
    if not finding.compromises:
        return finding
    changed = False
    compromises: list[Compromise] = []
    for broken in finding.compromises:
        host = broken.validator or finding.validator
        found = privileged_session(connection, host, broken.attempt.event_id, broken.account, broken.attempt.ts)
        if found is not None:
            broken = replace(broken, privileges_event=found[0], privileges=found[1])
            changed = True
        compromises.append(broken)
    return replace(finding, compromises=compromises) if changed else finding


def privileged_session(connection: sqlite3.Connection, host: str, logon_event: str, account: str,
                       ts: float) -> tuple[str, tuple[str, ...]] | None:
    """The 4672 of the session a log-on opened on ``host``: its event id and privileges, or None.

    Parameters
    ----------
    connection : sqlite3.Connection
        The journal's.
    host : str
        The host logged on to (the journal's ``host``).
    logon_event : str
        The log-on's journal event (its ``winlog.logon.id`` is the session).
    account : str
        The account as the finding keys it (``corp\\user17``): matched by its bare name too.
    ts : float
        The log-on's time.
    """
    session = _session(_fields_of(connection, logon_event))
    bare = account.rpartition("\\")[2]
    for event_id, blob in connection.execute(_SQL, (host, ts - SESSION_SECONDS, ts + SESSION_SECONDS,
                                                    PRIVILEGES_KIND)):
        fields = orjson.loads(blob)
        theirs = _session(fields)
        name = str(fields.get("user.name") or "").strip().lower()
        if session is not None and theirs is not None:
            if theirs != session:
                continue  # another session's (an admin's own log-on in the same second)
        elif name.rpartition("\\")[2] != bare:
            continue
        return str(event_id), _privileges(fields)
    return None


def _fields_of(connection: sqlite3.Connection, event_id: str) -> Mapping[str, Any]:
    row = connection.execute(_EVENT_SQL, (event_id,)).fetchone()
    return orjson.loads(row[0]) if row is not None else {}


def _session(fields: Mapping[str, Any]) -> str | None:
    said = str(fields.get("winlog.logon.id") or "").strip().lower()
    return said or None


def _privileges(fields: Mapping[str, Any]) -> tuple[str, ...]:
    names: Sequence[Any] = fields.get("winlog.privileges") or ()
    return tuple(str(name) for name in names) if isinstance(names, list) else ()
