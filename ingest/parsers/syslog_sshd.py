"""sshd and PAM log-on lines in a syslog message: who logged on, from where, and how it went.

PAM modules (``pam_unix``, ``pam_sss``...) write ``rhost=ADDR`` and
``user=NAME`` into their messages: ``rhost=`` becomes ``source.ip`` (an
address) or ``source.domain`` (a name), ``user=`` becomes ``user.name``.
sshd's own ``Accepted``/``Failed <method> for [invalid user] NAME from ADDR
port N`` and ``Invalid user NAME from ADDR [port N]`` give ``user.name``,
``source.ip`` (``source.domain`` for a name: sshd's ``UseDNS`` writes the
client's reverse name), ``source.port`` and ``event.outcome``.

The client chooses the user name and sshd writes it as it came, spaces and
all: ``Invalid user x from 10.1.2.42 port 22 from 198.51.100.9 port 40001``
names the user ``x from 10.1.2.42 port 22``.  So an sshd line is read whole,
from its start: the source is the *last* `` from ADDR port N`` before what
sshd writes after it (`` ssh2``, ``ssh2: <key>``, `` [preauth]`` or the end),
never one in a certificate's ``ID`` after the key (the client's text too), and
the user name is all the text before it, kept as data.  The PAM keys are read
only from PAM's ``authentication failure; ... rhost=ADDR ... user=NAME`` list,
never from an sshd line, whose name could hold ``rhost=``; PAM writes
``user=`` last, so the user name is the rest of the line and ``rhost=`` the
first one.

:func:`auth_fields` is called by :func:`ingest.parsers.syslog.parse_syslog_text`
for a ``syslog:message`` that is not a firewall's traffic line.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.normalize import canonical_ip, normalize_user

_PAM_FAILURE_RE = re.compile(r"(?:pam_[\w-]+\([^)]*\): )?(?:PAM \d+ more )?authentication failures?; ")
"""PAM's ``authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=ADDR  user=NAME``
(pam_unix, pam_sss; ``PAM 2 more authentication failures; ...``), the only PAM lines with keys."""
_RHOST_RE = re.compile(r"\brhost=(\S+)")
_USER_RE = re.compile(r"\buser=(.*)", re.DOTALL)
_SSHD_LINES = (
    r"(?:(Accepted)|Failed) \S+ for (?:invalid user )?{name} from (\S+) port (\d{{1,5}}){tail}"
    r"|Invalid user {name} from (\S+)(?: port (\d{{1,5}}))?{tail}"
)
"""sshd's own log-on lines, matched whole: ``Accepted password for jdoe from 192.0.2.66 port 52311 ssh2``,
``Failed publickey for invalid user admin from ... port ... ssh2: RSA SHA256:...``, ``Invalid user admin
from ...``.  The client chooses the name (``%.100s``) and, with a certificate, the ``ID`` sshd writes
after the key (``ssh2: ED25519-CERT SHA256:... ID <text> (serial N) CA ...``): either may hold a
`` from ADDR port N``."""
_SSHD_RE = re.compile(
    _SSHD_LINES.format(name=r"((?:(?! ssh[12]: ).)*)", tail=r"(?: ssh[12](?:: .*)?)?(?: \[preauth\])?"), re.DOTALL)
"""First reading: the name holds no `` ssh2: `` and is greedy, so the address is the last
`` from ADDR port N`` before sshd's ``ssh2`` (``ssh1``: protocol 1), its key, ``[preauth]`` or the end (never one in a
certificate's ID after the key)."""
_SSHD_KEYLESS_RE = re.compile(
    _SSHD_LINES.format(name="(.*)", tail=r"(?: ssh[12])?(?: \[preauth\])?"), re.DOTALL)
"""Second reading, for a name holding `` ssh2: ``: a line with no key after the address (a password
failure, ``Invalid user``), the name greedy again.  A key line whose name holds `` ssh2: `` stays unread
(no source, no user) rather than misread."""
_REPEATED_RE = re.compile(r"message repeated \d+ times: \[ ?(.*?) ?\]", re.DOTALL)
"""syslog's ``message repeated 2 times: [ Failed password for root from ... ssh2]``."""


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
    if " from " in message and _sshd_fields(message, fields):
        return
    if "rhost=" in message or "user=" in message:
        _pam_fields(message, fields)


def _pam_fields(message: str, fields: dict[str, Any]) -> None:
    """``source.ip`` (else ``source.domain``) and ``user.name`` of PAM's authentication failure list."""
    if _PAM_FAILURE_RE.match(message) is None:
        return
    rhost = _RHOST_RE.search(message)
    if rhost is not None:
        _put_source(fields, rhost.group(1))
    user = _USER_RE.search(message, rhost.end() if rhost is not None else 0)
    if user is not None and user.group(1).strip():
        fields["user.name"] = normalize_user(None, user.group(1))


def _sshd_fields(message: str, fields: dict[str, Any]) -> bool:
    """``user.name``, ``source.ip`` (else ``source.domain``), ``source.port``, ``event.outcome`` of
    sshd's log-on lines; whether the message is one."""
    repeated = _REPEATED_RE.fullmatch(message)
    # trailing blanks (some forwarders pad lines) are no part of sshd's text
    line = (repeated.group(1) if repeated is not None else message).rstrip()
    match = _SSHD_RE.fullmatch(line) or _SSHD_KEYLESS_RE.fullmatch(line)
    if match is None:
        return False
    accepted, user, address, port, invalid_user, invalid_address, invalid_port = match.groups()
    if invalid_address is not None:
        user, address, port = invalid_user, invalid_address, invalid_port
    if user.strip():
        fields["user.name"] = normalize_user(None, user)
    _put_source(fields, address)
    if port is not None and int(port) <= 65535:
        fields["source.port"] = int(port)
    fields["event.outcome"] = "success" if accepted else "failure"
    return True


def _put_source(fields: dict[str, Any], address: str) -> None:
    """``source.ip``, else ``source.domain``: sshd's ``UseDNS`` and PAM's ``rhost`` may write the client's name."""
    ip = canonical_ip(address, strict=False)
    if ip is not None:
        fields["source.ip"] = ip
    else:
        fields["source.domain"] = address.lower()
