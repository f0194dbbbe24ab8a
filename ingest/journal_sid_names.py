"""Account names for the SIDs a timeline row shows as its user: what the journal learnt, read back.

A scheduled task's principal is often a SID (``<UserId>S-1-5-21-…-86696</UserId>``),
so its timeline row read ``user s-1-5-21-…-86696`` (review U2, TL #3) though the
same journal's logons and process starts (4624, 4688: ``TargetUserSid`` beside
``TargetUserName``) name that account.  The projection already learns SID ->
name from them (``_sid_names``, :meth:`ingest.projection_endpoint.EndpointRules._learn_sid`)
and keeps it in the join state saved with its checkpoint (``projection_state``).
This module reads the names of a page's SIDs from there, in SQLite's JSON
functions (the state is a few MB at most; nothing else of it is decoded), and
names the well-known SIDs (``S-1-5-18`` is SYSTEM).  A SID nobody named stays a
SID.  The rows' fields are never changed: :func:`named_account` is applied to a
copy for the summary.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

ACCOUNT_SID = re.compile(r"s-1-5-21(-\d{1,10}){4}", flags=re.ASCII)
"""A domain or local account's SID, lower case (the form ``user.name`` holds): the projection's rule."""

WELL_KNOWN_SIDS = {
    "s-1-5-18": "nt authority\\system",
    "s-1-5-19": "nt authority\\local service",
    "s-1-5-20": "nt authority\\network service",
    "s-1-5-32-544": "builtin\\administrators",
    "s-1-5-32-545": "builtin\\users",
}
"""SIDs every Windows machine gives the same account (as Sysmon writes those accounts)."""
SERVICE_SIDS = frozenset(("s-1-5-18", "s-1-5-19", "s-1-5-20"))
"""SYSTEM, LOCAL SERVICE and NETWORK SERVICE: the service identities among :data:`WELL_KNOWN_SIDS`."""


def _sid_of(value: object) -> str | None:
    text = value.strip().lower() if isinstance(value, str) else ""
    return text if text in WELL_KNOWN_SIDS or ACCOUNT_SID.fullmatch(text) else None


def sid_names(db: sqlite3.Connection | None, users: Iterable[object]) -> dict[str, str]:
    """``{sid: account name}`` for the SIDs among ``users`` (``user.name`` values) that have a name.

    Parameters
    ----------
    db : sqlite3.Connection or None
        The journal's database (its ``projection_state``); None: well-known SIDs only.
    users : iterable
        The ``user.name`` values of a page.

    Returns
    -------
    dict
        Lower-case SIDs to lower-case account names; SIDs no event named are absent.
    """
    sids = {sid for sid in map(_sid_of, users) if sid is not None}
    names = {sid: WELL_KNOWN_SIDS[sid] for sid in sids if sid in WELL_KNOWN_SIDS}
    wanted = sorted(sids - names.keys())
    if db is None or not wanted:
        return names
    try:
        rows = db.execute(
            "SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]') "
            "FROM projection_state AS p, json_each(CAST(p.state AS TEXT), '$._sid_names') AS j "
            "WHERE p.seq = (SELECT MAX(seq) FROM projection_state) "
            "AND json_extract(j.value, '$[0]') IN (SELECT value FROM json_each(?))",
            (orjson.dumps(wanted).decode(),)).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc) or "malformed JSON" in str(exc):
            return names  # no state saved yet, or one this reader cannot read: the SIDs stay SIDs
        raise
    names.update((str(sid), str(name)) for sid, name in rows if isinstance(sid, str) and isinstance(name, str))
    return names


def named_account(fields: Mapping[str, Any], names: Mapping[str, str]) -> Mapping[str, Any]:
    """``fields`` with a SID ``user.name`` written ``name (sid)`` when ``names`` has it; else ``fields`` itself.

    >>> named_account({"user.name": "s-1-5-18"}, {"s-1-5-18": "nt authority\\\\system"})["user.name"]
    'nt authority\\\\system (s-1-5-18)'
    >>> named_account({"user.name": "bob"}, {})
    {'user.name': 'bob'}
    """
    sid = _sid_of(fields.get("user.name"))
    name = names.get(sid) if sid is not None else None
    if name is None:
        return fields
    return {**fields, "user.name": f"{name} ({sid})"}
