"""Process context: image names, encoded commands, lineage pairs and attack behaviours.

Built once per detection from the process entities and three relation types
(``SPAWNED``, ``ACCESSED``, ``INJECTED``); cluster features
(:mod:`analytics.features`) look members up in these indexes.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analytics.novelty import established_at, host_time_bounds, relation_established
from analytics.original_names import renamed_from
from graphsiem.model import Entity, EntityKey, Relation

_ENCODED = re.compile(r"(?:^|\s)[-/]e(?:c|nc|ncodedcommand)?\s+[A-Za-z0-9+/=]{16,}", re.IGNORECASE)
_IMAGE_PROPS = ("image", "executable", "process.executable", "path")
_USER_PROFILE = re.compile(r"(?i)(\b[a-z]:[\\/]+users[\\/]+)[^\\/\"]+")
EXAMPLE_LIMIT = 300
"""A pair's example parent command line is cut to this many characters (attacker text, kept as data)."""

INTERPRETERS = frozenset(
    {
        "powershell.exe", "pwsh.exe", "cmd.exe", "wscript.exe", "cscript.exe", "mshta.exe",
        "rundll32.exe", "regsvr32.exe", "certutil.exe", "bitsadmin.exe", "wmic.exe",
        "psexesvc.exe", "schtasks.exe", "installutil.exe", "msbuild.exe",
    }
)
"""Script hosts and living-off-the-land binaries: a new parent spawning one is a classic
first stage (Office or a script launching PowerShell, WMI launching cmd).  Installers
(``msiexec.exe``) are left out on purpose: software deployment spawns them every day."""


def image_name(value: str, props: Mapping[str, object] | None = None) -> str:
    """Lower-case file name of what a process runs: its image's, or the original's for a renamed copy.

    A copy of a watched interpreter or living-off-the-land binary under another name
    (``C:\\Users\\Public\\svcupd.exe`` whose PE ``OriginalFileName`` is ``PowerShell.EXE``, the
    props' ``original_file_name``) is read as the binary it is, so lineage pairs, the
    interpreter checks and LSASS targets see ``powershell.exe``
    (:func:`analytics.original_names.renamed_from`: only binaries of a fixed list; any other
    name a vendor's file has is kept).  The name on disk: :func:`image_file_name`.

    Examples
    --------
    >>> image_name('"C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe" -nop')
    'powershell.exe'
    >>> image_name("cmd.exe /c whoami")
    'cmd.exe'
    >>> image_name("svcupd.exe -enc AAAA", {"image": "C:\\\\Users\\\\Public\\\\svcupd.exe", "original_file_name": "PowerShell.EXE"})
    'powershell.exe'
    """
    name = image_file_name(value, props)
    if props:
        original = renamed_from(name, props.get("original_file_name"))
        if original is not None:
            return original
    return name


def image_file_name(value: str, props: Mapping[str, object] | None = None) -> str:
    """Lower-case file name of a process's image as it is on disk, from its props or its command line.

    Examples
    --------
    >>> image_file_name("svcupd.exe -enc AAAA", {"image": "C:\\\\Users\\\\Public\\\\SvcUpd.exe", "original_file_name": "PowerShell.EXE"})
    'svcupd.exe'
    """
    text = ""
    for prop in _IMAGE_PROPS:
        candidate = (props or {}).get(prop)
        if isinstance(candidate, str) and candidate:
            text = candidate
            break
    else:
        stripped = value.strip()
        if stripped.startswith('"'):
            text = stripped[1:].split('"', 1)[0]
        else:
            lowered = stripped.lower()
            end = lowered.find(".exe")
            text = stripped[: end + 4] if end >= 0 else (stripped.split(" ", 1)[0] if stripped else "")
    return re.split(r"[\\/]", text)[-1].lower() or "?"


def is_encoded_command(value: str, props: Mapping[str, object] | None = None) -> bool:
    """True for a command line carrying an encoded PowerShell command (``-enc <base64>``)."""
    if props and props.get("decoded_command"):
        return True
    return bool(_ENCODED.search(value))


@dataclass(slots=True, frozen=True)
class LineagePair:
    """A parent image -> child image pair over the fleet.

    ``hosts`` sums the host counts of the child processes with that pair
    (capped at the fleet size): an upper bound of the hosts that ran the pair,
    exact when each child command line runs under one parent.  ``established``
    bounds from below when the ``k``-th host ran it (``None``: ``first_seen``,
    the earliest on any host; see :func:`analytics.novelty.relation_established`).

    ``example`` is one parent command line of the pair, so a check can say what
    a script host ran even when each host's parent process is its own (a per-user
    path: no parent is a cluster member): the command line of the parent of the
    child process the pair was found on (:func:`lineage_index`: the most common
    among that child's parents, the first read among equals), with user profile
    folders elided (``C:\\Users\\…\\Downloads\\x.js``, see
    :func:`example_form`) and cut to :data:`EXAMPLE_LIMIT` characters.  So a
    cluster's pair names its own process's parent, not another campaign's with
    the same two images.  ``example_hosts`` counts the fleet's hosts whose parent
    ran that form (capped at ``hosts``).  Attacker text: data, never markup or
    a command.
    """

    parent: str
    child: str
    hosts: int
    first_seen: float
    established: float | None = None
    example: str | None = None
    example_hosts: int = 0

    def is_new_since(self, start: float) -> bool:
        """Fewer than ``k`` hosts ran the pair before ``start``."""
        return (self.first_seen if self.established is None else self.established) >= start

    def __str__(self) -> str:
        return f"{self.child} spawned by {self.parent}"


def example_form(command_line: str) -> str:
    """A command line as a pair's example: the user folder of a profile path elided, one line,
    cut to :data:`EXAMPLE_LIMIT` characters, so per-user copies of one command count as one (``\\`` or ``/``).

    Examples
    --------
    >>> example_form('"C:/Windows/System32/WScript.exe"   "C:/Users/ann/Downloads/Invoice.js"')
    '"C:/Windows/System32/WScript.exe" "C:/Users/…/Downloads/Invoice.js"'
    >>> len(example_form("x" * 1000))
    300
    """
    text = " ".join(_USER_PROFILE.sub("\\g<1>…", command_line).split())
    return text if len(text) <= EXAMPLE_LIMIT else text[: EXAMPLE_LIMIT - 1] + "…"


def lineage_index(
    spawned: Iterable[Relation],
    images: Mapping[EntityKey, str],
    host_counts: Mapping[EntityKey, int],
    *,
    n_hosts: int,
    host_first_seen: Mapping[EntityKey, Sequence[float]] | None = None,
    novelty_hosts: int = 1,
    processes: Mapping[EntityKey, Entity] | None = None,
) -> dict[EntityKey, list[LineagePair]]:
    """For each child process, the fleet-wide lineage pairs it takes part in.

    Parameters
    ----------
    spawned : iterable of Relation
        ``process SPAWNED process`` relations.
    images : mapping
        Image file name of each process key (see :func:`image_name`).
    host_counts : mapping
        Fleet-wide distinct hosts of each process (missing = 1).
    n_hosts : int
        Fleet size, caps the pair host counts.
    host_first_seen : mapping, optional
        Per-host first sightings of each child process (missing: one host at
        the relation's first time).
    novelty_hosts : int
        ``k`` of :attr:`LineagePair.established`; 1 (default) leaves it ``None``.
    processes : mapping, optional
        Process entities by key: their command lines give each pair's
        :attr:`LineagePair.example` (without them, none).
    """
    pair_hosts: dict[tuple[str, str], int] = defaultdict(int)
    # pair -> example form -> hosts of the distinct parents that ran it, over the fleet; and the
    # forms of each child's own parents (its example: the cluster's process, not another campaign's)
    forms: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    child_forms: dict[tuple[tuple[str, str], EntityKey], Counter[str]] = defaultdict(Counter)
    parents_seen: set[tuple[tuple[str, str], EntityKey]] = set()
    parent_forms: dict[EntityKey, str] = {}
    pair_first: dict[tuple[str, str], float] = {}
    child_first: dict[tuple[tuple[str, str], EntityKey], float] = {}
    children: dict[EntityKey, set[tuple[str, str]]] = defaultdict(set)
    for rel in spawned:
        pair = (images.get(rel.src, "?"), images.get(rel.dst, "?"))
        if (pair, rel.dst) not in child_first:
            child_first[(pair, rel.dst)] = rel.first_seen
            pair_hosts[pair] += host_counts.get(rel.dst, 1)
        child_first[(pair, rel.dst)] = min(child_first[(pair, rel.dst)], rel.first_seen)
        pair_first[pair] = min(pair_first.get(pair, np.inf), rel.first_seen)
        children[rel.dst].add(pair)
        parent = processes.get(rel.src) if processes is not None else None
        if parent is not None:
            form = parent_forms.get(rel.src)
            if form is None:  # once per parent: one string shared by its children's counters
                form = parent_forms[rel.src] = example_form(str(parent.props.get("command_line") or parent.value))
            child_forms[(pair, rel.dst)][form] += host_counts.get(rel.src, 1)
            if (pair, rel.src) not in parents_seen:
                parents_seen.add((pair, rel.src))
                forms[pair][form] += host_counts.get(rel.src, 1)
    established: dict[tuple[str, str], float | None] = dict.fromkeys(pair_hosts)
    if novelty_hosts > 1:
        # The union of the bounds of every child process of the pair: the same host
        # counted under two children only lowers the k-th bound (errs towards old).
        bounds: dict[tuple[str, str], list[float]] = defaultdict(list)
        for (pair, child), first in child_first.items():
            bounds[pair] += host_time_bounds(first, (host_first_seen or {}).get(child, ()))
        established = {pair: established_at(b, novelty_hosts) for pair, b in bounds.items()}
    shared: dict[tuple[tuple[str, str], str | None], LineagePair] = {}

    def pair_of(pair: tuple[str, str], child: EntityKey) -> LineagePair:
        """The pair as ``child`` took part in it: its own parents' most common form is the example
        (most_common keeps the first read among equals), counted over the fleet's hosts."""
        found = child_forms.get((pair, child))
        example = found.most_common(1)[0][0] if found else None
        if (pair, example) not in shared:
            hosts = min(pair_hosts[pair], n_hosts)
            example_hosts = min(forms[pair][example], hosts) if example is not None else 0
            shared[(pair, example)] = LineagePair(pair[0], pair[1], hosts, pair_first[pair], established[pair],
                                                  example, example_hosts)
        return shared[(pair, example)]

    return {child: sorted((pair_of(p, child) for p in ps), key=str) for child, ps in children.items()}


def behaviour_index(
    accessed: Iterable[Relation],
    injected: Iterable[Relation],
    images: Mapping[EntityKey, str],
    *,
    host_first_seen: Mapping[EntityKey, Sequence[float]] | None = None,
    novelty_hosts: int = 1,
) -> dict[EntityKey, dict[str, float]]:
    """Attack behaviours per source process, with when the fleet showed them.

    ``lsass_access`` (a process opened LSASS with rights over its memory: the
    projection makes ``ACCESSED`` only for such a handle, see
    ``ingest.projection_access``; svchost querying LSASS's image name is no
    relation) and ``remote_thread`` (a process injected a thread into another).
    The time is the earliest on any host, or with ``novelty_hosts`` = ``k`` > 1
    and the source processes' per-host first sightings (``host_first_seen``), a
    lower bound of when the ``k``-th host showed it
    (:func:`analytics.novelty.relation_established`).
    """
    found: dict[EntityKey, dict[str, float]] = defaultdict(dict)

    def note(rel: Relation, name: str) -> None:
        found[rel.src][name] = min(found[rel.src].get(name, np.inf), rel.first_seen)

    for rel in accessed:
        if images.get(rel.dst) == "lsass.exe":
            note(rel, "lsass_access")
    for rel in injected:
        note(rel, "remote_thread")
    if novelty_hosts > 1:
        firsts = host_first_seen or {}
        for src, times in found.items():
            for name, t in times.items():
                times[name] = relation_established(t, firsts.get(src, ()), novelty_hosts)
    return found
