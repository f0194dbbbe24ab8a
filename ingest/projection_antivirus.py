"""The projection of antivirus detections: ``host DETECTED file``.

An ``av:detection`` event (:mod:`ingest.parsers.syslog_antivirus`: Symantec's
``Security Risk Found!`` sent as syslog text) names the host the product runs
on and the file it found a threat in.  The file is keyed as every file is
(:meth:`ingest.projection_entities.EntityBuilders._file`: a digest first, else its
path), so the same malware found on forty hosts is one file node with forty
``DETECTED`` edges: a host page leads to it, and a fan-out pivot counts its hosts.
The edge keeps nothing of the threat name or action: those stay on the event
(the evidence the edge lists), as attacker-chosen text should.
"""

from __future__ import annotations

from collections.abc import Callable

from graphsiem.model import EntityKey
from graphsiem.model import RelationType as R
from ingest.projection_accumulator import EventContext

__all__ = ["AV_KINDS", "detection_rule"]

AV_KINDS = ("av:detection",)
"""The event kinds this rule projects."""


def detection_rule(file_of: Callable[[EventContext], EntityKey | None]) -> Callable[[EventContext], None]:
    """The projector's rule for an antivirus detection: ``host DETECTED file``.

    Parameters
    ----------
    file_of : callable
        The projector's file rule (``EventContext -> file key``, None when the event names no file).
    """

    def detection(ctx: EventContext) -> None:
        # no file named (a detection of memory, a registry value): the host alone is sighted
        ctx.rel(ctx.host, R.DETECTED, file_of(ctx))

    return detection
