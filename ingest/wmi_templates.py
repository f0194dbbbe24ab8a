"""The runs a WMI command-line consumer's template made (red team T12, finding 3).

A ``CommandLineEventConsumer``'s ``CommandLineTemplate`` may hold tokens WMI fills from the event
that fired it, each time it runs: ``svcw.exe /silent %TargetInstance.ProcessId%`` is installed as
written (Sysmon 20) and runs as ``svcw.exe /silent 4242`` (Sysmon 1, started by ``WmiPrvSE.exe``).
The installed command and its runs then key as different processes, and "installed" never meets
"ran".  The projection keeps both keys (a run is exactly what ran: its children and connections are
its own) and relates the host to the installed command when a run fills its template
(:func:`fills`): the same image, started by the WMI provider host (or the script consumer host), its
command line the template's with each token filled.

A template is kept as its literal pieces (:func:`template_pieces`): the text between the tokens,
normalised as a process key's command line is.  Matching is a left-to-right search for each piece,
linear in the command line's length whatever an attacker writes in either (no regular expression
built from attacker text, so no backtracking).
"""

from __future__ import annotations

import re

from ingest.normalize_text import normalize_command_line

__all__ = ["MAX_TEMPLATE_TOKENS", "WMI_RUNNERS", "fills", "holds_token", "is_wmi_runner", "template_pieces"]

_TOKEN = re.compile(r"%(?:targetinstance|targetevent|previousinstance|targetclass)\.[a-z0-9_.]+%")
"""A WMI template token, in a lower-cased command line: a property of the instance or event that
fired the consumer (``%TargetInstance.ProcessId%``, ``%TargetEvent.SourceName%``...)."""
MAX_TEMPLATE_TOKENS = 16
"""Tokens a template may hold to be matched (more is no real consumer's: its runs are not looked for)."""
WMI_RUNNERS = frozenset({"wmiprvse.exe", "scrcons.exe"})
"""The images that start what a WMI consumer runs: the WMI provider host starts a command-line
consumer's command, the script consumer host what a script consumer's script starts."""


def template_pieces(command_line: str) -> tuple[str, ...] | None:
    """The literal pieces of a consumer's command line around its WMI tokens, or None when it holds none.

    Normalised as a process key's command line is (case-folded, whitespace collapsed), so a run
    compares as its key does; a template of more than :data:`MAX_TEMPLATE_TOKENS` tokens is None.

    Parameters
    ----------
    command_line : str
        The command the consumer runs, as the parser read it (``process.command_line``).

    Returns
    -------
    tuple of str or None
        One more piece than tokens: the text before the first token, between tokens, after the last.

    Examples
    --------
    >>> template_pieces("C:\\\\P\\\\svcw.exe /silent %TargetInstance.ProcessId%")
    ('c:\\\\p\\\\svcw.exe /silent ', '')
    >>> template_pieces("svcw.exe /silent") is None
    True
    """
    text = normalize_command_line(command_line)
    pieces = tuple(_TOKEN.split(text))
    if len(pieces) == 1 or len(pieces) - 1 > MAX_TEMPLATE_TOKENS:
        return None
    return pieces


def holds_token(text: str) -> bool:
    r"""Whether ``text`` (an executable's path) holds a WMI template token (``%TargetInstance.Name%.exe``).

    Examples
    --------
    >>> holds_token("C:\\P\\%TargetInstance.Name%.exe"), holds_token("C:\\P\\svcw.exe")
    (True, False)
    """
    return _TOKEN.search(text.lower()) is not None


def fills(pieces: tuple[str, ...], command_line: str) -> bool:
    """Whether ``command_line`` is the template of ``pieces`` with each token filled (by at least one character).

    Each piece is looked for leftmost after the previous one, the last at the end: with only
    "some text here" between the pieces the leftmost choice is always a match when any is.

    Examples
    --------
    >>> pieces = template_pieces("svcw.exe /silent %TargetInstance.ProcessId% -q")
    >>> fills(pieces, "SVCW.exe  /silent 4242 -q"), fills(pieces, "svcw.exe /silent  -q"), fills(pieces, "svcw.exe /x 1 -q")
    (True, False, False)
    """
    text = normalize_command_line(command_line)
    first, *middle, last = pieces
    if not text.startswith(first):
        return False
    at = len(first)
    for piece in middle:
        found = text.find(piece, at + 1)  # a token is filled by one character at least
        if found < 0:
            return False
        at = found + len(piece)
    return len(text) - len(last) >= at + 1 and text.endswith(last)


def is_wmi_runner(parent_image: str) -> bool:
    """Whether a process of ``parent_image`` (a path or a name) starts what WMI consumers run.

    Examples
    --------
    >>> is_wmi_runner("C:\\\\Windows\\\\System32\\\\wbem\\\\WmiPrvSE.exe"), is_wmi_runner("cmd.exe")
    (True, False)
    """
    return parent_image.replace("/", "\\").rsplit("\\", 1)[-1].lower() in WMI_RUNNERS
