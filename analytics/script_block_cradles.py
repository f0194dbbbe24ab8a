"""The ``obfuscated_cradle`` host-finding rule: a PowerShell script block that hides a download cradle.

Emotet's loader (EVTX-ATTACK-SAMPLES ``exec_emotet_ps_4104``) builds every word from pieces:
``('ne'+'w-'+'item')``, ``"d`OWN`load`FIlE"``, ``[CHAr]92``, five URLs split on ``[char]42``.  Read
as written, the text names no download call and no whole URL; once the pieces are joined, it is
``New-Object Net.WebClient`` and ``DownloadFile`` over several URLs.  The rule (:func:`hidden_cradle`)
undoes that and asks for all of:

* a **download call** (``DownloadFile``/``String``/``Data``, ``Invoke-WebRequest``, ``Net.WebClient``,
  ``Start-BitsTransfer``...) and a **URL** in the joined text;
* the call or a URL **hidden**: absent from the text as written (the words only exist once joined);
* **dense obfuscation**: at least :data:`MIN_PIECES` quoted pieces joined with ``+``, or
  :data:`MIN_CHAR_CODES` ``[char]N`` codes, or :data:`MIN_TICKS` backticks inside words.

A benign script names what it downloads: a vendor's updater writes its URL and its call as they are,
so the *hidden* condition is the one that keeps it out, and the density one keeps out a script that
splits one long URL over two lines.  Read over the 4104 ``ScriptBlockText`` and 4103 ``Payload``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from analytics.host_finding_rules import OBFUSCATED_CRADLE
from analytics.host_findings import Hit

__all__ = ["MIN_CHAR_CODES", "MIN_PIECES", "MIN_TICKS", "SCRIPT_KINDS", "cradle_hit", "hidden_cradle", "joined"]

SCRIPT_KINDS = ("powershell:script_block", "powershell:pipeline")
MIN_PIECES = 10
"""Quoted pieces joined with ``+`` (``'ne'+'w-'``): Emotet's block has over 100; a script joining a
path and a name has one or two."""
MIN_CHAR_CODES = 3
"""``[char]92``-style codes: a script writes the character itself."""
MIN_TICKS = 3
"""Backticks inside a word (``d`OWN`load``), not the escapes ``\\`n`` ``\\`t`` ``\\`r`` or line ends."""

_CALL = re.compile(r"downloadfile|downloadstring|downloaddata|openread|invoke-webrequest|invoke-restmethod"
                   r"|net\.webclient|start-bitstransfer|net\.http\.httpclient|msxml2\.xmlhttp")
_URL = re.compile(r"(?:https?|ftp)://[a-z0-9.\-]+")
_PIECE = re.compile(r"['\"]\s*\)?\s*\+\s*\(?\s*['\"]")
_CHAR = re.compile(r"\[char\]\s*(\d{1,5})", re.I)
_TICK = re.compile(r"\w`(?![ntr0abfv\s])\w", re.I)
_NOISE = re.compile(r"[\s'\"()+`{}]")


def joined(text: str) -> str:
    """The text with its obfuscation undone: ``[char]N`` made characters, then quotes, parentheses,
    ``+``, backticks and spaces dropped, lower case.

    >>> joined("('h'+'ttp')+(':'+'//')+('ex'+'ample.com')")
    'http://example.com'
    >>> joined("$s=\\"d`OWN`load`FIlE\\"; [CHAr]92")
    '$s=downloadfile;\\\\'
    """
    text = _CHAR.sub(lambda m: chr(int(m.group(1))) if int(m.group(1)) < 0x110000 else m.group(0), text)
    return _NOISE.sub("", text).lower()


def hidden_cradle(text: str) -> str | None:
    """What makes ``text`` an obfuscated download cradle (:mod:`module rules <analytics.script_block_cradles>`),
    or None.

    >>> hidden_cradle("(New-Object Net.WebClient).DownloadFile('https://vendor.example/u.exe', $p)") is None
    True
    """
    lowered = text.lower()
    if text.count("+") < MIN_PIECES and "`" not in text and "[char" not in lowered:
        return None  # none of the three tricks dense enough: most script blocks stop here, unjoined
    flat = joined(text)
    calls = sorted(set(_CALL.findall(flat)))
    urls = sorted(set(_URL.findall(flat)))
    if not calls or not urls:
        return None
    hidden_calls = [c for c in calls if c not in lowered]
    hidden_urls = [u for u in urls if u not in lowered]
    if not hidden_calls and not hidden_urls:
        return None
    pieces, codes, ticks = len(_PIECE.findall(text)), len(_CHAR.findall(text)), len(_TICK.findall(text))
    if pieces < MIN_PIECES and codes < MIN_CHAR_CODES and ticks < MIN_TICKS:
        return None
    tricks = [f"{n} {what}" for n, what in ((pieces, "joined pieces"), (codes, "[char] codes"),
                                            (ticks, "backticks in words")) if n]
    hidden = ", ".join([*(f"'{c}'" for c in hidden_calls), *(f"{len(hidden_urls)} URL(s)" for _ in hidden_urls[:1])])
    return (f"a download cradle ({', '.join(calls)}; {len(urls)} URL(s), first {urls[0]}) hidden by "
            f"{', '.join(tricks)}: {hidden} only appear once joined")


def cradle_hit(host: str, event_id: str, ts: float, fields: Mapping[str, object]) -> Hit | None:
    """The hit of one 4104 or 4103 event, or None."""
    text = str(fields.get("powershell.script_block_text") or fields.get("powershell.payload") or "")
    if not text:
        return None
    words = hidden_cradle(text)
    if words is None:
        return None
    code = str(fields.get("event.code") or "")
    subject = "script|" + " ".join(joined(text).split())[:4096]
    return Hit(host, OBFUSCATED_CRADLE, ts, event_id, str(fields.get("file.path") or ""), "", subject,
               f"PowerShell {'script block' if code != '4103' else 'pipeline'} ({code or '4104'}): {words}")
