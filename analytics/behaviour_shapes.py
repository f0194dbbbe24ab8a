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

Attacker text: a path is data, cut to :data:`PATH_LIMIT` characters, never parsed
for more than its separators.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from analytics.behaviour_words import FACT_WORDS
from graphsiem.model import Entity, EntityKey, stable_hash

if TYPE_CHECKING:
    from analytics.behaviour_pivots import Fact

__all__ = ["PATH_LIMIT", "SHARED_PROFILES", "Shapes", "image_path", "shape_id"]

PATH_LIMIT = 120
"""Most characters of one generalised path in a shape's text."""
SHARED_PROFILES = frozenset({"public", "default", "all users", "default user"})
"""Folders under ``c:\\users`` that are no one user's profile (kept in a shape)."""
_IMAGE_PROPS = ("image", "executable", "process.executable", "path")
_EXTENSION = re.compile(r"\.[a-z0-9]{1,5}$")


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
                 parents: Mapping[EntityKey, Collection[EntityKey]], *, min_hosts: int) -> None:
        self._processes = processes
        self._parents = parents
        self._min_hosts = min_hosts
        self._paths: dict[EntityKey, list[str]] = {}
        hosts: dict[tuple[int, str], set[int]] = defaultdict(set)
        for fact in facts:
            for process in (fact.process, *parents.get(fact.process, ())):
                for depth, part in enumerate(self._path_parts(process)):
                    hosts[(depth, part)].add(fact.host_row)
        self._shared = frozenset(where for where, seen in hosts.items() if len(seen) >= min_hosts)
        self._cache: dict[EntityKey, str] = {}
        self._ids: dict[tuple[tuple[str, str], str], str] = {}

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

    def of_process(self, process: EntityKey) -> str:
        """``<generalised image path> under <its parents' generalised image paths>`` (``?``: no parent known)."""
        if process not in self._cache:
            parents = sorted({self._generalised(p) for p in self._parents.get(process, ())})
            self._cache[process] = f"{self._generalised(process)} under {' | '.join(parents) or '?'}"
        return self._cache[process]

    def of_pair(self, kinds: tuple[str, str], a: Fact, b: Fact) -> tuple[str, str]:
        """The shape of a pair of facts of ``kinds``: its id (12 hex digits) and its text, by kind.

        ``lsass access by c:\\users\\public\\*.exe under c:\\windows\\explorer.exe; encoded powershell by …``
        """
        return self.of_classes(kinds, {a.kind: self.of_process(a.process), b.kind: self.of_process(b.process)})

    def of_fact(self, fact: Fact) -> str:
        """The shape of the process behind ``fact`` (:meth:`of_process`)."""
        return self.of_process(fact.process)

    def of_classes(self, kinds: tuple[str, str], by_kind: Mapping[str, str]) -> tuple[str, str]:
        """The shape of a pair of ``kinds`` whose processes' shapes are ``by_kind`` (kind -> :meth:`of_process`)."""
        text = "; ".join(f"{FACT_WORDS[k]} by {by_kind[k]}" for k in kinds)
        key = (kinds, text)
        if key not in self._ids:
            self._ids[key] = shape_id(kinds, text)
        return self._ids[key], text


def shape_id(kinds: tuple[str, str], text: str) -> str:
    """The id of the shape ``text`` of a pair of ``kinds`` (12 hex digits, the same in every run).

    Examples
    --------
    >>> shape_id(("encoded_powershell", "lsass_access"), "encoded powershell by ? under ?; lsass access by ? under ?")
    'a3c1a496e9d2'
    """
    return stable_hash("behaviour shape", *kinds, text, length=12)
