"""sshd and PAM log-on lines in a syslog message: who logged on, from where, and how it went.

PAM modules (``pam_unix``, ``pam_sss``...) write ``rhost=ADDR`` and
``user=NAME`` into their messages: ``rhost=`` becomes ``source.ip`` (an
address) or ``source.domain`` (a name), ``user=`` becomes ``user.name``.
sshd's own ``Accepted``/``Failed <method> for [invalid user] NAME from ADDR
port N`` and ``Invalid user NAME from ADDR [port N]`` give ``user.name``,
``source.ip`` (``source.domain`` for a name: sshd's ``UseDNS`` writes the
client's reverse name), ``source.port`` and ``event.outcome``.

:func:`auth_fields` is called by :func:`ingest.parsers.syslog.parse_syslog_text`
for a ``syslog:message`` that is not a firewall's traffic line.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.normalize import canonical_ip, normalize_user

_RHOST_RE = re.compile(r"\brhost=(\S+)")
_USER_RE = re.compile(r"\buser=(\S+)")
_SSHD_RE = re.compile(
    r"(?:(Accepted)|Failed) \S+ for (?:invalid user )?(\S*) from (\S+) port (\d{1,5})"
    r"|Invalid user (\S*) from (\S+)(?: port (\d{1,5}))?"
)
"""sshd's own log-on lines: ``Accepted password for jdoe from 192.0.2.66 port 52311 ssh2``,
``Failed publickey for invalid user admin from ... port ...``, ``Invalid user admin from ...``."""


def auth_fields(message: str, fields: dict[str, Any]) -> None:
    """Add the log-on fields of a PAM or sshd message to ``fields``.

    Parameters
    ----------
    message : str
        The syslog message (after the tag).
    fields : dict
        The event's fields, updated in place; a message that names no log-on
        leaves them unchanged.

    Examples
    --------
    >>> fields = {}
    >>> auth_fields("Failed password for invalid user admin from 192.0.2.66 port 52311 ssh2", fields)
    >>> sorted(fields.items())
    [('event.outcome', 'failure'), ('source.ip', '192.0.2.66'), ('source.port', 52311), ('user.name', 'admin')]
    """
    if "rhost=" in message:
        match = _RHOST_RE.search(message)
        if match:
            ip = canonical_ip(match.group(1), strict=False)
            if ip is not None:
                fields["source.ip"] = ip
            else:
                fields["source.domain"] = match.group(1).lower()
    if "user=" in message:
        match = _USER_RE.search(message)
        if match:
            fields["user.name"] = normalize_user(None, match.group(1))
    if " from " in message:
        _sshd_fields(message, fields)


def _sshd_fields(message: str, fields: dict[str, Any]) -> None:
    """``user.name``, ``source.ip`` (else ``source.domain``), ``source.port``, ``event.outcome`` of sshd's lines."""
    match = _SSHD_RE.search(message)
    if match is None:
        return
    accepted, user, address, port, invalid_user, invalid_address, invalid_port = match.groups()
    if invalid_address is not None:
        user, address, port = invalid_user, invalid_address, invalid_port
    if user:
        fields["user.name"] = normalize_user(None, user)
    ip = canonical_ip(address, strict=False)
    if ip is not None:
        fields["source.ip"] = ip
    else:  # sshd's UseDNS writes the client's reverse name
        fields["source.domain"] = address.lower()
    if port is not None and int(port) <= 65535:
        fields["source.port"] = int(port)
    fields["event.outcome"] = "success" if accepted else "failure"
