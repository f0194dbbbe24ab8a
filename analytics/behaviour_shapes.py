"""The shape of a behaviour signature: a benign product and a campaign of one pair of kinds are two pivots.

A behaviour signature (:mod:`analytics.behaviour_pivots`) is a pair of fact kinds, so one
signature per pair merged a benign product that reads LSASS and runs an encoded
PowerShell on 127 hosts with a campaign doing the same on 36 others, 22 of which also
ran the product (red-team T8, fp2): one cluster, one risk, one triage.  What tells them
apart is how their processes look.  A product's per-host names still share a **shape**
(``c:\\programdata\\vendor\\tmp\\*.exe`` under ``c:\\program files\\vendor\\vendorsvc.exe``),
the campaign's another (``c:\\users\\public\\*.exe`` under ``c:\\windows\\explorer.exe``).

A process's shape is its image path, lower-case, with the per-host parts generalised,
and its parents' image paths so generalised (``under``).  A path part is per-host when
fewer than ``min_hosts`` hosts of the window's facts have it at that depth (a random
folder or file name per host; its extension kept: ``*.exe``), and a user profile's
folder always is (``c:\\users\\*\\``; ``public`` and ``default`` are shared folders).
Parts a product's hosts share stay, so a group of ``min_hosts`` hosts or more keeps
the same shape from run to run.  A pair's shape is its two facts' processes' shapes,
named by kind (:meth:`Shapes.of_pair`); its id (a 12-hex digest) goes into the
pivot's key (:func:`analytics.behaviour_words.behaviour_key`), so triage and
episodes (:mod:`graphsiem.api.behaviour_episodes`) keep one case per shape.

A campaign can copy a product's paths and parent cheaply (red-team T10, finding 5: a
dropper in ``c:\\programdata\\vendor\\tmp\\`` with its parent spoofed to
``vendorsvc.exe``).  What it cannot copy cheaply is the product's binary and its history
on the host, so a shape also holds, where the telemetry carries them, the **digest** of a
fact's image at a per-host path (``(sha256 0123456789ab)`` when ``min_hosts`` hosts of the
window's facts run that binary, ``(sha256 per host)`` when each host's is its own: a rebuilt
dropper; none for a fixed path such as ``powershell.exe``, whose digest is the host's patch
level, which would split a product by Windows build), and
marks a parent image that is **new on the host**
(:mod:`analytics.behaviour_established`).  A product's new build is a new shape for its
first run (a changed binary under a known path is worth one look), and two while a
rolling upgrade runs both builds on ``min_hosts`` hosts each; a benign verdict on the old
build's shape carries to the new one's on at least the judged hosts
(:mod:`analytics.behaviour_verdicts`), not to a binary swapped on some of them.

Attacker text: a path is data, cut to :data:`PATH_LIMIT` characters, never parsed
for more than its separators.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from analytics.behaviour_words import FACT_WORDS
from graphsiem.model import Entity, EntityKey, stable_hash
from graphsiem.store.base import DIGEST_HEX_LENGTHS

if TYPE_CHECKING:
    from analytics.behaviour_established import ParentHistory
    from analytics.behaviour_installs import Install
    from analytics.behaviour_pivots import Fact

__all__ = ["NEW_ON_HOST", "PATH_LIMIT", "SHARED_PROFILES", "Shapes", "image_digest", "image_path", "shape_id"]

NEW_ON_HOST = " (new on the host)"
"""Marks a parent of a shared image that had not run on the fact's host a day before (red-team T10, finding 5)."""

PATH_LIMIT = 120
"""Most characters of one generalised path in a shape's text."""
SHARED_PROFILES = frozenset({"public", "default", "all users", "default user"})
"""Folders under ``c:\\users`` that are no one user's profile (kept in a shape)."""
_IMAGE_PROPS = ("image", "executable", "process.executable", "path")
_EXTENSION = re.compile(r"\.[a-z0-9]{1,5}$")
_DIGESTS = ("sha256", "sha1", "md5")
_HEX = re.compile(r"[0-9a-fA-F]+")


def image_path(entity: Entity | None) -> str:
    """A process's image path, lower-case with ``\\`` separators: its props' image, else its command line's head.

    Examples
    --------
    >>> image_path(Entity("process", "k", '"C:/Users/Public/upd1.exe" /q x'))
    'c:\\\\users\\\\public\\\\upd1.exe'
    >>> image_path(Entity("process", "k", "x", {"image": "C:\\\\Windows\\\\explorer.exe"}))
    'c:\\\\windows\\\\explorer.exe'
    >>> image_path(None)
    '?'
    """
    if entity is None:
        return "?"
    text = ""
    for prop in _IMAGE_PROPS:
        candidate = entity.props.get(prop)
        if isinstance(candidate, str) and candidate.strip():
            text = candidate.strip()
            break
    else:
        stripped = entity.value.strip()
        if stripped.startswith('"'):
            text = stripped[1:].split('"', 1)[0]
        else:
            end = stripped.lower().find(".exe")
            text = stripped[: end + 4] if end >= 0 else stripped.split(" ", 1)[0]
    return re.sub(r"[\\/]+", "\\\\", text.lower()) or "?"


def _parts(path: str) -> list[str]:
    parts = path.split("\\")
    if len(parts) > 2 and parts[1] == "users" and parts[2] not in SHARED_PROFILES:
        parts[2] = "*"  # a user's profile folder: per user, so per host
    return parts


class Shapes:
    """The shapes of one detection's behaviour facts (per-host path parts generalised over the window's facts).

    Parameters
    ----------
    facts : iterable of Fact
        The window's facts (their hosts say which path parts are shared).
    processes : mapping
        The process entities by key (their image paths).
    parents : mapping
        Child process -> its parent processes (:func:`analytics.behaviour_lineage.parents_of`).
    min_hosts : int
        A path part on fewer hosts' facts than this is per-host.

    Examples
    --------
    >>> from analytics.behaviour_pivots import Fact
    >>> procs = {("process", f"d{i}"): Entity("process", f"d{i}", "", {"image": f"C:\\\\Users\\\\Public\\\\upd{i}.exe"})
    ...          for i in range(3)}
    >>> facts = [Fact("lsass_access", ("process", f"d{i}"), i, 0.0) for i in range(3)]
    >>> Shapes(facts, procs, {}, min_hosts=3).of_process(("process", "d1"))
    'c:\\\\users\\\\public\\\\*.exe under ?'
    """

    def __init__(self, facts: Iterable[Fact], processes: Mapping[EntityKey, Entity],
                 parents: Mapping[EntityKey, Collection[EntityKey]], *, min_hosts: int,
                 history: ParentHistory | None = None, host_names: Sequence[str] = (),
                 installs: Mapping[EntityKey, Install] | None = None) -> None:
        self._processes = processes
        self._parents = parents
        self._installs = installs or {}
        self._min_hosts = min_hosts
        self._history = history
        self._host_names = host_names
        self._paths: dict[EntityKey, list[str]] = {}
        hosts: dict[tuple[int, str], set[int]] = defaultdict(set)
        facts = list(facts)
        for fact in facts:
            install = self._installs.get(fact.process)
            installers = () if install is None else sorted(install.installers)
            # an installer's path and its parents' are part of the shape too (a per-host dropper: generalised)
            related = [*installers, *(p for i in installers for p in parents.get(i, ()))]
            for process in (fact.process, *parents.get(fact.process, ()), *related):
                for depth, part in enumerate(self._path_parts(process)):
                    hosts[(depth, part)].add(fact.host_row)
        self._shared = frozenset(where for where, seen in hosts.items() if len(seen) >= min_hosts)
        digest_hosts: dict[tuple[str, str], set[int]] = defaultdict(set)
        for fact in facts:
            digest = image_digest(processes.get(fact.process))
            if digest is not None:
                digest_hosts[digest].add(fact.host_row)
        self._shared_digests = frozenset(d for d, seen in digest_hosts.items() if len(seen) >= min_hosts)
        self._cache: dict[tuple[EntityKey, frozenset[EntityKey]], str] = {}
        self._ids: dict[tuple[tuple[str, str], str], str] = {}

    @property
    def history(self) -> ParentHistory | None:
        """The parents' history the shapes mark new parents by (none: no marking)."""
        return self._history

    def _path_parts(self, process: EntityKey) -> list[str]:
        if process not in self._paths:
            self._paths[process] = _parts(image_path(self._processes.get(process)))
        return self._paths[process]

    def _generalised(self, process: EntityKey) -> str:
        parts = self._path_parts(process)
        out = []
        for depth, part in enumerate(parts):
            if (depth, part) in self._shared and part != "*":
                out.append(part)
            elif depth == len(parts) - 1 and (ext := _EXTENSION.search(part)) is not None:
                out.append("*" + ext.group())
            else:
                out.append("*")
        text = "\\".join(out)
        return text if len(text) <= PATH_LIMIT else text[: PATH_LIMIT - 1] + "…"

    def _digest_class(self, process: EntityKey) -> str:
        """`` (sha256 <12 hex>)`` for a binary ``min_hosts`` hosts' facts run, `` (sha256 per host)``, or ``""``
        (no digest in the telemetry)."""
        digest = image_digest(self._processes.get(process))
        if digest is None:
            return ""
        algorithm, value = digest
        return f" ({algorithm} {value[:12]})" if digest in self._shared_digests else f" ({algorithm} per host)"

    def of_process(self, process: EntityKey, new_parents: frozenset[EntityKey] = frozenset()) -> str:
        """``<generalised image path> under <its parents' generalised image paths>`` (``?``: no parent known).

        A parent in ``new_parents`` (a shared image new on the fact's host,
        :class:`analytics.behaviour_established.ParentHistory`) is marked ``(new on the host)``.  A run of
        persistence linked to its installers (:mod:`analytics.behaviour_installs`) adds
        `` installed by <each installer's path under its parents> via <mechanism>``.
        """
        cached = (process, new_parents)
        if cached not in self._cache:
            text = self._own(process, new_parents)
            install = self._installs.get(process)
            if install is not None:  # a run of persistence: the tree it came from (analytics.behaviour_installs)
                installers = " | ".join(sorted({self._own(i) for i in install.installers}))
                text += f" installed by {installers} via {install.words}"
            self._cache[cached] = text
        return self._cache[cached]

    def _own(self, process: EntityKey, new_parents: frozenset[EntityKey] = frozenset()) -> str:
        """``<generalised image path> under <its parents' generalised image paths>``."""
        parents = sorted({self._generalised(p) + (NEW_ON_HOST if p in new_parents else "")
                          for p in self._parents.get(process, ())})
        path = self._generalised(process)
        # a binary at a fixed path (powershell.exe) is the host's own build: its digest is its patch level
        digest = self._digest_class(process) if "*" in path else ""
        return f"{path}{digest} under {' | '.join(parents) or '?'}"

    def of_pair(self, kinds: tuple[str, str], a: Fact, b: Fact, host: str | None = None) -> tuple[str, str]:
        """The shape of a pair of facts of ``kinds``: its id (12 hex digits) and its text, by kind.

        ``lsass access by c:\\users\\public\\*.exe under c:\\windows\\explorer.exe; encoded powershell by …``
        """
        return self.of_classes(kinds, {a.kind: self.of_fact(a, host), b.kind: self.of_fact(b, host)})

    def of_fact(self, fact: Fact, host: str | None = None) -> str:
        """The shape of the process behind ``fact`` on its host (``host``, else its row's name): :meth:`of_process`.

        Its parents of a shared image that is new on the host (not seen there a day before
        the fact: a spoofed parent where the product never ran) are marked so.
        """
        if host is None and 0 <= fact.host_row < len(self._host_names):
            host = self._host_names[fact.host_row]
        if self._history is None or host is None:
            return self.of_process(fact.process)
        history = self._history
        new = frozenset(p for p in self._parents.get(fact.process, ())
                        if history.shared(p) and history.new_on_host(p, host, fact.at))
        return self.of_process(fact.process, new)

    def of_classes(self, kinds: tuple[str, str], by_kind: Mapping[str, str]) -> tuple[str, str]:
        """The shape of a pair of ``kinds`` whose processes' shapes are ``by_kind`` (kind -> :meth:`of_process`)."""
        text = "; ".join(f"{FACT_WORDS[k]} by {by_kind[k]}" for k in kinds)
        key = (kinds, text)
        if key not in self._ids:
            self._ids[key] = shape_id(kinds, text)
        return self._ids[key], text


def image_digest(entity: Entity | None) -> tuple[str, str] | None:
    """A process's image digest from its props: ``(algorithm, lower-case hex)``, the strongest one it carries.

    A value that is not a digest of its algorithm's length (attacker text in a hash field) is none.

    Examples
    --------
    >>> image_digest(Entity("process", "k", "x", {"sha256": "AB" * 32, "md5": "cd" * 16}))
    ('sha256', 'abababababababababababababababababababababababababababababababab')
    >>> image_digest(Entity("process", "k", "x", {"sha256": "not a digest"})) is None
    True
    """
    if entity is None:
        return None
    for algorithm in _DIGESTS:
        value = entity.props.get(algorithm)
        if isinstance(value, str) and len(value) == DIGEST_HEX_LENGTHS[algorithm] and _HEX.fullmatch(value):
            return algorithm, value.lower()
    return None


def shape_id(kinds: tuple[str, str], text: str) -> str:
    """The id of the shape ``text`` of a pair of ``kinds`` (12 hex digits, the same in every run).

    Examples
    --------
    >>> shape_id(("encoded_powershell", "lsass_access"), "encoded powershell by ? under ?; lsass access by ? under ?")
    'a3c1a496e9d2'
    """
    return stable_hash("behaviour shape", *kinds, text, length=12)
