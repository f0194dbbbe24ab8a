"""Check steps about what processes did on the cluster's hosts: encoded commands, LSASS access, remote
threads and parent -> child lineage (built-in Windows hosts named by what they ran).

One writer per scored feature (:data:`WRITERS`, merged by :func:`analytics.checks.cluster_checks`).
"""

from __future__ import annotations

import re

from analytics.behaviour_pivots import is_behaviour
from analytics.checks_facts import (
    MAX_VALUE,
    Facts,
    hosts_text,
    names_text,
    quote,
)
from analytics.credited_processes import LINEAGE_CREDIT
from analytics.credited_words import (
    NOT_MEMBERS,
    credited_example,
    credited_sentence,
    credited_who,
)
from analytics.explain import Check
from analytics.lineage import INTERPRETERS, LineagePair, image_name, is_encoded_command
from graphsiem.model import Entity, EntityType


def _encoded(f: Facts, feature: str) -> Check:
    encoded = [
        e for e in f.of_type(EntityType.PROCESS.value) if is_encoded_command(e.value, e.props)
    ]
    credit = f.explanation.credited_for(feature)
    if not encoded and credit is not None:
        read = f'read the decoded command "{quote(credit.example_decoded, 160)}"' if credit.example_decoded else "decode the command"
        text = (
            f"{credited_sentence(credit)}: {read} and what it downloads or runs "
            "(find a process with the page's search, GET /v1/entities?q=<part of it>)"
        )
    elif not encoded:
        text = f"A {f.new_word}process carries an encoded PowerShell command: decode it and read what it downloads or runs"
    else:
        first = encoded[0]
        decoded = first.props.get("decoded_command")
        image = quote(image_name(first.value, first.props), 40)
        others = f" ({len(encoded) - 1} more encoded command line{'s' if len(encoded) > 2 else ''} in the cluster)" if len(encoded) > 1 else ""
        if decoded:
            text = (
                f"{image} runs an encoded PowerShell command{others}; read the decoded command "
                f"\"{quote(decoded)}\" (find it with the page's search, GET /v1/entities?q=<part of it>) "
                "and what it downloads or runs"
            )
        else:
            text = f"{image} runs an encoded PowerShell command{others}: decode \"{quote(first.value)}\" and read what it downloads or runs"
        if credit is not None:
            text += f"; also, {credited_sentence(credit)}"
    return Check(
        feature,
        text,
        "the decoded script is one your administrators or management tooling run (the same text "
        "on other hosts before the window, started by your management agent) and it fetches nothing "
        "from unknown hosts",
    )


def _actors(f: Facts) -> str:
    processes = [e for e in f.of_type(EntityType.PROCESS.value) if image_name(e.value, e.props) != "lsass.exe"]
    return names_text(processes) if processes else f"the cluster's {f.new_word}processes"


def _which_did(f: Facts) -> str:
    """Who to look for in the access events: the one new process, or which of several."""
    processes = [e for e in f.of_type(EntityType.PROCESS.value) if image_name(e.value, e.props) != "lsass.exe"]
    names = {image_name(e.value, e.props) for e in processes}
    if not processes:
        return f"find which of the cluster's {f.new_word}processes did"
    if len(names) == 1:
        return f"confirm it was {names_text(processes)}, the cluster's {f.new_word}process, and find its start"
    return f"find which of {names_text(processes)} did"


def _credited_did(f: Facts, feature: str, members_text: str, did: str, then: str) -> str:
    """What to do about a behaviour: the member processes' text, and the processes credited with it
    (no members: each on one host) named; only the members' text when none was credited."""
    credit = f.explanation.credited_for(feature)
    if credit is None:
        return members_text
    named = credited_sentence(credit, did)
    if [e for e in f.of_type(EntityType.PROCESS.value) if image_name(e.value, e.props) != "lsass.exe"]:
        return f"{members_text}; {named}"
    return f"{named}: {then}"


def _lsass(f: Facts, feature: str) -> Check:
    return Check(
        feature,
        f"A {f.new_word}process opened LSASS memory: "
        + _credited_did(f, feature, _which_did(f), " and opened LSASS", "find how each started")
        + f" (Sysmon event 10 on {hosts_text(f.hosts)}: granted access, image path, signer)",
        "the accessing process is a signed EDR, antivirus or backup agent already deployed across "
        "the fleet (same path and signer on other hosts)",
    )


def _remote_thread(f: Facts, feature: str) -> Check:
    return Check(
        feature,
        f"A {f.new_word}process created a thread in another process: "
        + _credited_did(f, feature, f"check the source and target among {_actors(f)}",
                        " and created a thread in another process", "check each one's target")
        + f" (Sysmon event 8 on {hosts_text(f.hosts)}) and the source's path and signer",
        "the source is a signed security, accessibility or debugging tool known in the fleet",
    )


def _lineage(f: Facts, feature: str) -> Check:
    pairs = [p for p in f.explanation.lineage if p.child in INTERPRETERS] or list(f.explanation.lineage)
    if not pairs:
        return Check(
            feature,
            f"A {f.new_word}parent started a script host or living-off-the-land binary: check the parent's path, signer and who launched it",
            "the parent is a known installer, updater or management agent that normally runs scripts",
        )
    # A built-in Windows host (services.exe, wmiprvse.exe, wscript.exe...) is signed by Microsoft and
    # starts whatever it is given: its name says nothing, what it ran does.  Lead with such a pair.
    first = next((p for p in pairs if p.parent in OS_HOSTS), pairs[0])
    named = ", ".join(f"{quote(p.parent, 40)} → {quote(p.child, 40)}" for p in pairs[:3])
    more = f" and {len(pairs) - 3} more" if len(pairs) > 3 else ""
    head = f"{'New parent' if f.explanation.history else 'Parent'} → child {named}{more}"
    parent, child = quote(first.parent, 40), quote(first.child, 40)
    if first.parent in OS_HOSTS:
        what, benign = OS_HOSTS[first.parent]
        ran = _what_it_ran(f, first)
        return Check(
            feature,
            f"{head}: {parent} is a built-in Windows program that {what}, so its name tells nothing: "
            f"{ran} (Sysmon event 1 on {hosts_text(f.hosts)})",
            benign,
        )
    return Check(
        feature,
        f"{head}: check what {parent} is (path, signer, what launched it) and the command line of {child}"
        f"{_credited_child(f, first.child)}",
        f"{parent} is a known installer, updater or management agent (SCCM/Intune client, your RMM) "
        f"that normally starts {child}",
    )


OS_HOSTS: dict[str, tuple[str, str]] = {
    "services.exe": (
        "starts every Windows service",
        "the service is one your management tooling installs (a known name, binary path and signer, "
        "the same on other hosts before the window), installed under its usual account",
    ),
    "wmiprvse.exe": (
        "carries out every WMI request",
        "the WMI request came from your management server or an administrator's workstation, "
        "under its usual account, and the command it ran is one they run",
    ),
    **dict.fromkeys(("wscript.exe", "cscript.exe"), (
        "runs script files",
        "the script is one your administrators or management tooling deploy (a known path and "
        "author, run on these hosts before the window), not a file from a download or an e-mail",
    )),
    "mshta.exe": (
        "runs HTML applications",
        "the .hta file is one your administrators or a vendor's installer deploy, from a known path",
    ),
    **dict.fromkeys(("rundll32.exe", "regsvr32.exe"), (
        "loads whatever DLL or scriptlet it is given",
        "the DLL is a signed one from a product the fleet runs, loaded from its install directory",
    )),
    **dict.fromkeys(("cmd.exe", "powershell.exe", "pwsh.exe"), (
        "runs whatever command it is given",
        "the command is one your administrators or management tooling run (the same command line "
        "on other hosts before the window)",
    )),
    "svchost.exe": (
        "hosts Windows services",
        "the service or scheduled task behind it is one your management tooling installs",
    ),
}
"""Built-in Windows programs that start children on another's behalf: what each does, and
what would make the pair benign (what it ran, never the program itself)."""

_SCRIPT_ARGUMENT = re.compile(
    r""""([^"]+\.(?:js|jse|vbs|vbe|wsf|wsh|hta|ps1|bat|cmd|dll|sct))"|([^\s"]+\.(?:js|jse|vbs|vbe|wsf|wsh|hta|ps1|bat|cmd|dll|sct))\b""",
    re.IGNORECASE,
)


def _what_it_ran(f: Facts, pair: LineagePair) -> str:
    """The next step for a built-in parent: the script, service, WMI caller or command it ran.

    A parent among the members names its script; without one (each host's parent is its own
    process, on one host: no member), the pair's example command line does
    (:attr:`~analytics.lineage.LineagePair.example`), with how many hosts ran it.
    """
    parent, child = pair.parent, pair.child
    # a behaviour pivot among the members is no process that ran (its value is words: "encoded powershell + …")
    processes = [e for e in f.entities if e.type == EntityType.PROCESS.value and not is_behaviour(e.ref)]
    mine = [e for e in processes if image_name(e.value, e.props) == parent]
    children = [e for e in processes if image_name(e.value, e.props) == child]
    script = next((found for e in mine if (found := script_argument(_command_line(e)))), None)
    example = script_argument(pair.example) if pair.example and not mine else None
    on_hosts = f" on {pair.example_hosts} host{'s' if pair.example_hosts != 1 else ''}" if pair.example_hosts else ""
    child_line = f" ({quote(_command_line(children[0]))})" if children else _credited_child(f, child)
    if parent in ("wscript.exe", "cscript.exe", "mshta.exe"):
        what = f"check where the file came from (a download, an e-mail attachment, a share) and what it does, then the command line of {quote(child, 40)}{child_line}"
        if example:
            return f"{quote(parent, 40)} ran {_tail(example)}{on_hosts}: {what}"
        found = f", {_tail(script)}" if script else " (its command line names the file)"
        return (f"check the script it ran{found}: where the file came from (a download, an e-mail "
                f"attachment, a share) and what it does, then the command line of {quote(child, 40)}{child_line}")
    if parent in ("rundll32.exe", "regsvr32.exe"):
        if example:
            return f"{quote(parent, 40)} loaded {_tail(example)}{on_hosts}: check its path, signer and where it came from"
        found = f", {_tail(script)}" if script else " (its command line names the DLL or scriptlet)"
        return f"check what it loaded{found}: its path, signer and where it came from"
    if parent == "services.exe":
        return (f"check the service that ran {quote(child, 40)}{child_line}: its name, binary path and "
                "account in System event 7045 or Security 4697, and which account and host installed it")
    if parent == "wmiprvse.exe":
        return (f"check who made the WMI request: the network logon (Security 4624, logon type 3) from "
                f"another host just before {quote(child, 40)} started, its account and source address, "
                f"and the command line of {quote(child, 40)}{child_line}")
    own = f" ({quote(_command_line(mine[0]))})" if mine else f" ({quote(pair.example)}{on_hosts})" if pair.example else ""
    return f"check its command line{own} and the command line of {quote(child, 40)}{child_line}"


def _credited_child(f: Facts, child: str) -> str:
    """The child's command line when its processes are no members (each on one host), from the
    processes credited with the pair: `` (e.g. "..." on ws-3; <image> with a different command line
    on each of N hosts, ...)``; nothing when none was credited or theirs is another image."""
    credit = f.explanation.credited_for(LINEAGE_CREDIT)
    if credit is None or credit.example_image != child:
        return ""
    example = credited_example(credit)
    return f" ({example + '; ' if example else ''}{credited_who(credit)}: {NOT_MEMBERS})"


def _tail(path: str, limit: int = MAX_VALUE) -> str:
    """A path as one line of plain text, its start cut rather than its end (the file name matters)."""
    text = quote(path, limit=len(path) + 1)
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def _command_line(entity: Entity) -> str:
    return str(entity.props.get("command_line") or entity.value)


def script_argument(command_line: str) -> str | None:
    """The script or DLL a command line runs (the first argument with a script or DLL extension), or ``None``.

    Examples
    --------
    >>> script_argument('"WScript.exe" "D:/Users/ann/Downloads/Invoice_Q4_2026.js"')
    'D:/Users/ann/Downloads/Invoice_Q4_2026.js'
    >>> script_argument("wscript.exe //B payload.vbs") , script_argument("cmd.exe /c whoami")
    ('payload.vbs', None)
    """
    image_end = command_line.lower().find(".exe")
    rest = command_line[image_end + 4 :] if image_end >= 0 else command_line
    found = _SCRIPT_ARGUMENT.search(rest)
    if found is None:
        return None
    return found.group(1) or found.group(2)


WRITERS = {
    "encoded_command": _encoded,
    "lsass_access": _lsass,
    "remote_thread": _remote_thread,
    "interpreter_lineage": _lineage,
}
"""The step writer of each process-behaviour feature."""
