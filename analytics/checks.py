"""What an analyst should check next about a cluster, and what would make it benign.

An explanation says *why* a cluster scored high (:mod:`analytics.explain`);
triage needs the next step too: which record to open, which entity to look up,
and which finding rules the cluster out as ordinary fleet activity (a software
rollout, a driver update, an inventory script).  :func:`cluster_checks` writes
one :class:`~analytics.explain.Check` per feature that raised the risk
(contribution > 0), each naming the cluster's own values: its pivot, hosts,
times, decoded command, parent -> child pair, driver path and digest.  What the
hosts did (:data:`BEHAVIOUR_STEPS`: LSASS access, an encoded command, a
download, a parent -> child pair, a driver from outside the driver directory)
comes first, then timing, evidence kinds and repeats, each group most
contributing first: a behaviour is the more specific lead, and "look for a
deployment job" is what every synchronised cluster, benign or not, gets.  Steps
about the cluster as a whole follow: how its pivot was installed (a driver, a
service, a scheduled task) and, when the run had too few candidates or most
hosts no data from before the window, why the risk is uncertain.  A young and
spreading pivot (low and slow: seen by the fleet days before the window, on
new hosts inside it) gets a step to look at its earlier hosts first (patient
zero), ahead of those.

A check claims nothing the data cannot tell: a process seen only as the target
of an access (LSASS) is no new member, and without data from before the window
(``Explanation.history`` False) nothing is called "new".  Times and rates are the
pivot's on the cluster's hosts (:mod:`analytics.pivot_contacts`): the first-contact
period a deployment job is looked for in runs from the pivot's first contact on
them to its last (not from the earliest sighting of any member, an old account
included), and a contact interval is each host's first-to-last span over its
contacts (not the forest's contacts per calendar day).

Everything is derived from the data, deterministically.  Entity values are
attacker-controlled: each is quoted as plain text, on one line, at most
:data:`MAX_VALUE` characters (as the summary does).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from analytics.behaviour_pivots import behaviour_name, is_behaviour
from analytics.credited_words import (
    NOT_MEMBERS,
    credited_example,
    credited_sentence,
    credited_who,
    plain,
)
from analytics.explain import _VERB, Check, Explanation, _duration
from analytics.external_addresses import is_external_ip
from analytics.features import is_private_ip
from analytics.lineage import INTERPRETERS, LineagePair, image_name, is_encoded_command
from analytics.linked_processes import LINEAGE_CREDIT, CreditedProcesses
from analytics.renamed_binaries import masquerade_checks
from graphsiem.model import Entity, EntityType

MAX_CHECKS = 6
"""At most this many steps per cluster: a short list gets read."""
MAX_VALUE = 80
"""Quoted entity values are cut to this many characters (as in the summary)."""
HOSTS_NAMED = 3
"""Hosts named in a step; the rest are counted."""

NAMES_SHOWN = 3
"""Service names quoted in an installation step; the rest are counted."""
BEHAVIOUR_STEPS = frozenset({
    "lsass_access", "encoded_command", "download_from_new_domain", "remote_thread",
    "interpreter_lineage", "driver_outside_drivers_dir", "lookalike_domain",
})
"""Features whose steps come first: what the hosts did, not when or how often."""

_SYNC = ("first_contact_spread_min", "burst_hosts")
_ENDPOINT = {EntityType.PROCESS.value, EntityType.SCRIPT.value, EntityType.USER.value}
_NETWORK = {EntityType.DOMAIN.value, EntityType.URL.value, EntityType.IP.value}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DRIVER_STEP = "driver_outside_drivers_dir"


def cluster_checks(
    explanation: Explanation,
    *,
    pivot: Entity,
    entities: Sequence[Entity],
    hosts: Sequence[str],
    first_seen: float,
    features: Mapping[str, float],
) -> tuple[Check, ...]:
    """The ordered next steps of one cluster.

    Parameters
    ----------
    explanation : Explanation
        Its features (contributions), new lineage pairs, new members and candidate count.
    pivot : Entity
        The entity the cluster grew from.
    entities : sequence of Entity
        Members, pivot first (processes carry their props: ``decoded_command``...).
    hosts : sequence of str
        The cluster's hosts.
    first_seen : float
        Epoch seconds of the first sighting of a member on a cluster host.
    features : mapping
        Raw feature values and context (``first_contact_range_min``, ``repeat_contacts_raw``...).

    Returns
    -------
    tuple of Check
        At most :data:`MAX_CHECKS`; one per contributing feature (spread and burst
        share one: both measure the synchronised first contact), behaviours
        (:data:`BEHAVIOUR_STEPS`) first, then the others, each most contributing
        first; then the installation and low-confidence steps.  A cluster no
        feature sets apart gets one step about its pivot instead.
    """
    facts = _Facts(explanation, pivot, list(entities), list(hosts), first_seen, features)
    steps: list[Check] = []
    done: set[str] = set()
    order = sorted(explanation.features, key=lambda r: (r.name not in BEHAVIOUR_STEPS, -r.contribution, r.name))
    for row in order:
        if row.contribution <= 0 or row.name in done:
            continue
        writer = _WRITERS.get(row.name)
        if writer is None:
            continue
        done |= set(_SYNC) if row.name in _SYNC else {row.name}
        step = writer(facts, row.name)
        if step is not None:
            steps.append(step)
    if not steps:
        steps.append(_ordinary(facts))
    # The driver step names the driver's path, digest and service names: the installation step would repeat it.
    installed = None if _DRIVER_STEP in done else _installed(facts)
    # a renamed copy of powershell.exe, an svchost.exe spelled with a Greek o: findings whatever scored
    # (analytics.renamed_binaries), of members or of the one-host processes credited to them
    masquerades = masquerade_checks(facts.entities, hosts_text(facts.hosts), facts.explanation.credited)
    extras = [*masquerades, *(c for c in (_patient_zero(facts), installed, _low_confidence(facts)) if c is not None)]
    return tuple(steps[: MAX_CHECKS - len(extras)] + extras)


@dataclass(slots=True)
class _Facts:
    """What the step writers quote (the arguments of :func:`cluster_checks`), computed once per cluster."""

    explanation: Explanation
    pivot: Entity
    entities: list[Entity]
    hosts: list[str]
    first_seen: float
    features: Mapping[str, float]
    new: list[Entity] = field(init=False)

    def __post_init__(self) -> None:
        new = set(self.explanation.new_members)
        # Without the detection's list of new members (an explanation built
        # elsewhere), every member is a candidate.
        self.new = [e for e in self.entities if e.ref in new] if new else list(self.entities)

    def of_type(self, *types: str) -> list[Entity]:
        return [e for e in self.new if e.type in types]

    @property
    def new_word(self) -> str:
        """``"new "``, or nothing when most hosts have no data from before the window to tell."""
        return "new " if self.explanation.history else ""

    @property
    def pivot_text(self) -> str:
        if is_behaviour(self.pivot.ref):  # two facts by per-host processes: no process of that name ran
            return behaviour_name(self.pivot.type, self.pivot.value) or "behaviour pivot"
        return f"{self.pivot.type} {quote(self.pivot.value)}"

    @property
    def verb(self) -> str:
        if is_behaviour(self.pivot.ref):
            return "showed"
        return _VERB.get(self.pivot.type, "ran" if self.pivot.type in ("process", "script") else "saw")

    def span(self, minutes: float) -> str:
        """The first-contact period, rounded out to whole minutes.

        The pivot's first contacts on the cluster's hosts, first to last, when the
        detection measured them (:attr:`Explanation.contacts`); else ``minutes`` from
        the cluster's first sighting (an explanation built elsewhere).
        """
        contacts = self.explanation.contacts
        if contacts is not None:
            begin, until = contacts.first, contacts.last_first
        else:
            begin, until = self.first_seen, self.first_seen + max(minutes, 0.0) * 60
        start = math.floor(begin / 60) * 60
        end = math.ceil(until / 60) * 60
        left = datetime.fromtimestamp(start, tz=UTC)
        right = datetime.fromtimestamp(max(end, start + 60), tz=UTC)
        tail = right.strftime("%H:%M") if right.date() == left.date() else right.strftime("%Y-%m-%d %H:%M")
        return f"{left.strftime('%Y-%m-%d %H:%M')}–{tail}Z"


def quote(value: object, limit: int = MAX_VALUE) -> str:
    """An entity value as one line of plain text, cut to ``limit`` characters.

    Examples
    --------
    >>> quote("a\\nb" + "c" * 100, limit=8)
    'a bcccc…'
    """
    return plain(value, limit)  # one rule for attacker text, here and in the credited processes' words


def hosts_text(hosts: Sequence[str]) -> str:
    """A few host names and how many more.

    Examples
    --------
    >>> hosts_text(["ws-1", "ws-2", "ws-3", "ws-4", "ws-5"])
    'ws-1, ws-2, ws-3 and 2 more'
    """
    named = ", ".join(quote(h, 40) for h in hosts[:HOSTS_NAMED])
    rest = len(hosts) - HOSTS_NAMED
    return f"{named} and {rest} more" if rest > 0 else named


def _names(entities: Sequence[Entity], limit: int = 3) -> str:
    """Image names of processes (values of others), distinct, in member order."""
    names: list[str] = []
    for e in entities:
        name = image_name(e.value, e.props) if e.type == EntityType.PROCESS.value else quote(e.value)
        if name not in names:
            names.append(quote(name, 40))
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# -- one writer per scored feature ------------------------------------------------------


def _synchronised(f: _Facts, feature: str) -> Check:
    n = len(f.hosts)
    full = float(f.features.get("first_contact_range_min", f.features.get("first_contact_spread_min", 0.0)))
    burst = int(f.features.get("burst_hosts", 0))
    head = f"{n} hosts first {f.verb} {f.pivot_text} within {_duration(full)}"
    if 0 < burst < n:
        head += f" ({burst} of them within one 10-minute span)"
    return Check(
        feature,
        f"{head}: look for a deployment job (SCCM/Intune/GPO), login script or change ticket "
        f"at {f.span(full)} that targeted these hosts ({hosts_text(f.hosts)})",
        "a scheduled deployment or change from your management tooling explains the timing "
        "and the host list (the same collection or group)",
    )


def _download(f: _Facts, feature: str) -> Check:
    domains = [e for e in f.of_type(EntityType.DOMAIN.value)]
    # a stager fetched from a raw address names no domain (analytics.external_addresses)
    addresses = [e for e in f.of_type(EntityType.IP.value) if is_external_ip(e.value)]
    payload = f.of_type(EntityType.URL.value) or f.of_type(EntityType.FILE.value)
    known = f.explanation.credited_for(feature)
    if known is not None and known.source is not None and not domains and not addresses:
        return _download_from_known_source(feature, known, known.source, payload)
    if domains or not addresses:
        domain = quote(domains[0].value) if domains else "the domain"
        where = f"{f.new_word}domain {domain}" if domains else f"a {f.new_word}domain or address"
        whose, benign = "the domain's registration age", f"{domain} is an established vendor or CDN domain (registered long ago, good reputation)"
    else:
        domain = quote(addresses[0].value)
        where = f"{f.new_word}address {domain} (no domain name)"
        whose, benign = "who holds the address (the network's owner)", f"{domain} belongs to an established vendor or CDN (the network's owner, good reputation)"
    what = f" ({quote(payload[0].value)})" if payload else ""
    ran = "something new" if f.explanation.history else "what came with it"
    credit = f.explanation.credited_for(feature)
    who = f"{credited_sentence(credit)}; " if credit is not None else ""
    return Check(
        feature,
        f"Hosts downloaded from {where}{what} and ran {ran}: {who}check {whose} "
        "and reputation, whether it is a software vendor's site or CDN, and the "
        "downloaded file's hash and signer",
        f"{benign} and the download is that vendor's signed installer or update",
    )


def _download_from_known_source(
    feature: str, credit: CreditedProcesses, known_source: tuple[str, str], payload: list[Entity]
) -> Check:
    """A new payload fetched by per-host cradles from a source the fleet used before the window
    (:mod:`analytics.known_source_downloads`): the source is no new domain, the fetch is the finding."""
    kind, value = known_source
    source = f"{'address' if kind == EntityType.IP.value else 'domain'} {quote(value)}"
    what = f"a new file ({quote(payload[0].value)})" if payload else "a new file"
    return Check(
        feature,
        f"Hosts downloaded {what} from {source}, which the fleet contacted before the window: "
        f"{credited_sentence(credit)}; check what the fleet used {source} for before, whether it still serves "
        "that (a compromised site, a rented cloud bucket or CDN account serving someone else's files), and the "
        "downloaded file's hash and signer",
        "the fetching command is your IT's or a vendor's tooling and the file is that vendor's signed installer or update",
    )


def _encoded(f: _Facts, feature: str) -> Check:
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


def _actors(f: _Facts) -> str:
    processes = [e for e in f.of_type(EntityType.PROCESS.value) if image_name(e.value, e.props) != "lsass.exe"]
    return _names(processes) if processes else f"the cluster's {f.new_word}processes"


def _which_did(f: _Facts) -> str:
    """Who to look for in the access events: the one new process, or which of several."""
    processes = [e for e in f.of_type(EntityType.PROCESS.value) if image_name(e.value, e.props) != "lsass.exe"]
    names = {image_name(e.value, e.props) for e in processes}
    if not processes:
        return f"find which of the cluster's {f.new_word}processes did"
    if len(names) == 1:
        return f"confirm it was {_names(processes)}, the cluster's {f.new_word}process, and find its start"
    return f"find which of {_names(processes)} did"


def _credited_did(f: _Facts, feature: str, members_text: str, did: str, then: str) -> str:
    """What to do about a behaviour: the member processes' text, and the processes credited with it
    (no members: each on one host) named; only the members' text when none was credited."""
    credit = f.explanation.credited_for(feature)
    if credit is None:
        return members_text
    named = credited_sentence(credit, did)
    if [e for e in f.of_type(EntityType.PROCESS.value) if image_name(e.value, e.props) != "lsass.exe"]:
        return f"{members_text}; {named}"
    return f"{named}: {then}"


def _lsass(f: _Facts, feature: str) -> Check:
    return Check(
        feature,
        f"A {f.new_word}process opened LSASS memory: "
        + _credited_did(f, feature, _which_did(f), " and opened LSASS", "find how each started")
        + f" (Sysmon event 10 on {hosts_text(f.hosts)}: granted access, image path, signer)",
        "the accessing process is a signed EDR, antivirus or backup agent already deployed across "
        "the fleet (same path and signer on other hosts)",
    )


def _remote_thread(f: _Facts, feature: str) -> Check:
    return Check(
        feature,
        f"A {f.new_word}process created a thread in another process: "
        + _credited_did(f, feature, f"check the source and target among {_actors(f)}",
                        " and created a thread in another process", "check each one's target")
        + f" (Sysmon event 8 on {hosts_text(f.hosts)}) and the source's path and signer",
        "the source is a signed security, accessibility or debugging tool known in the fleet",
    )


def _lineage(f: _Facts, feature: str) -> Check:
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


def _what_it_ran(f: _Facts, pair: LineagePair) -> str:
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


def _credited_child(f: _Facts, child: str) -> str:
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


def _source_kinds(f: _Facts, feature: str) -> Check:
    # Processes say best who connected, domains best where to: scripts, users, drivers and IPs only
    # without them.  What is counted is the kind of member (activity on the hosts, a remote
    # destination), not which sensor reported it: the graph does not record that for most
    # members, so the text claims no sensor.
    endpoint = f.of_type(EntityType.PROCESS.value) or f.of_type(*_ENDPOINT) or [
        e for e in f.of_type(EntityType.FILE.value) if e.props.get("service") or e.ref in set(f.explanation.drivers)
    ]
    external = [e for e in f.of_type(*_NETWORK) if not (e.type == EntityType.IP.value and is_private_ip(e.value))]
    network = [e for e in external if e.type == EntityType.DOMAIN.value] or external
    where = quote(network[0].value) if network else "an external address"
    who = _names(endpoint, limit=2) if endpoint else f"a {f.new_word}process"
    return Check(
        feature,
        f"The cluster's {f.new_word}members are both activity on the hosts ({who}) and an external destination "
        f"({where}): check which process made the connections to {where} (its DNS/HTTP events on the same host and minute)",
        "the connecting process is a known application talking to its own vendor (signed binary, "
        "destination owned by that vendor)",
    )


def _repeats(f: _Facts, feature: str) -> Check:
    contacts = f.explanation.contacts
    target = f.pivot_text
    if contacts is not None and contacts.destination is not None:
        # a payload's hash pivots, its hosts beacon to a new member destination (analytics.repeat_rates)
        kind, key = contacts.destination
        member = next((e for e in f.entities if e.ref == contacts.destination), None)
        target = f"{kind} {quote(member.value if member is not None else key)}"
    if contacts is not None and contacts.interval_min is not None:
        # Over each host's own first-to-last contact, not per calendar day: an agent polling every
        # 5 minutes for 14 hours read "about every 9 minutes" (review T2 #4).  "about": the median
        # interval, rounded (not rounded up as a "within" is).
        how_often = (
            f"about {contacts.contacts or 0:.0f} times over {_about_minutes(contacts.span_min or 0.0)}, "
            f"about every {_about_minutes(contacts.interval_min)} (the median host)"
        )
    else:
        per_day = float(f.features.get("repeat_contacts_raw", f.features.get("repeat_contacts", 0.0)))
        every = f" (about every {_about_minutes(1440.0 / per_day)})" if per_day > 0 else ""
        how_often = f"about {per_day:.0f} times a day{every}"
    return Check(
        feature,
        f"Each host contacted {target} {how_often}: check whether the "
        "intervals are regular (a beacon, perhaps with jitter), which process makes the contacts, "
        "and who hosts the destination",
        "the contacts come from a known updater or telemetry agent polling its vendor on a documented schedule",
    )


def _about_minutes(minutes: float) -> str:
    """A mean interval, rounded: ``"10 minutes"``, ``"a minute"``, ``"3 hours"``."""
    if minutes < 1.5:
        return "a minute"
    if minutes < 120:
        return f"{round(minutes)} minutes"
    return f"{round(minutes / 60)} hours"


def _driver(f: _Facts, feature: str) -> Check:
    drivers = [e for e in f.new if e.ref in set(f.explanation.drivers)] or [
        e for e in f.of_type(EntityType.FILE.value) if e.props.get("service")
    ]
    if not drivers:
        return Check(
            feature,
            "A kernel driver was loaded from outside the Windows driver directory: find it (Sysmon event 6, "
            f"System event 7045 on {hosts_text(f.hosts)}) and check its SHA-256 and signer against known "
            "vulnerable drivers (e.g. loldrivers.io)",
            _DRIVER_BENIGN,
        )
    # One driver is often two members: the file installed (keyed by its path: 7045 and the drop
    # name no digest) and the file the kernel loaded (keyed by its SHA-256, Sysmon 6), same path.
    path = drivers[0].props.get("path") or drivers[0].value
    same = [e for e in f.entities if e.type == EntityType.FILE.value and str(e.value).lower() == str(path).lower()]
    digest = _digest(same or drivers)
    installed = next((e for e in same + drivers if e.props.get("service")), None)
    names = _install_names(installed.props if installed is not None else {}, "service", len(f.hosts))
    twice = (
        " (it is two members: the file installed, by its path, and the file the kernel loaded, by its SHA-256)"
        if len(same) > 1 and digest else ""
    )
    return Check(
        feature,
        f"Kernel driver {quote(path)} was installed or loaded from outside the Windows driver directory"
        f"{names}{twice}: check its SHA-256{' ' + digest if digest else ''} and signer against "
        "known vulnerable drivers (e.g. loldrivers.io), and which process wrote it there and created the service "
        "(Sysmon 11, event 7045/4697)",
        _DRIVER_BENIGN,
    )


def _lookalike(f: _Facts, feature: str) -> Check:
    found = list(f.explanation.lookalikes)
    if not found:
        return Check(
            feature,
            f"A {f.new_word}domain of the cluster looks like a domain the fleet uses widely: compare its spelling "
            "with your vendors' domains and check who registered it",
            _LOOKALIKE_BENIGN,
        )
    first = found[0]
    domain, trusted = quote(first.domain), quote(first.trusted)
    more = f" ({len(found) - 1} more look-alike domain{'s' if len(found) > 2 else ''} in the cluster)" if len(found) > 1 else ""
    return Check(
        feature,
        f"Domain {domain} looks like {trusted}, which {first.trusted_hosts} hosts used before the window: "
        f"{quote(first.difference, 160)}{more}. Check who registered {domain} and when (a look-alike is "
        f"usually days old), whether the owner of {trusted} owns it too, and which process on "
        f"{hosts_text(f.hosts)} contacted it and what it fetched",
        f"the owner of {trusted} registered {domain} too (same registrant, a documented alternate name of that vendor)",
    )


_LOOKALIKE_BENIGN = (
    "the domain belongs to the same vendor as the trusted one (same registrant, documented by that vendor)"
)


_DRIVER_BENIGN = (
    "the driver is a current version from a hardware or security vendor your fleet deploys, installed "
    "by that vendor's installer or your deployment tooling under one service name"
)


def _digest(entities: Sequence[Entity]) -> str:
    """The SHA-256 of a file among ``entities``: the key of one keyed by its digest, else a ``sha256`` prop."""
    for e in entities:
        if e.type == EntityType.FILE.value and _SHA256.match(e.key):
            return e.key
    for e in entities:
        value = str(e.props.get("sha256") or "").lower()
        if _SHA256.match(value):
            return value
    return ""


def _install_names(props: Mapping[str, object], kind: str, hosts: int, word: str | None = None) -> str:
    """What the installs called a service, task or WMI consumer (``props``: ``service``/``services``/
    ``services_dropped`` for ``kind`` ``service``; ``word`` the name said, ``kind`` when None).

    The text follows "installed ..." and names the hosts: `` (service X) on 30 hosts`` for
    one name.  Several: how many over how many hosts, a few quoted; as many names as hosts
    is said to be a signal: attack tools register under a random name per host, a vendor's
    installer under one.

    Examples
    --------
    >>> _install_names({"service": "AbC", "services": ["AbC", "dEf", "GhI", "jKl"]}, "service", 4)
    ' under 4 different service names on 4 hosts (AbC, dEf, GhI and 1 more; a different name on every host is how attack tools register a service, a vendor installs under one name)'
    >>> _install_names({"service": "igfxn", "services": ["igfxn"]}, "service", 30)
    ' (service igfxn) on 30 hosts'
    >>> _install_names({"wmi_consumer": "Updater", "wmi_consumers": ["Updater"]}, "wmi_consumer", 40, "WMI consumer")
    ' (WMI consumer Updater) on 40 hosts'
    """
    word = word or kind
    listed = props.get(f"{kind}s")
    names = [str(n) for n in listed] if isinstance(listed, list) and listed else []
    if not names and props.get(kind):
        names = [str(props[kind])]
    if not names:
        return f" on {hosts} hosts"
    if len(names) == 1 and not props.get(f"{kind}s_dropped"):
        return f" ({word} {quote(names[0], 40)}) on {hosts} hosts"
    dropped = props.get(f"{kind}s_dropped")
    at_least = "at least " if isinstance(dropped, int) and dropped > 0 else ""
    shown = ", ".join(quote(n, 40) for n in names[:NAMES_SHOWN])
    more = f" and {len(names) - NAMES_SHOWN}{'+' if at_least else ''} more" if len(names) > NAMES_SHOWN else ""
    signal = (
        f"; a different name on every host is how attack tools register a {word}, a vendor installs under one name"
        if len(names) >= hosts >= 3 else ""
    )
    return f" under {at_least}{len(names)} different {word} names on {hosts} hosts ({shown}{more}{signal})"


_WRITERS = {
    "first_contact_spread_min": _synchronised,
    "burst_hosts": _synchronised,
    "download_from_new_domain": _download,
    "encoded_command": _encoded,
    "lsass_access": _lsass,
    "remote_thread": _remote_thread,
    "interpreter_lineage": _lineage,
    "source_kinds": _source_kinds,
    "repeat_contacts": _repeats,
    "driver_outside_drivers_dir": _driver,
    "lookalike_domain": _lookalike,
}


# -- steps about the whole cluster --------------------------------------------------------


def _installed(f: _Facts) -> Check | None:
    """How the pivot was installed (a driver file; a service, scheduled-task or WMI consumer's command; a WMI
    script consumer's script)."""
    props, n = f.pivot.props, len(f.hosts)
    if f.pivot.type == EntityType.FILE.value and props.get("service"):
        # A driver's digest is the key of the file node its hash identifies (same path as value).
        digest = _digest(f.entities)
        names = _install_names(props, "service", n)
        return Check(
            None,
            f"{f.pivot_text} was installed as a driver{names}: "
            f"check its SHA-256{' ' + digest if digest else ''} and signer against known vulnerable drivers "
            "(e.g. loldrivers.io) and which process created the service",
            "the driver is a current version from a hardware or security vendor your fleet deploys, "
            "installed by your deployment tooling",
        )
    mechanism = next((m for m in _MECHANISMS if props.get(m[0])), None)
    # a WMI script consumer's script is installed as its command consumer's command is: the same step
    script = f.pivot.type == EntityType.SCRIPT.value
    if mechanism is None or not (f.pivot.type == EntityType.PROCESS.value or script and mechanism[0] == "wmi_consumer"):
        return None
    prop, kind, word, events = mechanism
    what = "the paths and programs the script runs" if script else "the binary's signer"
    return Check(
        None,
        f"{f.pivot_text} was installed as a {kind}{_install_names(props, prop, n, word)}: check which account "
        f"and process created it ({events}) and {what}",
        "your management tooling or an installer you deploy created it, under its usual account",
    )


_MECHANISMS = (
    ("service", "service", "service", "event 7045"),
    ("task", "scheduled task", "task", "event 4698"),
    ("wmi_consumer", "WMI subscription", "WMI consumer",
     "Sysmon event 20; events 19 and 21 name the filter that fires it and the binding"),
)
"""How an installed command was installed: (its names' prop, the words, a name's word, the events that say who)."""


def _patient_zero(f: _Facts) -> Check | None:
    """A young and spreading pivot (low and slow): its earlier hosts, the first above all, come first."""
    young = f.explanation.young
    if young is None:
        return None
    days = young.days_ago
    first = datetime.fromtimestamp(young.first_seen, tz=UTC).strftime("%Y-%m-%d %H:%MZ")
    return Check(
        None,
        f"{f.pivot_text[:1].upper()}{f.pivot_text[1:]} is not new in this window: the fleet first saw it {days} day{'s' if days != 1 else ''} ago "
        f"({first}) on {young.earlier_hosts} host{'s' if young.earlier_hosts != 1 else ''}, and it is spreading "
        f"to {young.new_hosts} new host{'s' if young.new_hosts != 1 else ''} in this window: look at the "
        "earlier hosts first, the first of them above all (patient zero): how it arrived there "
        "(a download, an e-mail attachment, a share, a logon from another host) and what ran next; then "
        f"whether the same chain reached the new hosts ({hosts_text(f.hosts)})",
        "the earlier hosts are the pilot group of a planned rollout (a change ticket from that date) "
        "and the new hosts its next wave, installed the same way",
    )


def _low_confidence(f: _Facts) -> Check | None:
    candidates = f.explanation.candidates
    if f.explanation.confidence != "low":
        return None
    if not f.explanation.history:
        return Check(
            None,
            f"{_without_history(f)}, so whether {f.pivot_text} and the "
            "other members are new in the fleet cannot be told, and first contacts may only be where their data "
            "begins: judge them by hand (how many hosts normally see them, and since when: your EDR or proxy "
            "history before the window)",
            "the pivot and its members are software the fleet already ran before the window",
        )
    among = f"only {candidates} candidate cluster{'s' if candidates != 1 else ''}" if candidates is not None else "too few candidate clusters"
    return Check(
        None,
        f"The risk is relative to {among}, too few to tell what is unusual: judge {f.pivot_text} "
        "by hand (how many hosts normally see it, and since when)",
        "the pivot and its members are software the fleet already runs elsewhere or ran before the window",
    )


def _without_history(f: _Facts) -> str:
    """What the history test found (:mod:`analytics.history`): which hosts have no data from before
    the window.  Not "the store holds none": a store with years of other hosts' data may (review T5).

    Examples
    --------
    >>> from analytics.history import HistoryCounts
    >>> def said(*counts):
    ...     e = Explanation("", (), history=False, history_counts=HistoryCounts(*counts))
    ...     return _without_history(_Facts(e, Entity("domain", "d", "d"), [], [], 0.0, {}))
    >>> said(3, 0, 3, 0)
    "None of the cluster's 3 hosts has data from before the detection window (they are all the hosts seen in it)"
    >>> said(40, 2, 3, 0)
    "None of the cluster's 3 hosts has data from before the detection window, and 2 of the 40 hosts seen in it do"
    """
    counts = f.explanation.history_counts
    if counts is None:
        return "Most hosts seen in the detection window have no data from before it"
    n, with_history = counts.cluster_hosts, counts.cluster_with_history
    if with_history == 0:
        head = f"None of the cluster's {n} host{'s' if n != 1 else ''} has"
    elif with_history == n:
        head = f"The cluster's {n} host{'s' if n != 1 else ''} have"
    else:
        head = f"Only {with_history} of the cluster's {n} hosts have"
    head += " data from before the detection window"
    if (counts.window_hosts, counts.window_with_history) == (n, with_history):
        return head + " (they are all the hosts seen in it)"
    but = ", but only" if with_history == n else ", and"
    return f"{head}{but} {counts.window_with_history} of the {counts.window_hosts} hosts seen in it do"


def _ordinary(f: _Facts) -> Check:
    """The one step of a cluster no feature sets apart (often a rollout): confirm it was planned."""
    full = float(f.features.get("first_contact_range_min", 0.0))
    pairs = ", ".join(f"{quote(p.parent, 40)} → {quote(p.child, 40)}" for p in f.explanation.lineage[:2])
    also = f", with {f.new_word}{pairs}" if pairs else ""
    return Check(
        None,
        f"No feature sets this cluster apart from an ordinary one: {len(f.hosts)} hosts {f.verb} "
        f"{f.pivot_text} over {_duration(full)}{also}; confirm it is planned or ordinary use: look for "
        f"a deployment job or change ticket at {f.span(full)}, or the application that uses it",
        "a deployment or change ticket (your deployment agent, SCCM/Intune/GPO) or a known application "
        "the fleet uses accounts for it on these hosts",
    )
