"""The words that name the processes a cluster was credited with (task F21).

A campaign that gives every host its own command line leaves its processes out
of the cluster's members (:mod:`analytics.linked_processes`): the cluster of the
rare domain shows "encoded PowerShell command" while its members are a domain
and an IP.  The summary (:mod:`analytics.explain`) and the checks
(:mod:`analytics.checks`) then name those processes with these words: their
image, how many on how many hosts, and one example command line with its host,
so the analyst can find them::

    powershell.exe with a different encoded command on each of 8 hosts reached
    domain bad.example (e.g. "powershell.exe -nop -w hidden -enc SQBFAFgA0000…" on
    ws-000; each ran on one host only, so none is a cluster member)

Command lines and names are attacker text: each is quoted as plain text, on one
line, cut short (as :func:`analytics.checks.quote` does), never markup.
"""

from __future__ import annotations

from analytics.credited_processes import CreditedProcesses
from graphsiem.visible_text import visible

MAX_COMMAND = 80
"""An example command line is cut to this many characters (as the checks' quoted values)."""
IMAGES_NAMED = 2
"""Image names said; the rest are counted."""

NOT_MEMBERS = "each ran on one host only, so none is a cluster member"
"""Why the named processes are not among the cluster's members."""
OLD_PROCESS = "the fleet ran it before the window, so it is no new cluster member"
"""Why an old process that fetched a switched payload is not among them (:mod:`analytics.known_source_downloads`)."""


def is_old_process(credit: CreditedProcesses) -> bool:
    """Whether the credit is an old process's on more hosts than processes (a switched payload's cradle: one
    command line the fleet ran before the window, credited once per host it fetched the new payload on).

    Examples
    --------
    >>> is_old_process(CreditedProcesses("lsass_access", ("file", "f"), 1, 60, ("powershell.exe",), 1))
    True
    >>> is_old_process(CreditedProcesses("lsass_access", ("file", "f"), 8, 8, ("powershell.exe",), 8))
    False
    """
    return credit.processes < credit.hosts


def member_note(credit: CreditedProcesses) -> str:
    """The summary's short why-no-member: ``each on one host`` or, for an old process, ``run before the window``.

    Examples
    --------
    >>> member_note(CreditedProcesses("lsass_access", ("file", "f"), 1, 60, ("powershell.exe",), 1))
    'run before the window (no new cluster member)'
    """
    return "run before the window (no new cluster member)" if is_old_process(credit) else "each on one host (no cluster member)"


def plain(value: object, limit: int = MAX_COMMAND) -> str:
    """Attacker text as one line of plain text (a line break shown as ``⏎``), cut to ``limit`` characters.

    Examples
    --------
    >>> plain("powershell -enc\\n" + "A" * 100, limit=20)
    'powershell -enc⏎ AA…'
    >>> print(plain("invoice\\u202efdp.exe \\u200bx"))  # a bidi override, a zero-width space: shown as codes
    invoice\\u202efdp.exe \\u200bx

    Control, bidi and zero-width characters are written as their codes
    (:func:`graphsiem.visible_text.visible`), as the summary and the timeline write them:
    a U+202E would turn the rest of a check's sentence around (review RV6), and deleting
    it hid that the attacker used one (review U1 #11).
    """
    text = visible(value).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def credited_who(credit: CreditedProcesses, what: str | None = None) -> str:
    """The processes: image name(s), how many, on how many hosts.

    ``what`` each one has its own of (default: "encoded command" for an encoded command,
    else "command line").

    Examples
    --------
    >>> c = CreditedProcesses("encoded_command", ("domain", "d"), 54, 54, ("powershell.exe",), 54)
    >>> credited_who(c)
    'powershell.exe with a different encoded command on each of 54 hosts'
    >>> credited_who(CreditedProcesses("lsass_access", ("domain", "d"), 5, 3, ("rundll32.exe", "cmd.exe"), 5))
    '5 processes (rundll32.exe and cmd.exe), each with its own command line, on 3 hosts'
    """
    images = _images(credit.images)
    what = what or ("encoded command" if credit.behaviour == "encoded_command" else "command line")
    if credit.one_per_host and credit.hosts >= 2:
        return f"{images} with a different {what} on each of {credit.hosts} hosts"
    n = credit.processes
    who = f"{n} {images} process{'es' if n != 1 else ''}" if len(credit.images) == 1 else f"{n} processes ({images})"
    if n > 1 and credit.command_lines == n:
        who += f", each with its own {what},"
    elif n > 1 and credit.command_lines > 1:
        who += f" ({credit.command_lines} distinct {what}s)"
    return who + (f" on {credit.hosts} host{'s' if credit.hosts != 1 else ''}" if credit.hosts else "")


def credited_example(credit: CreditedProcesses) -> str:
    """``e.g. "<command line>" on <host>``, or nothing when no command line is known.

    Examples
    --------
    >>> credited_example(CreditedProcesses("lsass_access", ("domain", "d"), 2, 2, ("cmd.exe",), 2,
    ...                                    example="cmd.exe /c x\\r\\ny", example_host="ws-7"))
    'e.g. "cmd.exe /c x⏎ y" on ws-7'
    """
    if credit.example is None:
        return ""
    on = f" on {plain(credit.example_host, 40)}" if credit.example_host else ""
    return f'e.g. "{plain(credit.example)}"{on}'


def credited_sentence(credit: CreditedProcesses, did: str = "") -> str:
    """Who reached the pivot (and ``did`` what), with an example and why none is a member.

    Examples
    --------
    >>> c = CreditedProcesses("lsass_access", ("domain", "bad.example"), 8, 8, ("powershell.exe",), 8,
    ...                       example="powershell -enc SQBFAFgA", example_host="ws-003", reached="domain bad.example")
    >>> credited_sentence(c, " and opened LSASS")
    'powershell.exe with a different command line on each of 8 hosts reached domain bad.example and opened LSASS (e.g. "powershell -enc SQBFAFgA" on ws-003; each ran on one host only, so none is a cluster member)'
    """
    example = credited_example(credit)
    why = OLD_PROCESS if is_old_process(credit) else NOT_MEMBERS
    note = f"{example}; {why}" if example else why
    return f"{credited_who(credit)} reached {plain(credit.reached)}{did} ({note})"


def _images(images: tuple[str, ...]) -> str:
    named = [plain(name, 40) for name in images[:IMAGES_NAMED]] or ["?"]
    rest = len(images) - IMAGES_NAMED
    if rest > 0:
        return f"{', '.join(named)} and {rest} more"
    return " and ".join(named)
