"""The shape of a command line: its text with the parts an attacker makes per host masked.

A campaign that writes each host's command line differently (a per-host URL path, token or file name,
inside an ``-EncodedCommand`` payload or not) makes as many command lines as hosts, so no two hosts
share one (red team T16: a wscript lure's ``powershell -enc`` cradle, each host's URL its own, made 60
host-finding rows at risk 80 on a 300-host fleet).  What they still share is how the line is written.
:func:`command_shape` keeps that and masks what is per host:

* an ``-EncodedCommand`` payload is replaced by its decoded script (:func:`ingest.powershell.decode_powershell_command`),
  itself shaped, as ``<enc: ...>`` (one that does not decode: ``<enc>``), also the payload of the PowerShell a
  ``cmd /c`` (``/k``, ``%COMSPEC% /c``, ``start``, nested quotes) line runs (:func:`ingest.powershell.powershell_run_by_cmd`):
  a dropper's cmd.exe shares its stager's script, not a ``*`` for a base64 word of its own;
* a URL keeps its scheme, its host and its path's extension (``http://cdn.example/*.png``): the server is
  what the campaign shares, a path and query are whatever it generates per host;
* a user's profile folder (``c:\\users\\*\\``, as :mod:`analytics.behaviour_shapes` generalises it; the
  shared profiles stay), the host's own name, GUIDs, hex runs of 8 or more, numbers of 4 digits or more
  and words mixing letters and digits (``a8f3k2q9``) become ``*``.

Everything else stays: the program, its switches, the domain, the verbs of the script.  An
administrator's logon script fetching ``http://intranet/inv.ps1`` and a lure fetching
``http://cdn.example/x.png`` are two shapes (their servers and extensions differ), however both are written.

Attacker text is data: it is only matched by these patterns, never run, and cut to :data:`SHAPE_LIMIT`.
"""

from __future__ import annotations

import re

from analytics.behaviour_shapes import SHARED_PROFILES
from ingest.powershell import (
    decode_powershell_command,
    encoded_command_payload,
    powershell_run_by_cmd,
)

__all__ = ["SHAPE_LIMIT", "command_shape", "image_shape"]

SHAPE_LIMIT = 400
"""Most characters of a shape (a payload of megabytes makes a key of this many)."""
_URL = re.compile(r"\b([a-z][a-z0-9+.-]{1,9})://([^/\s'\"`)]*)([^\s'\"`)]*)")
_PROFILE = re.compile(r"\b(c:\\users\\)([^\\\s'\"]+)")
_GUID = re.compile(r"\{?\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b\}?")
_WORD = re.compile(r"[a-z0-9]+")
_HEX_RUN = re.compile(r"^[0-9a-f]{8,}$")
_DIGITS = re.compile(r"^[0-9]{4,}$")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_EXTENSION = re.compile(r"\.[a-z0-9]{1,5}$")


def command_shape(command_line: str, host: str = "", image: str | None = None) -> str:
    r"""``command_line``'s shape: lower case, spaces collapsed, per-host parts masked (module docstring).

    Parameters
    ----------
    command_line : str
        The process's command line (attacker text).
    host : str
        The host it ran on: its name in the line is masked.
    image : str, optional
        The process's image, for the ``-EncodedCommand`` decoding (a renamed PowerShell decodes too).

    Examples
    --------
    >>> command_shape("curl.exe http://cdn.example/i/Q8x7Zt2k.png?id=PC-0042", host="pc-0042")
    'curl.exe http://cdn.example/*.png'
    >>> command_shape(r"C:\Users\alice\run.cmd {1b4e28ba-2fa1-11d2-883f-0016d3cca427} 4711")
    'c:\\users\\*\\run.cmd * *'
    """
    text = " ".join(command_line.lower().split())
    payload = encoded_command_payload(text)
    if payload is None:
        # cmd.exe /c powershell -enc ...: the payload of the PowerShell the cmd line runs
        inner = powershell_run_by_cmd(text)
        payload = None if inner is None else encoded_command_payload(inner)
    if payload is not None:
        decoded = decode_powershell_command(command_line, image)
        inner = _masked(" ".join(decoded.lower().split()), host) if decoded else ""
        at = text.find(payload)
        if at >= 0:  # the payload is one argument of the line (quotes aside): mask around it
            token = f"<enc: {inner}>" if inner else "<enc>"
            shape = _masked(text[:at], host) + token + _masked(text[at + len(payload):], host)
            return shape[:SHAPE_LIMIT]
    return _masked(text, host)[:SHAPE_LIMIT]


def image_shape(path: str) -> str:
    r"""An image path's shape: lower case, ``/`` as ``\``, a user's profile folder masked.

    >>> image_shape("C:/Users/bob/AppData/x.exe"), image_shape(r"C:\Users\Public\x.exe")
    ('c:\\users\\*\\appdata\\x.exe', 'c:\\users\\public\\x.exe')
    """
    return _PROFILE.sub(_profile, path.strip().strip('"').lower().replace("/", "\\"))


def _masked(text: str, host: str) -> str:
    text = _URL.sub(_url, text)
    text = _PROFILE.sub(_profile, text)
    text = _GUID.sub("*", text)
    name = host.lower().split(".")[0]
    if len(name) >= 3:  # a shorter name is a word of any command line
        text = re.sub(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", "*", text)
    return _WORD.sub(_word, text)


def _url(match: re.Match[str]) -> str:
    scheme, server, rest = match.groups()
    path = rest.split("?", 1)[0].split("#", 1)[0]
    extension = _EXTENSION.search(path.rsplit("/", 1)[-1]) if path.strip("/") else None
    return f"{scheme}://{server}/*{extension.group(0) if extension else ''}" if path.strip("/") or "?" in rest \
        else f"{scheme}://{server}{rest}"


def _profile(match: re.Match[str]) -> str:
    return match.group(0) if match.group(2) in SHARED_PROFILES else match.group(1) + "*"


def _word(match: re.Match[str]) -> str:
    """A per-host token as ``*``: a GUID's or hash's hex, a long number, a word switching letters and digits
    three times or more (``system32``, ``win64``, ``sha256`` switch once and stay)."""
    word = match.group(0)
    if _DIGITS.match(word) or (_HEX_RUN.match(word) and any(c.isdigit() for c in word)):
        return "*"
    return "*" if len(word) >= 6 and len(_LETTER_DIGIT.findall(word)) >= 3 else word
