"""A process creation's image build as a file node of its own: which build each host ran (task T16B).

A process node is keyed by its image path and command line, so every host's run of one vendor
updater is one node, and its ``sha256`` is one build, the earliest creation's
(:mod:`graphsiem.store.earliest_build`).  A trojanised updater dropped at the vendor's path and run
with its command line (red team T16, ``masq.yaml``: a per-host payload from a poisoned domain, no
LSASS read, no encoded command) was the same node on its 60 hosts: no new entity, no cluster, no
finding.

So a creation that says its image's SHA-256 (Sysmon 1 ``Hashes``, an ECS ``process.hash.sha256``)
also names the image's file, keyed by that digest as any file is
(:meth:`ingest.projection_entities.EntityBuilders._file`), with ``process LOADED file`` (Windows
maps the image as Sysmon 7 reports it) and a sighting on the host when it runs there.  A build new
to the fleet, run on ``min_hosts`` hosts or more, is then a new file in the window like a dropped
payload, and clusters by the clustering's own rules; the fleet's usual build is old everywhere and
stays out of pivots.  The file's ``image_of`` prop is the image path it ran as (its first run's
spelling), which the cluster's words read (:func:`analytics.cluster_summary.summarize`).
"""

from __future__ import annotations

from typing import Any

from graphsiem.model import EntityKey
from ingest.image_paths import basename
from ingest.projection_accumulator import FILE, EventContext, R
from ingest.projection_processes import PROCESS_FIELDS

IMAGE_OF = "image_of"
"""The file prop naming the image path a build ran as (set once: its first run's spelling)."""

_IMAGE, _SHA256 = PROCESS_FIELDS[0], PROCESS_FIELDS[5]


def relate_image_build(ctx: EventContext, process: EntityKey | None) -> EntityKey | None:
    """``process LOADED file`` for the build the creation in ``ctx`` says it ran; the file, or None.

    Parameters
    ----------
    ctx : EventContext
        A process creation's context (its fields name the new process).
    process : EntityKey or None
        The created process (:meth:`ingest.projection_processes.ProcessBuilders._process`).

    Returns
    -------
    EntityKey or None
        ``("file", <lower-case SHA-256>)``; None when the event names no SHA-256 or no process.
    """
    fields = ctx.fields
    digest = fields.get(_SHA256)
    if process is None or not digest:
        return None
    key = str(digest).lower()
    ref = (FILE, key)
    entity = ctx.acc.entities.get(ref)
    props: dict[str, Any] = {} if entity is None else entity.props
    image = fields.get(_IMAGE)
    if image and IMAGE_OF not in props:
        image = str(image)
        props[IMAGE_OF] = image
        props.setdefault("path", image)
        props.setdefault("name", basename(image))
    props.setdefault("sha256", str(digest))
    if entity is None:
        ctx.acc.entity(FILE, key, str(image or key), props)
    ctx.rel(process, R.LOADED, ref)
    return ref
