"""A benign verdict on a product's behaviour shape carries to its new build on the same hosts (task TREE item 3).

A behaviour shape (:mod:`analytics.behaviour_shapes`) holds the digest of a per-host image a
product's hosts share (``memdiag.exe (sha256 0123456789ab)``), so a vendor update's new build is
a new shape, key and cluster, and the analyst's benign verdict on last week's shape did not
carry: the same job was judged again every update.  A changed binary under a known path is
worth a look when it could be a campaign's, and not when it is the product's rollout: the new
build is on **at least the hosts the verdict was given on**, and the rest of the shape (every
path, parent and installer) is the judged one's.  A campaign replacing the vendor's binary on
some of its hosts has a shape that differs from the judged one only by its digest too, but on a
subset of the judged hosts: it keeps its own key, and is shown.

How: a window group's shape text with each of its digests replaced by a digest its hosts' own
facts ran before the window (the same algorithm; the earlier build) is the shape the verdict
may have been given on; when the key of that text is suppressed
(``DetectionConfig.suppressed``) and the hosts its verdict recorded
(``DetectionConfig.suppressed_members``, ``("host", name)`` keys) are all among the group's
hosts, the group takes that key (:func:`carried_shape`), so the suppression applies to it as it
does to the judged shape (:func:`analytics.clusters.covers_hosts`).  A verdict that recorded no
hosts carries nothing (the host set cannot be compared).  Digests are replaced as the literal
12-hex text the shape holds: no pattern is built from any text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping

from analytics.behaviour_shapes import image_digest, shape_id
from analytics.behaviour_words import behaviour_key
from graphsiem.model import Entity, EntityKey

__all__ = ["MAX_EARLIER_BUILDS", "carried_shape"]

MAX_EARLIER_BUILDS = 8
"""Earlier digests tried per window digest (the most common on the group's hosts first)."""
_HOST = "host"


def carried_shape(
    kinds: tuple[str, str], text: str, hosts: Collection[str], window_processes: Iterable[EntityKey],
    earlier: Mapping[str, Iterable[EntityKey]], processes: Mapping[EntityKey, Entity], *,
    suppressed: Collection[EntityKey], suppressed_members: Mapping[EntityKey, frozenset[EntityKey]],
) -> tuple[str, str] | None:
    """The judged shape a group of a new build inherits: ``(shape id, judged digest)``, or None.

    Parameters
    ----------
    kinds, text : the group's pair of kinds and shape text.
    hosts : its hosts (names).
    window_processes : the processes behind its facts in the window (their digests are the new build's).
    earlier : host name -> the processes behind its facts before the window.
    processes : the process entities by key.
    suppressed, suppressed_members : the detection's suppressions (benign verdicts) and what each covered.
    """
    if not suppressed:
        return None
    new = {d for d in (image_digest(processes.get(p)) for p in window_processes) if d is not None}
    shown = [(algorithm, value) for algorithm, value in sorted(new) if f"({algorithm} {value[:12]})" in text]
    if not shown:
        return None
    hosts = set(hosts)
    older: Counter[tuple[str, str]] = Counter()
    for host in sorted(hosts):
        older.update({d for d in (image_digest(processes.get(p)) for p in earlier.get(host, ())) if d is not None})
    for algorithm, value in shown:
        mine = f"({algorithm} {value[:12]})"
        for (old_algorithm, old), _ in older.most_common(MAX_EARLIER_BUILDS + 1):
            if old_algorithm != algorithm or old[:12] == value[:12]:
                continue
            judged = text.replace(mine, f"({algorithm} {old[:12]})")
            shape = shape_id(kinds, judged)
            key = behaviour_key(kinds, shape)
            judged_hosts = {name for kind, name in suppressed_members.get(key, ()) if kind == _HOST}
            # on at least the hosts the verdict was given on: the product's rollout, not a subset's swap
            if key in suppressed and judged_hosts and judged_hosts <= hosts:
                return shape, old
    return None
