"""When an antivirus detected a file, and on which hosts, from its ``DETECTED`` edges (review R20 #2).

An antivirus detection is no sighting of its file (projection 7, :mod:`ingest.projection_antivirus`):
a pivot must not count a quarantined download as the fleet running it.  So a file known only from
detections had no sighting, and its entity page said "hosts 0, first seen —", and a host whose only
event was a detection the same.  The detections are dated relations (``host DETECTED file``): they
date the file and the host on the entity page and count the hosts that detected the file, beside
the sightings, as a user's logons do (:mod:`graphsiem.api.services.user_activity`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from graphsiem.api.services.user_activity import ends_named, relations_span
from graphsiem.store.base import GraphStore

DETECTION_ACTIVITY_LIMIT = 1000
"""``DETECTED`` edges read per entity (the most evidenced first): a file detected on more hosts, or a
host that detected more files, counts these (the count then says at least this many)."""


@dataclass(frozen=True, slots=True)
class DetectionActivity:
    """An entity's detections: how many distinct other ends, first and last (epoch seconds), and
    the first :data:`~graphsiem.api.services.user_activity.NAMED_ENDS` of them by name (sorted)."""

    others: int
    first_seen: float | None
    last_seen: float | None
    named: tuple[str, ...] = ()


def detection_activity(store: GraphStore, entity_type: str, key: str) -> DetectionActivity:
    """The hosts that detected file ``key``, or the files host ``key`` detected, and when.

    Parameters
    ----------
    store : GraphStore
        Either store: read with :meth:`~graphsiem.store.base.GraphStore.neighbors`.
    entity_type : {"file", "host"}
        A file reads its incoming ``DETECTED`` edges (the hosts), a host its outgoing ones (the files).
    key : str
        The entity's key.

    Returns
    -------
    DetectionActivity
        ``others`` 0, ``None`` times and no names for an entity with no detection.
    """
    direction: Literal["in", "out"] = "in" if entity_type == "file" else "out"
    found = store.neighbors(entity_type, key, direction=direction, relation_types=("DETECTED",),
                            limit=DETECTION_ACTIVITY_LIMIT)
    return DetectionActivity(*relations_span(found), named=ends_named(found))
