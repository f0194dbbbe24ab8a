"""Credential attempts a network sensor saw: Zeek ``ntlm.log`` and ``kerberos.log`` (task CRED3 item 2).

A sensor watching a domain controller or a file server sees a spray even when the endpoints send no
logs.  Its records are journal events of no host (``zeek:ntlm``, ``zeek:kerberos``: Zeek's fields as
``zeek.*``, the account the parser keyed as ``user.name``, :mod:`ingest.parsers.zeek_accounts`).  Each
one with a stated outcome becomes an :class:`analytics.credential_attempts.Attempt` on its *target*:
the host the IP map says held ``id.resp_h`` then (:class:`analytics.evidence_addresses.AddressHolders`),
else the address itself.  Its source is ``id.orig_h`` (and, for NTLM, the ``hostname`` the client
claimed), so the same patterns and thresholds (:mod:`analytics.credential_spray`) judge it.

What counts:

* **NTLM**: ``success`` true or false (Zeek >= 3; older logs' ``status``).  An exchange whose answer
  Zeek did not see (``success`` unset: 216 of the Brim WRCCDC ``ntlm.log``'s 422 records) has no
  outcome and is left out.  A failure's ``status``, when written, is read as its NTSTATUS.
* **Kerberos**: ticket-granting-ticket requests (``AS``) only.  A success is a log-on at the KDC; a
  failure counts only when its ``error_msg`` says the credentials were refused (:data:`KERBEROS_REFUSALS`:
  a wrong password, an unknown or revoked client, an expired key).  ``KDC_ERR_PREAUTH_REQUIRED`` is the
  first leg of every ordinary log-on, and ``KDC_ERR_WRONG_REALM`` or a service-ticket error checks no
  password: neither is an attempt.
* **RDP and SMB logs are not read**: ``rdp.log``'s ``result`` is the protocol negotiation's (with
  NLA or TLS the log-on itself is encrypted) and its ``cookie`` a name cut to nine characters; an SMB
  session's NTLM log-on is in ``ntlm.log`` already (``smb_mapping``/``smb_files`` hold no outcome).

The same attempt seen twice, by the DC's Security log and by the sensor, counts once
(:func:`without_windows_copies`): a network attempt is dropped when a Windows attempt of the same
account (its bare name), the same outcome class (failed or succeeded), within :data:`SAME_ATTEMPT_SECONDS`
and with no contradicting source (address, claimed name) is not yet matched; each Windows attempt
absorbs at most one network record, so a burst is never counted below either side's own count.  The
Windows record is kept (its status and event are the DC's own).

The records are found through the journal's partial index ``sensor_logons_by_time``
(:data:`ingest.journal_schema.SENSOR_LOGONS_INDEX`): the window's sensor log-ons are read without
scanning the journal.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from analytics.credential_attempts import Attempt
from analytics.evidence_addresses import AddressHolders
from ingest.journal_schema import SENSOR_LOGONS_WHERE

__all__ = ["KERBEROS_REFUSALS", "SAME_ATTEMPT_SECONDS", "bare_account", "network_attempts", "without_windows_copies"]

NTLM_KIND = "zeek:ntlm"
KERBEROS_KIND = "zeek:kerberos"
SAME_ATTEMPT_SECONDS = 5.0
"""How far apart a DC's record and a sensor's record of one attempt may be: the sensor's ``ts`` is the
connection's start, the DC logs when it validated, and the two clocks are not the same one."""
KERBEROS_REFUSALS = {
    "KDC_ERR_C_PRINCIPAL_UNKNOWN": "0x6",
    "KDC_ERR_CLIENT_REVOKED": "0x12",
    "KDC_ERR_KEY_EXPIRED": "0x17",
    "KDC_ERR_PREAUTH_FAILED": "0x18",
}
"""Zeek's ``error_msg`` of a refused AS request -> the Kerberos code a DC's 4771/4768 writes (the labels
:data:`analytics.credential_statuses.STATUS_MEANINGS` explains)."""
NTLM_STATUSES = {
    "STATUS_LOGON_FAILURE": "0xc000006d",
    "STATUS_NO_SUCH_USER": "0xc0000064",
    "STATUS_WRONG_PASSWORD": "0xc000006a",
    "STATUS_ACCOUNT_LOCKED_OUT": "0xc0000234",
    "STATUS_ACCOUNT_DISABLED": "0xc0000072",
    "STATUS_PASSWORD_EXPIRED": "0xc0000071",
    "STATUS_ACCOUNT_EXPIRED": "0xc0000193",
}
"""An older ``ntlm.log``'s ``status`` -> the NTSTATUS a 4776 writes."""
_SQL = f"SELECT id, kind, ts, fields FROM events WHERE {SENSOR_LOGONS_WHERE} AND ts >= ? AND ts <= ? ORDER BY ts, seq"  # noqa: S608
"""The window's sensor log-ons; the WHERE is the index's own, word for word, so SQLite uses it."""
_NEWEST_SQL = f"SELECT MAX(ts) FROM events WHERE {SENSOR_LOGONS_WHERE}"  # noqa: S608


def network_attempts(connection: sqlite3.Connection, start: float, end: float) -> dict[str, list[Attempt]]:
    """The sensor's credential attempts in ``[start, end]`` by target, oldest first.

    Parameters
    ----------
    connection : sqlite3.Connection
        The journal database, holding the sensor's records and the IP map (``ip_hosts``).
    start, end : float
        Epoch seconds: the detection window's bounds.

    Returns
    -------
    dict
        Target (the mapped host of ``id.resp_h``, else the address) -> its attempts.  Successes are kept
        only for accounts that failed on that target in the window (as
        :func:`analytics.credential_attempts.read_attempts` keeps them).
    """
    try:
        rows = connection.execute(_SQL, (start, end)).fetchall()
    except sqlite3.OperationalError:  # a database that is no journal of this version
        return {}
    holders = AddressHolders(connection)
    by_target: dict[str, list[Attempt]] = defaultdict(list)
    for event_id, kind, ts, blob in rows:
        fields = orjson.loads(blob)
        attempt = sensor_attempt(str(event_id), str(kind), float(ts), fields)
        server = _text(fields.get("destination.ip"))
        if attempt is None or server is None:
            continue
        by_target[holders.holder(server, float(ts)) or server].append(attempt)
    found: dict[str, list[Attempt]] = {}
    for target, attempts in by_target.items():
        failing = {a.account for a in attempts if a.failed}
        if failing:
            found[target] = [a for a in attempts if a.failed or a.account in failing]
    return found


def newest_sensor_logon(connection: Any) -> float | None:
    """The newest sensor log-on's time in the journal (on its index), or None without one."""
    if not isinstance(connection, sqlite3.Connection):
        return None
    try:
        row = connection.execute(_NEWEST_SQL).fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None or row[0] is None else float(row[0])


def sensor_attempt(event_id: str, kind: str, ts: float, fields: Mapping[str, Any]) -> Attempt | None:
    """One Zeek record as an attempt, or None when it checked no password or stated no outcome.

    Examples
    --------
    >>> sensor_attempt("k1", KERBEROS_KIND, 5.0, {"user.name": "corp.example\\\\bob", "event.outcome": "failure",
    ...                "kerberos.request_type": "AS", "zeek.error_msg": "KDC_ERR_PREAUTH_FAILED",
    ...                "source.ip": "10.0.0.9"}).outcome
    'failure kerberos 0x18'
    >>> sensor_attempt("k2", KERBEROS_KIND, 5.0, {"user.name": "bob", "event.outcome": "failure",
    ...                "kerberos.request_type": "AS", "zeek.error_msg": "KDC_ERR_PREAUTH_REQUIRED"}) is None
    True
    """
    account = _text(fields.get("user.name"))
    outcome = fields.get("event.outcome")
    if account is None or outcome not in ("success", "failure"):
        return None
    if kind == KERBEROS_KIND:
        if fields.get("kerberos.request_type") != "AS":
            return None  # a service ticket is asked with a ticket held: no password checked
        if outcome == "failure":
            code = KERBEROS_REFUSALS.get(str(fields.get("zeek.error_msg") or "").strip().upper())
            if code is None:
                return None
            outcome = f"failure kerberos {code}"
    elif kind == NTLM_KIND:
        if outcome == "success" and account.endswith("$"):
            return None  # machine accounts log on all day
        if outcome == "failure":
            status = NTLM_STATUSES.get(str(fields.get("zeek.status") or "").strip().upper())
            outcome = f"failure {status}" if status else "failure"
    else:
        return None
    return Attempt(ts, account, outcome, _text(fields.get("source.workstation")), _text(fields.get("source.ip")),
                   event_id, kind)


def without_windows_copies(network: Mapping[str, Sequence[Attempt]],
                           windows: Iterable[Attempt]) -> dict[str, list[Attempt]]:
    """``network`` without the attempts the Windows side logged too (module docstring: one-to-one).

    Examples
    --------
    >>> dc = [Attempt(100.0, "corp\\\\bob", "failure 0xc000006a", "kali", None, "w1", "winsec:credential_validation")]
    >>> seen = {"dc01": [Attempt(102.0, "bob", "failure", "kali", "10.0.0.9", "z1", NTLM_KIND),
    ...                  Attempt(103.0, "bob", "failure", "kali", "10.0.0.9", "z2", NTLM_KIND)]}
    >>> [a.event_id for a in without_windows_copies(seen, dc)["dc01"]]
    ['z2']
    """
    pool: dict[tuple[str, bool], list[Attempt]] = defaultdict(list)
    for attempt in windows:
        if attempt.failed or attempt.outcome == "success":
            pool[(bare_account(attempt.account), attempt.failed)].append(attempt)
    sorted_pool = {key: sorted(held, key=lambda a: a.ts) for key, held in pool.items()}
    times = {key: [a.ts for a in held] for key, held in sorted_pool.items()}
    used: set[str] = set()
    kept: dict[str, list[Attempt]] = {}
    for target, attempts in network.items():
        kept[target] = [a for a in attempts if not _matched(
            a, sorted_pool.get((bare_account(a.account), a.failed), []), times.get((bare_account(a.account), a.failed), []), used)]
    return kept


def _matched(attempt: Attempt, candidates: Sequence[Attempt], times: Sequence[float], used: set[str]) -> bool:
    """Whether an unmatched Windows attempt in ``candidates`` (sorted, ``times`` theirs) is ``attempt``;
    marks it used."""
    low = bisect_left(times, attempt.ts - SAME_ATTEMPT_SECONDS)
    for candidate in candidates[low:]:
        if candidate.ts > attempt.ts + SAME_ATTEMPT_SECONDS:
            return False
        if candidate.event_id in used or _contradicts(candidate, attempt):
            continue
        used.add(candidate.event_id)
        return True
    return False


def _contradicts(windows: Attempt, network: Attempt) -> bool:
    """Two sources both named and different: two clients, two attempts."""
    return any(a is not None and b is not None and a != b
               for a, b in ((windows.source_ip, network.source_ip), (windows.workstation, network.workstation)))


def bare_account(account: str) -> str:
    r"""An account's name without its domain or realm (``corp\bob``, ``bob@corp`` -> ``bob``)."""
    return account.rpartition("\\")[2].partition("@")[0]


def _text(value: Any) -> str | None:
    text = str(value).strip().lower() if value is not None else ""
    return None if text in ("", "-") else text[:255]
