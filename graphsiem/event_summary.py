"""A one-line summary of an event, from its normalised fields, for the host timeline.

The timeline (``GET /v1/entities/host/{name}/events``, the page's Timeline
section, ``graphsiem events``) lists a host's events as rows a person scans:
what ran, what it touched, who, where to.  Each row's summary is built here
from the fields ``docs/fields.md`` names, whichever the event has, in a fixed
order: the process first (its command line, else its image), then what it
acted on (target process, file, registry key, DNS query, URL, destination),
then who (user, source), then a signature, a script, a message.

Everything in a summary is attacker-controlled text, kept as data: the API
sends it as a JSON string and the page sets it with ``textContent``.  Here it
is only made readable on one line: each line break (a script's newlines, a
command line's hidden second line) becomes ``⏎`` and a space, as the page marks
one, other runs of white space one space, control and format characters (an
escape sequence, a right-to-left override that would reverse ``exe.txt``) are
written as their codes (``\\u202e``, :mod:`graphsiem.visible_text`, as the checks
and the cluster summary write them), and each
part and the whole are cut (``…``).  The event's own record is unchanged in
the journal and shown whole by the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from analytics.credential_statuses import STATUS_MEANINGS
from graphsiem.visible_text import visible
from ingest.projection_rdp import RDP_KIND, opens_rdp_session, rdp_claims

PART_MAX = 200
"""Characters of one part (a command line, a message) before it is cut."""

SUMMARY_MAX = 400
"""Characters of a whole summary before it is cut."""

SEPARATOR = " · "

_SPACE = re.compile(r"[^\S\r\n]+")  # white space but line breaks: visible() marks those (review U5)


def _clean(value: Any) -> str:
    """``value`` as one line of text: line breaks as ``⏎``, other white space runs as one space,
    control/format characters as codes, cut."""
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value if item is not None)
    elif isinstance(value, bool) or value is None:
        return ""
    text = _SPACE.sub(" ", str(value)).strip()
    text = visible(text)
    return text if len(text) <= PART_MAX else text[: PART_MAX - 1] + "…"


def _first(fields: Mapping[str, Any], *names: str) -> str:
    """The first of ``names`` the event has, cleaned ("" when none)."""
    for name in names:
        text = _clean(fields.get(name))
        if text:
            return text
    return ""


def _endpoint(fields: Mapping[str, Any], side: str) -> str:
    """``destination.domain`` (else ``.ip``) with ``:port`` when there is one; same for ``source``."""
    where = _first(fields, f"{side}.domain", f"{side}.hostname", f"{side}.ip")
    port = _clean(fields.get(f"{side}.port"))
    return f"{where}:{port}" if where and port else where


def _service(fields: Mapping[str, Any]) -> str:
    """"fBQRYqkz (kernel mode driver)" of a service install (Security 4697, System 7045), "" of other events.

    A different random name on every host is what the BYOVD check points at; the Timeline read only the
    driver's file (review U5 #5).
    """
    name = _first(fields, "service.name")
    kind = _first(fields, "service.type")
    return f"{name} ({kind})" if name and kind else name


_PARTS: tuple[tuple[str, Callable[[Mapping[str, Any]], str]], ...] = (
    ("", lambda f: _first(f, "process.command_line", "process.executable", "process.name")),
    ("parent", lambda f: _first(f, "process.parent.name", "process.parent.executable")),
    ("target", lambda f: _first(f, "target.process.executable", "target.process.name")),
    ("service", _service),
    ("file", lambda f: _first(f, "file.path", "file.name")),
    ("registry", lambda f: _first(f, "registry.path")),
    ("query", lambda f: _first(f, "dns.question.name")),
    ("url", lambda f: _first(f, "url.full", "url.original")),
    ("to", lambda f: _endpoint(f, "destination")),
    ("from", lambda f: _endpoint(f, "source")),
    ("user", lambda f: _first(f, "user.name")),
    ("signature", lambda f: _first(f, "rule.name")),
    ("script", lambda f: _first(f, "powershell.script_block_text", "powershell.command")),
    ("", lambda f: _first(f, "message")),
)
"""Label and reader of each part, in the order a summary tells them (no label: the process itself, and a
free-text message, which reads as itself)."""


LOGON_TYPES = {2: "interactive", 3: "network", 4: "batch", 5: "service", 7: "unlock", 8: "network cleartext",
               9: "new credentials", 10: "remote interactive", 11: "cached interactive"}
"""Words for a Windows logon type (``winlog.logon.type``), as Microsoft's 4624 documentation names them."""

_VALIDATIONS = {"winsec:credential_validation": "NTLM validation", "zeek:ntlm": "NTLM authentication"}
_LOGONS = {"winsec:logon", "winsec:logon_failed", "syslog:logon_failed", "syslog:logon"}
_CODE_KINDS = {"4776": "winsec:credential_validation", "4624": "winsec:logon", "4625": "winsec:logon_failed",
               "4672": "winsec:special_privileges", "4662": "winsec:object_operation"}
"""The kind an event code stands for when the caller gives no kind (``summarize(fields)``)."""


def _failure_reason(fields: Mapping[str, Any]) -> str:
    """Why a logon or validation failed, in words when the status is a known one ("" when not logged)."""
    for name in ("winlog.logon.failure.sub_status", "winlog.logon.failure.status", "kerberos.status"):
        status = _clean(fields.get(name)).lower()
        if status and status not in {"0x0", "0"}:
            return STATUS_MEANINGS.get(status) or _first(fields, "winlog.logon.failure.reason") or f"status {status}"
    return _first(fields, "winlog.logon.failure.reason")


def _outcome_word(fields: Mapping[str, Any], *, passed: str, failed: str, unknown: str) -> str:
    outcome = _first(fields, "event.outcome")
    return passed if outcome == "success" else failed if outcome == "failure" else unknown


def _object_operation(fields: Mapping[str, Any], user: str) -> str:
    """A 4662 as a sentence: who did what to which directory object, and the properties named.

    ``simulandlabs\\wardog Read Property on contact %{9736f74f-…} (DS) · properties thumbnailPhoto, …``:
    the access words, else the mask; the object's class name, else its type GUID; the properties
    by name where :mod:`ingest.parsers.windows_directory_access` knows them, else their count.
    """
    access = _first(fields, "winlog.object.access") or (
        f"access {_first(fields, 'winlog.object.access_mask')}" if _first(fields, "winlog.object.access_mask")
        else "operation")
    what = " ".join(part for part in (_first(fields, "winlog.object.type_name", "winlog.object.type"),
                                      _first(fields, "winlog.object.name")) if part)
    server = _first(fields, "winlog.object.server")
    sentence = f"{user} {access}{f' on {what}' if what else ''}{f' ({server})' if server else ''}"
    named = _first(fields, "winlog.object.property_names")
    listed = fields.get("winlog.object.properties")
    if named:
        return f"{sentence}{SEPARATOR}properties {named}"
    if isinstance(listed, list) and listed:
        return f"{sentence}{SEPARATOR}{len(listed)} properties"
    return sentence


def _account_action(fields: Mapping[str, Any], kind: str) -> str:
    """What an authentication event says an account did, as a sentence ("" for other events).

    A claimed workstation is what the client sent (a claim, never a host): said so.  Examples: ``guest
    failed NTLM validation from claimed workstation kali: wrong password``, ``jerry\\bob logged on
    (network)``, ``alice Kerberos TGS request for cifs/fs01 succeeded``.
    """
    user = _first(fields, "user.name") or "an unnamed account"
    claimed = _first(fields, "source.workstation")
    where = f" from claimed workstation {claimed}" if claimed else ""
    failed = _first(fields, "event.outcome") == "failure"
    reason = _failure_reason(fields) if failed else ""
    why = f": {reason}" if reason else ""
    if kind in _VALIDATIONS:
        verb = _outcome_word(fields, passed="passed", failed="failed", unknown="sent for")
        server = _first(fields, "zeek.server_nb_computer_name", "zeek.server_dns_computer_name")
        at = f" at {server}" if server else ""
        return f"{user} {verb} {_VALIDATIONS[kind]}{where}{at}{why}"
    if kind in _LOGONS:
        logon_type = fields.get("winlog.logon.type")
        try:
            how = LOGON_TYPES.get(int(logon_type), f"type {int(logon_type)}") if logon_type is not None else ""
        except (TypeError, ValueError):
            how = ""
        verb = "failed to log on" if failed or kind.endswith("_failed") else "logged on"
        return f"{user} {verb}{f' ({how})' if how else ''}{where}{why}"
    if kind == "winsec:special_privileges":
        return f"{user} logged on with special privileges {_first(fields, 'winlog.privileges')}".rstrip()
    if kind == "winsec:object_operation":
        return _object_operation(fields, user)
    if kind == "zeek:kerberos" or kind.startswith("winsec:kerberos"):
        request = _first(fields, "kerberos.request_type")
        service = _first(fields, "kerberos.service", "zeek.service")
        verb = _outcome_word(fields, passed=" succeeded", failed=" failed", unknown="")
        return (f"{user} Kerberos {request + ' ' if request else ''}request"
                f"{f' for {service}' if service else ''}{verb}{why}")
    return ""


def _rdp_session(fields: Mapping[str, Any]) -> str:
    """A Zeek rdp.log record in words: the negotiation's result, and the client's claims said to be claims
    (:mod:`ingest.projection_rdp`): ``RDP session opened (encrypted, HYBRID); the client claims user 'administr' …``."""
    result = _first(fields, "zeek.result")
    opened = "opened" if opens_rdp_session(RDP_KIND, fields) else "not opened"
    how = ", ".join(p for p in (result, _first(fields, "zeek.security_protocol")) if p)
    claims = rdp_claims(fields)
    return f"RDP session {opened}{f' ({how})' if how else ''}{f'; {claims}' if claims else ''}"


def summarize(fields: Mapping[str, Any], kind: str | None = None) -> str:
    """One line telling what the event with these normalised ``fields`` did ("" when none of them is known).

    Parameters
    ----------
    fields : mapping
        The event's normalised fields (:attr:`graphsiem.model.Event.fields`).
    kind : str, optional
        The event's kind (:attr:`graphsiem.model.Event.kind`).  An authentication event (a logon, a
        credential validation, NTLM, Kerberos) then starts with what its account did, in words; without
        it, the Windows codes 4624, 4625, 4672 and 4776 are read as their kinds.

    Returns
    -------
    str
        The parts the event has, joined by `` · ``, at most :data:`SUMMARY_MAX` characters;
        the source's event code when it has none of them.

    Examples
    --------
    >>> summarize({"process.command_line": "cmd.exe /c whoami", "process.parent.name": "explorer.exe",
    ...            "user.name": "shire\\\\bob"})
    'cmd.exe /c whoami · parent explorer.exe · user shire\\\\bob'
    >>> summarize({"destination.ip": "10.0.0.5", "destination.port": 443, "source.ip": "10.0.0.9"})
    'to 10.0.0.5:443 · from 10.0.0.9'
    >>> summarize({"message": "The Multimedia Class Scheduler service\\r\\nentered the stopped state."})
    'The Multimedia Class Scheduler service⏎ entered the stopped state.'
    >>> print(summarize({"process.command_line": "notepad \\u202etxt.exe"}))
    notepad \\u202etxt.exe
    >>> summarize({"event.code": "7036"}), summarize({})
    ('event code 7036', '')
    >>> summarize({"event.code": "4776", "user.name": "guest", "source.workstation": "kali",
    ...            "event.outcome": "failure", "winlog.logon.failure.status": "0xc000006a"})
    'guest failed NTLM validation from claimed workstation kali: wrong password'
    >>> summarize({"zeek.result": "encrypted", "zeek.security_protocol": "HYBRID", "zeek.cookie": "administr",
    ...            "source.ip": "10.0.0.9"}, kind="zeek:rdp")
    "RDP session opened (encrypted, HYBRID); the client claims user 'administr' (RDP cookie, cut to 9 characters) · from 10.0.0.9"
    >>> summarize({"user.name": "jerry\\\\bob", "winlog.logon.type": 3, "source.ip": "10.0.0.9",
    ...            "event.outcome": "success"}, kind="winsec:logon")
    'jerry\\\\bob logged on (network) · from 10.0.0.9'
    """
    parts = []
    action = (_rdp_session(fields) if kind == RDP_KIND
              else _account_action(fields, kind or _CODE_KINDS.get(_first(fields, "event.code"), "")))
    if action:
        parts.append(action)
    for label, read in _PARTS:
        if action and label == "user":  # the sentence names the account already
            continue
        text = read(fields)
        if text:
            parts.append(f"{label} {text}" if label else text)
    if not parts and _first(fields, "event.code"):  # an unmapped event with no message: at least its id
        parts.append(f"event code {_first(fields, 'event.code')}")
    summary = SEPARATOR.join(parts)
    return summary if len(summary) <= SUMMARY_MAX else summary[: SUMMARY_MAX - 1] + "…"
