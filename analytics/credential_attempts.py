"""The credential attempts a detection window holds: each NTLM validation and log-on outcome on a
host that validates credentials, with its time, account, outcome and the source it claimed.

The graph says *where* to look and *who* the accounts are: a ``user VALIDATED_AT host`` edge active in
the window (:meth:`graphsiem.store.base.GraphStore.relations_active`) makes its host a validator (a
domain controller for a domain account) and names the account as the projection keyed it
(``jerry\\guest``, where the event wrote ``guest``).  Its tallies are aggregated over all time, so they
cannot say what happened *in the window* nor in what order: the journal's events on those hosts in the
window can (the ``events_by_host`` index: host, time, kind), and the rules of
:mod:`analytics.credential_spray` need the order (a success *after* failures).

Read per validator: Security 4776 (``winsec:credential_validation``: the claimed workstation is the
only source it names), 4625 and a refused Kerberos pre-authentication (4771 / refused 4768), whose
source is an address, and the successful log-ons (4624, a TGT issued) of accounts that failed in the
window (a success after a run of failures is the sprayer finding a password).  A Linux host's SSH
log-ons are read the same way (``syslog:logon_failed``, ``syslog:logon``: the user, the client's
address; one attempt per sshd line that states one, :mod:`analytics.credential_syslog`).

Without a journal (a notebook over a bare store), nothing is read and the detection says so
(``credential_attempts: "no journal"`` in its stats): the edges alone cannot be windowed.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from analytics.credential_syslog import (
    SYSLOG_FAILURE_KIND,
    SYSLOG_SUCCESS_KIND,
    without_repeated_lines,
)
from graphsiem.model import EntityType, Relation
from graphsiem.store.base import GraphStore
from ingest.projection_logons import validation_outcome

VALIDATION_KIND = "winsec:credential_validation"
FAILURE_KINDS = ("winsec:logon_failed", "winsec:kerberos_logon_failed", SYSLOG_FAILURE_KIND)
SUCCESS_KINDS = ("winsec:logon", "winsec:kerberos_logon", SYSLOG_SUCCESS_KIND)
_KINDS = (VALIDATION_KIND, *FAILURE_KINDS, *SUCCESS_KINDS)
_ATTEMPTS_SQL = ("SELECT id, kind, ts, fields FROM events WHERE host = ? AND ts >= ? AND ts <= ? "
                 "AND kind IN (?, ?, ?, ?, ?, ?, ?) ORDER BY ts, seq")
"""One validator's attempts in a window: its host, start, end and the seven :data:`_KINDS`."""
_PLACEHOLDERS = frozenset(("", "-", "::1", "127.0.0.1", "localhost"))


@dataclass(frozen=True, slots=True)
class Attempt:
    """One credential check on a validator.

    Attributes
    ----------
    ts : float
        Epoch seconds.
    account : str
        The user's key as the graph has it (``jerry\\guest``), else the event's name, lower case.
    outcome : str
        ``success``, ``failure <status>`` (lower-case NTSTATUS), ``failure`` or ``unknown``.
    workstation : str or None
        The workstation name the client claimed (never a host: anyone can write it).
    source_ip : str or None
        The client's address, when the event gives one (4625, 4771, 4624).
    event_id : str
        The journal event behind it.
    kind : str
        The event kind (``winsec:credential_validation``...).
    protocol : str or None
        The protocol a 4625 says refused it, lower case: ``ntlm`` (package ``NTLM`` or logon process
        ``NtLmSsp``), else its package or logon process as said (``kerberos``, ``negotiate``...); None
        when it says neither (another kind, a shape that keeps neither: MDE, CEF).
    """

    ts: float
    account: str
    outcome: str
    workstation: str | None
    source_ip: str | None
    event_id: str
    kind: str
    protocol: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome.startswith("failure")


def validators(store: GraphStore, start: float, end: float) -> dict[str, list[Relation]]:
    """The hosts that validated credentials in ``[start, end]`` and their ``VALIDATED_AT`` edges.

    Parameters
    ----------
    store : GraphStore
        Embedded or Neo4j store.
    start, end : float
        The detection window (epoch seconds).

    Returns
    -------
    dict
        Host name -> the edges to it active in the window.
    """
    edges: dict[str, list[Relation]] = defaultdict(list)
    for rel in store.relations_active("VALIDATED_AT", start, end):
        if rel.dst[0] == EntityType.HOST:
            edges[rel.dst[1]].append(rel)
    return dict(edges)


def read_attempts(connection: sqlite3.Connection, host: str, edges: Iterable[Relation],
                  start: float, end: float, *, every_success: bool = False) -> list[Attempt]:
    """The credential attempts on ``host`` in ``[start, end]``, oldest first.

    Parameters
    ----------
    connection : sqlite3.Connection
        The journal's (:attr:`ingest.journal.Journal.connection`).
    host : str
        A validator (:func:`validators`).
    edges : iterable of Relation
        Its ``VALIDATED_AT`` edges: the account keys a bare 4776 name maps to.
    start, end : float
        The window.
    every_success : bool
        Keep the successes of every account, not only of those that failed here: a sprayer that found a
        password on one server may use it on another (:mod:`analytics.credential_spread`).

    Returns
    -------
    list of Attempt
        Successful log-ons only for accounts that failed in the window (unless ``every_success``).
    """
    qualified = _qualified_names(edges)
    # the events_by_host index (host, ts, kind) answers this range; parameters only (names are data)
    rows = [(str(event_id), str(kind), float(ts), orjson.loads(blob))
            for event_id, kind, ts, blob in connection.execute(_ATTEMPTS_SQL, (host, start, end, *_KINDS))]
    attempts: list[Attempt] = []
    # PAM's and sshd's lines of one password tried are one attempt
    for event_id, kind, ts, fields in without_repeated_lines(rows):
        attempt = _attempt(event_id, kind, ts, fields, qualified)
        if attempt is not None:
            attempts.append(attempt)
    failing = {a.account for a in attempts if a.failed}
    # a 4624 of an account that never failed here says nothing of an attack (and a DC logs thousands)
    return [a for a in attempts if every_success or a.kind not in SUCCESS_KINDS or a.account in failing]


def _qualified_names(edges: Iterable[Relation]) -> dict[str, str]:
    """Bare account name -> the one key the edges give it (``guest`` -> ``jerry\\guest``)."""
    keys: dict[str, set[str]] = defaultdict(set)
    for rel in edges:
        key = rel.src[1]
        keys[key.rpartition("\\")[2]].add(key)
    return {bare: next(iter(found)) for bare, found in keys.items() if len(found) == 1}


def _attempt(event_id: str, kind: str, ts: float, fields: Mapping[str, Any],
             qualified: Mapping[str, str]) -> Attempt | None:
    name = str(fields.get("user.name") or "").strip().lower()
    if not name or name == "-":
        return None
    if kind in SUCCESS_KINDS and name.endswith("$"):
        return None  # machine accounts log on all day
    if kind == VALIDATION_KIND and "\\" not in name:
        name = qualified.get(name, name)
    outcome = _outcome(kind, fields)
    workstation = _text(fields.get("source.workstation"))
    if workstation is None and kind in (SYSLOG_FAILURE_KIND, SYSLOG_SUCCESS_KIND):
        workstation = _text(fields.get("source.domain"))  # the reverse name sshd wrote for the client
    source_ip = _text(fields.get("source.ip"))
    return Attempt(ts, name, outcome, workstation, source_ip, event_id, kind, _protocol(fields))


def _protocol(fields: Mapping[str, Any]) -> str | None:
    """:attr:`Attempt.protocol` from a 4625's ``winlog.logon.authentication_package`` and ``.logon_process``."""
    package = _text(fields.get("winlog.logon.authentication_package"))
    process = _text(fields.get("winlog.logon.logon_process"))
    if package == "ntlm" or process == "ntlmssp":
        return "ntlm"
    return package or process


def _outcome(kind: str, fields: Mapping[str, Any]) -> str:
    """The labels of :func:`ingest.projection_logons.validation_outcome`; a 4625's sub-status says more
    than its status (``0xc000006d`` is "bad user name or password" whatever failed), a Kerberos refusal
    has its own codes (``failure kerberos 0x18``: a wrong password), sshd's are ``failure ssh`` and
    ``failure ssh invalid user``."""
    if kind in SUCCESS_KINDS:
        return "success"
    if kind == SYSLOG_FAILURE_KIND:
        # sshd names an unknown user ("Invalid user", "for invalid user"); PAM's line says no more than refused
        return "failure ssh invalid user" if "invalid user" in str(fields.get("message") or "").lower() else "failure ssh"
    if kind == VALIDATION_KIND:
        return validation_outcome(dict(fields))
    kerberos = _text(fields.get("kerberos.status"))
    if kerberos is not None:
        return f"failure kerberos {kerberos}"
    status = _text(fields.get("winlog.logon.failure.sub_status"))
    if status in (None, "0x0"):
        status = _text(fields.get("winlog.logon.failure.status"))
    return f"failure {status}" if status and status != "0x0" else "failure"


def _text(value: Any) -> str | None:
    text = str(value).strip().lower() if value is not None else ""
    return None if text in _PLACEHOLDERS else text[:255]
