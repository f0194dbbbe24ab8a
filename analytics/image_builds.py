"""Which candidate file pivots are only a build a process ran (task T16B).

The projection names each build a process creation ran as a file keyed by its SHA-256 (``image_of``:
the image path, :mod:`ingest.projection_builds`), so a new build at a known path and command line (a
trojanised vendor updater) is a new file on its hosts and clusters.  A new program is a new process
and a new build at once, on the same hosts: there the process (or a file the hosts got, a domain)
should name the cluster, as it did before builds were files.  :func:`image_builds` finds the builds
nothing else brought (no write, download, upload, origin, install or detection), which
:func:`analytics.pivot_selection.pivot_order` ranks just after a process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from graphsiem.model import EntityKey, EntityType, RelationType
from graphsiem.store.base import GraphStore

IMAGE_OF = "image_of"
"""The file prop naming the image path a build ran as (written by :mod:`ingest.projection_builds`)."""
BROUGHT_BY = tuple(r.value for r in (
    RelationType.WROTE, RelationType.DOWNLOADED, RelationType.UPLOADED, RelationType.SERVED_BY,
    RelationType.INSTALLED, RelationType.DETECTED,
))
"""How a file reaches hosts besides being run: a file with one of these is a payload, named as a file."""


def image_builds(store: GraphStore, files: Iterable[EntityKey]) -> frozenset[EntityKey]:
    """The ``files`` that are a build a process ran and that nothing else brought to a host.

    Parameters
    ----------
    store : GraphStore
    files : iterable of EntityKey
        Candidate pivots; only files are read (one entity read each, one neighbour read for a build).

    Returns
    -------
    frozenset of EntityKey
    """
    found = set()
    for kind, key in files:
        if kind != EntityType.FILE:
            continue
        entity = store.get_entity(kind, key)
        if entity is None or not entity.props.get(IMAGE_OF):
            continue
        if not store.neighbors(kind, key, relation_types=list(BROUGHT_BY), limit=1):
            found.add((kind, key))
    return frozenset(found)


@dataclass(slots=True, frozen=True)
class NewBuild:
    """A build pivot's words (task T16C): the path it ran as, its digest, the fleet's usual build there.

    ``usual_sha256`` is the build of the process that ran it as the process node keeps it (its earliest
    creation's, :mod:`graphsiem.store.earliest_build`); ``None`` when that is this build (a new program).
    ``usual_hosts``: how many hosts ever ran the usual build (``None`` when the incidence does not hold it).
    """

    image: str
    sha256: str
    usual_sha256: str | None = None
    usual_hosts: int | None = None


def new_builds(
    store: GraphStore, builds: Iterable[EntityKey], hosts_of: Callable[[EntityKey], int | None],
) -> dict[EntityKey, NewBuild]:
    """Each build pivot's :class:`NewBuild`: one entity read and one read of the processes that loaded it.

    Parameters
    ----------
    store : GraphStore
    builds : iterable of EntityKey
        The build files (:func:`image_builds`).
    hosts_of : callable
        How many hosts ever saw a file key (``None``: unknown).

    Returns
    -------
    dict of EntityKey to NewBuild
    """
    found = {}
    for kind, key in builds:
        entity = store.get_entity(kind, key)
        if entity is None or not entity.props.get(IMAGE_OF):
            continue
        loaders = store.neighbors(kind, key, direction="in", relation_types=[RelationType.LOADED.value],
                                  entity_types=[EntityType.PROCESS.value])
        # the process node keeps one build, its earliest creation's: the fleet's usual build at this path
        usual = next((d for n in loaders if (d := str(n.entity.props.get("sha256") or "").lower()) and d != key), None)
        found[(kind, key)] = NewBuild(str(entity.props[IMAGE_OF]), key, usual,
                                      hosts_of((EntityType.FILE, usual)) if usual else None)
    return found
