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
is only made readable on one line: runs of white space (a script's newlines)
become one space, control and format characters (an escape sequence, a
right-to-left override that would reverse ``exe.txt``) become U+FFFD, and each
part and the whole are cut (``…``).  The event's own record is unchanged in
the journal and shown whole by the evidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

PART_MAX = 200
"""Characters of one part (a command line, a message) before it is cut."""

SUMMARY_MAX = 400
"""Characters of a whole summary before it is cut."""

SEPARATOR = " · "

_SPACE = re.compile(r"\s+")


def _clean(value: Any) -> str:
    """``value`` as one line of text: white space runs as one space, control/format characters as U+FFFD, cut."""
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value if item is not None)
    elif isinstance(value, bool) or value is None:
        return ""
    text = _SPACE.sub(" ", str(value)).strip()
    text = "".join("\ufffd" if unicodedata.category(ch) in {"Cc", "Cf"} else ch for ch in text)
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


_PARTS: tuple[tuple[str, Callable[[Mapping[str, Any]], str]], ...] = (
    ("", lambda f: _first(f, "process.command_line", "process.executable", "process.name")),
    ("parent", lambda f: _first(f, "process.parent.name", "process.parent.executable")),
    ("target", lambda f: _first(f, "target.process.executable", "target.process.name")),
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


def summarize(fields: Mapping[str, Any]) -> str:
    """One line telling what the event with these normalised ``fields`` did ("" when none of them is known).

    Parameters
    ----------
    fields : mapping
        The event's normalised fields (:attr:`graphsiem.model.Event.fields`).

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
    'The Multimedia Class Scheduler service entered the stopped state.'
    >>> summarize({"process.command_line": "notepad \\u202etxt.exe"})
    'notepad \\ufffdtxt.exe'
    >>> summarize({"event.code": "7036"}), summarize({})
    ('event code 7036', '')
    """
    parts = []
    for label, read in _PARTS:
        text = read(fields)
        if text:
            parts.append(f"{label} {text}" if label else text)
    if not parts and _first(fields, "event.code"):  # an unmapped event with no message: at least its id
        parts.append(f"event code {_first(fields, 'event.code')}")
    summary = SEPARATOR.join(parts)
    return summary if len(summary) <= SUMMARY_MAX else summary[: SUMMARY_MAX - 1] + "…"
