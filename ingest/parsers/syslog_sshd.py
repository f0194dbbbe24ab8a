"""sshd and PAM log-on lines in a syslog message: who logged on, from where, and how it went.

PAM modules (``pam_unix``, ``pam_sss``...) write ``rhost=ADDR`` and
``user=NAME`` into their messages: ``rhost=`` becomes ``source.ip`` (an
address) or the client's name (:func:`_put_source`: ``source.domain`` for a
dotted name, ``source.workstation`` for a single label), ``user=`` becomes
``user.name``.  sshd's own ``Accepted``/``Failed <method> for [invalid user]
NAME from ADDR port N`` and ``Invalid user NAME from ADDR [port N]`` give
``user.name``, ``source.ip`` (or the name, as ``rhost=``'s: sshd's ``UseDNS``
writes the client's reverse name), ``source.port`` and ``event.outcome``.

The client chooses the user name and sshd writes it as it came, spaces and
all: ``Invalid user x from 10.1.2.42 port 22 from 198.51.100.9 port 40001``
names the user ``x from 10.1.2.42 port 22``.  So an sshd line is read whole,
from its start, and the user name is all the text before the source, kept as
data.  On a line with no key the source is the *last* `` from ADDR port N``,
before sshd's `` ssh2`` and `` [preauth]``.  On a key line the source is the
`` from ADDR port N ssh2: `` followed by what sshd writes after it: a key's
type and fingerprint, or a certificate's with its ``ID`` (the client's text
too) and CA.  When the name or the ID copies that text, so that two places
fit, the line is left unread (no source, no user) rather than misread.  The PAM keys are read
only from PAM's ``authentication failure; ... rhost=ADDR ... user=NAME`` list,
never from an sshd line, whose name could hold ``rhost=``; PAM writes
``user=`` last, so the user name is the rest of the line and ``rhost=`` the
first one.

The event's kind says how the log-on went (``ingest.projection`` relates it as Windows 4624/4625):
:data:`LOGON_KIND` for sshd's ``Accepted``, :data:`LOGON_FAILED_KIND` for sshd's ``Failed`` and
``Invalid user`` and PAM's authentication failures (``event.outcome`` ``failure``).

:func:`auth_fields` is called by :func:`ingest.parsers.syslog.parse_syslog_text`
for a ``syslog:message`` that is not a firewall's traffic line.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.normalize import canonical_ip, normalize_host, normalize_user

LOGON_KIND = "syslog:logon"
"""The kind of an sshd line that says a client logged on (``Accepted <method> for NAME from ADDR``)."""
LOGON_FAILED_KIND = "syslog:logon_failed"
"""The kind of an sshd or PAM line that says a log-on failed (or an unknown user was tried)."""

_PAM_FAILURE_RE = re.compile(r"(?:pam_[\w-]+\([^)]*\): )?(?:PAM \d+ more )?authentication failures?; ")
"""PAM's ``authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=ADDR  user=NAME``
(pam_unix, pam_sss; ``PAM 2 more authentication failures; ...``), the only PAM lines with keys."""
_RHOST_RE = re.compile(r"\brhost=(\S+)")
_USER_RE = re.compile(r"\buser=(.*)", re.DOTALL)
_SSHD_KEYLESS_RE = re.compile(
    r"(?:(Accepted)|Failed) \S+ for (?:invalid user )?(.*) from (\S+) port (\d{1,5})(?: ssh[12])?(?: \[preauth\])?"
    r"|Invalid user (.*) from (\S+)(?: port (\d{1,5}))?(?: \[preauth\])?",
    re.DOTALL)
"""sshd's log-on lines with no key after the address, matched whole: ``Failed password for root
from 192.0.2.66 port 52311 ssh2``, ``Invalid user admin from ... port ...``.  sshd's own text ends the
line, so with the name greedy the address is the last `` from ADDR port N`` of it."""
_KEY_LINE_START_RE = re.compile(r"(?:(Accepted)|Failed) \S+ for (?:invalid user )?")
_KEY_ADDRESS_RE = re.compile(r"(?=( from (\S+) port (\d{1,5}) ssh[12]: ))")
"""Each place that may be sshd's address, as a lookahead: a match never takes the blank before the next
`` from`` (a name ending ``ssh2:`` would hide the real address from a consuming search)."""
_PLAIN_KEY_RE = re.compile(r"(?![\w-]*-CERT )[\w-]+ \S+(?: \[preauth\])?", re.ASCII)
"""What sshd writes after `` ssh2: `` for a key: its type and fingerprint (``RSA SHA256:...``, older
``RSA 0f:a1:...``), then `` [preauth]`` at most."""
_CERT_KEY_RE = re.compile(r"[\w-]+-CERT \S+ ID ", re.ASCII)
_CERT_END_RE = re.compile(r" \(serial \d+\) CA [\w-]+ \S+(?: \[preauth\])?\Z", re.ASCII)
"""A certificate's key (``ED25519-CERT SHA256:... ID ``), then the client's ID text, then this ending
(`` (serial N) CA ED25519 SHA256:...``), found once a line: matching ``ID .* (serial`` from every
place would cost the square of the line's length."""
_REPEATED_RE = re.compile(r"message repeated \d+ times: \[ ?(.*?) ?\]", re.DOTALL)
"""syslog's ``message repeated 2 times: [ Failed password for root from ... ssh2]``."""


def auth_fields(message: str, fields: dict[str, Any]) -> str | None:
    """Add the log-on fields of a PAM or sshd message to ``fields``; the event kind it makes.

    Parameters
    ----------
    message : str
        The syslog message (after the tag).
    fields : dict
        The event's fields, updated in place; a message that names no log-on
        leaves them unchanged.

    Returns
    -------
    str or None
        :data:`LOGON_KIND` or :data:`LOGON_FAILED_KIND` for a log-on line, else ``None``
        (the event stays ``syslog:message``).

    Examples
    --------
    >>> fields = {}
    >>> auth_fields("Failed password for invalid user admin from 192.0.2.66 port 52311 ssh2", fields)
    'syslog:logon_failed'
    >>> sorted(fields.items())
    [('event.outcome', 'failure'), ('source.ip', '192.0.2.66'), ('source.port', 52311), ('user.name', 'admin')]
    """
    if " from " in message and _sshd_fields(message, fields):
        return LOGON_KIND if fields["event.outcome"] == "success" else LOGON_FAILED_KIND
    if ("rhost=" in message or "user=" in message) and _pam_fields(message, fields):
        return LOGON_FAILED_KIND
    return None


def _pam_fields(message: str, fields: dict[str, Any]) -> bool:
    """``source.ip`` (else ``source.domain``), ``user.name`` and ``event.outcome`` of PAM's authentication
    failure list; whether the message is one."""
    if _PAM_FAILURE_RE.match(message) is None:
        return False
    fields["event.outcome"] = "failure"
    rhost = _RHOST_RE.search(message)
    if rhost is not None:
        _put_source(fields, rhost.group(1))
    user = _USER_RE.search(message, rhost.end() if rhost is not None else 0)
    if user is not None and user.group(1).strip():
        fields["user.name"] = normalize_user(None, user.group(1))
    return True


def _sshd_fields(message: str, fields: dict[str, Any]) -> bool:
    """``user.name``, ``source.ip`` (else ``source.domain``), ``source.port``, ``event.outcome`` of
    sshd's log-on lines; whether the message is one."""
    repeated = _REPEATED_RE.fullmatch(message)
    # trailing blanks (some forwarders pad lines) are no part of sshd's text
    line = (repeated.group(1) if repeated is not None else message).rstrip()
    match = _SSHD_KEYLESS_RE.fullmatch(line)
    if match is not None:
        accepted, user, address, port, invalid_user, invalid_address, invalid_port = match.groups()
        if invalid_address is not None:
            user, address, port = invalid_user, invalid_address, invalid_port
    else:
        key_line = _key_line(line)
        if key_line is None:
            return False
        accepted, user, address, port = key_line
    if user.strip():
        fields["user.name"] = normalize_user(None, user)
    _put_source(fields, address)
    if port is not None and int(port) <= 65535:
        fields["source.port"] = int(port)
    fields["event.outcome"] = "success" if accepted else "failure"
    return True


_MAX_NAME = 253
"""The longest DNS name; a longer ``rhost`` (or a label past :data:`_MAX_LABEL`) names no machine."""
_MAX_LABEL = 63


def _put_source(fields: dict[str, Any], address: str) -> None:
    """``source.ip``; else the client's name (sshd's ``UseDNS`` and PAM's ``rhost`` may write one):
    ``source.domain`` for a dotted name, kept whole, ``source.workstation`` for a single label.

    A dotted name is the reverse DNS name of the client's address, which the address's owner
    writes: ``dc01.attacker.example`` is no claim to be the fleet's ``dc01``, so it is never cut to
    its first label as a host name.  A single label (``KALI``, from ``/etc/hosts`` or a search
    domain) is the client's host name as 4624's ``WorkstationName`` is.  What no DNS name can be
    (a name of more than 253 characters, a label of more than 63) is kept only in ``source.address``,
    where every name is kept as written.
    """
    ip = canonical_ip(address, strict=False)
    if ip is not None:
        fields["source.ip"] = ip
        return
    fields["source.address"] = address
    name = address.lower().rstrip(".")
    if not name or len(name) > _MAX_NAME or any(len(label) > _MAX_LABEL for label in name.split(".")):
        return
    if "." in name:
        fields["source.domain"] = name
    elif workstation := normalize_host(name):  # None for text no host name has ("a:b")
        fields["source.workstation"] = workstation


def _key_line(line: str) -> tuple[str | None, str, str, str] | None:
    """(accepted, user, address, port) of an sshd key line, or ``None`` when it is none or ambiguous.

    The client chooses the user name and a certificate's ``ID``, either of which may hold
    `` from ADDR port N ssh2: ``.  Each such place is tried as sshd's: the line is read only when
    exactly one of them is followed by what sshd writes after it (a key, :data:`_PLAIN_KEY_RE`, or a
    certificate, :data:`_CERT_KEY_RE` up to :data:`_CERT_END_RE`), so a copy of sshd's text in the
    name or the ID never names the source.
    """
    start = _KEY_LINE_START_RE.match(line)
    if start is None:
        return None
    ending = _CERT_END_RE.search(line, start.end())  # once: one place can end the line so
    cert_end = ending.start() if ending is not None else -1
    readings = [
        found for found in _KEY_ADDRESS_RE.finditer(line, start.end())
        if _PLAIN_KEY_RE.fullmatch(line, found.end(1)) or _is_certificate_tail(line, found.end(1), cert_end)
    ]
    if len(readings) != 1:
        return None
    (found,) = readings
    return start.group(1), line[start.end() : found.start()], found.group(2), found.group(3)


def _is_certificate_tail(line: str, at: int, cert_end: int) -> bool:
    """Whether ``line[at:]`` is a certificate's key and ID up to the line's certificate ending at ``cert_end``."""
    key = _CERT_KEY_RE.match(line, at)
    return key is not None and key.end() <= cert_end  # the ID may be empty: "ID  (serial"
