"""Linux log-ons as credential attempts: sshd's and PAM's lines, one attempt each (review U2 #2).

A Linux host that refuses SSH log-ons logs them in its syslog, which
:mod:`ingest.parsers.syslog_sshd` reads as ``syslog:logon_failed`` (sshd's ``Failed <method> for
[invalid user] NAME from ADDR port N``, ``Invalid user NAME from ADDR``, PAM's ``authentication failure;
... rhost=ADDR user=NAME``) and ``syslog:logon`` (sshd's ``Accepted``).  The host is the validator, the
client's address (``rhost``) the source, the user the account (an unknown user's name too: guessing
names is part of a brute force).  A host name sshd wrote for the client (``UseDNS``, a reverse name the
client's owner controls) is its claimed name, as a Windows workstation name is.

One password tried can be written twice: PAM's ``authentication failure`` and sshd's own ``Failed
password`` of the same sshd process (``sshd[4242]`` and ``sshd(pam_unix)[4242]`` or
``pam_unix(sshd:auth)`` under ``sshd[4242]``), and sshd announces an unknown user (``Invalid user``)
before its ``Failed password for invalid user`` lines.  So the lines of one sshd process (its pid, else
the second, user and source) are read at the most precise level present: sshd's ``Failed``/``Accepted``
lines when it wrote any, else its ``Invalid user`` lines, else PAM's.  The loghub ``Linux`` sample
(an old sshd) writes PAM's lines only: each is one attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["SYSLOG_FAILURE_KIND", "SYSLOG_SUCCESS_KIND", "without_repeated_lines"]

SYSLOG_FAILURE_KIND = "syslog:logon_failed"
"""A refused SSH log-on (:data:`ingest.parsers.syslog_sshd.LOGON_FAILED_KIND`)."""
SYSLOG_SUCCESS_KIND = "syslog:logon"
"""An accepted SSH log-on (:data:`ingest.parsers.syslog_sshd.LOGON_KIND`)."""
_KINDS = frozenset((SYSLOG_FAILURE_KIND, SYSLOG_SUCCESS_KIND))

Row = tuple[str, str, float, Mapping[str, Any]]
"""A journal row read for attempts: event id, kind, time, fields."""


def line_level(message: object) -> int:
    """How precisely a log-on line states one attempt: 2 sshd's verdict, 1 its unknown-user notice, 0 PAM's.

    Examples
    --------
    >>> line_level("Failed password for root from 192.0.2.6 port 4000 ssh2"), line_level("Accepted publickey for a")
    (2, 2)
    >>> line_level("Invalid user admin from 192.0.2.6 port 4000")
    1
    >>> line_level("authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.6  user=root")
    0
    """
    text = message if isinstance(message, str) else ""
    if text.startswith(("Failed ", "Accepted ")):
        return 2
    return 1 if text.startswith("Invalid user ") else 0


def without_repeated_lines(rows: Iterable[Row]) -> list[Row]:
    """``rows`` less the syslog lines that repeat an attempt another line of the same sshd process states.

    Parameters
    ----------
    rows : iterable of (event id, kind, ts, fields)
        One validator's rows in time order, any kinds (only ``syslog:logon*`` rows are judged).

    Returns
    -------
    list
        The rows in their order; of each sshd process's log-on lines only those of its most precise level.

    Examples
    --------
    >>> pam = {"message": "authentication failure; rhost=192.0.2.6  user=root", "log.syslog.procid": "7"}
    >>> sshd = {"message": "Failed password for root from 192.0.2.6 port 4000 ssh2", "log.syslog.procid": "7"}
    >>> other = {**pam, "log.syslog.procid": "8"}
    >>> rows = [("a", SYSLOG_FAILURE_KIND, 1.0, pam), ("b", SYSLOG_FAILURE_KIND, 1.0, sshd),
    ...         ("c", SYSLOG_FAILURE_KIND, 2.0, other), ("d", "winsec:logon_failed", 2.0, {})]
    >>> [row[0] for row in without_repeated_lines(rows)]
    ['b', 'c', 'd']
    """
    rows = list(rows)
    best: dict[tuple[Any, ...], int] = {}
    levels: list[int] = []
    for _, kind, ts, fields in rows:
        if kind not in _KINDS:
            levels.append(-1)
            continue
        level = line_level(fields.get("message"))
        levels.append(level)
        process = _process(ts, fields)
        best[process] = max(level, best.get(process, 0))
    return [row for row, level in zip(rows, levels, strict=True)
            if level < 0 or level == best[_process(row[2], row[3])]]


def _process(ts: float, fields: Mapping[str, Any]) -> tuple[Any, ...]:
    """The sshd process a line is of: its pid, else (a line without one) its second; with its user and
    source, so that a pid used again by another client's process is another process."""
    pid = fields.get("log.syslog.procid")
    client = (fields.get("user.name"), fields.get("source.ip") or fields.get("source.domain"))
    return ("pid", str(pid), *client) if pid not in (None, "", "-") else ("second", int(ts), *client)
