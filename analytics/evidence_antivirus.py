"""Evidence rows of a cluster's antivirus detections (:mod:`analytics.antivirus`).

A detection matched by path or name is no member relation of the cluster (the
detected file may be another node than the member process's image), so
:func:`analytics.evidence.evidence_ids` does not reach it.  Its events go first
in the cluster's evidence, so the page and the bundle show the product's
verdict beside the activity: the cluster's hosts' first, then other hosts'.
"""

from __future__ import annotations

from analytics.antivirus import AntivirusMatch

__all__ = ["DETECTIONS_SHOWN", "with_detection_evidence"]

DETECTIONS_SHOWN = 5
"""Detection events put in a cluster's evidence at most."""


def with_detection_evidence(
    pairs: list[tuple[str, str]], match: AntivirusMatch | None, *, limit: int
) -> list[tuple[str, str]]:
    """``pairs`` (``(relation type, event id)``) with the detections' events first, ``limit`` pairs in all.

    Examples
    --------
    >>> from analytics.antivirus import Detection, FileIdentity
    >>> d = lambda host, *ids: Detection(host, "k", FileIdentity("", "", "x.exe"), "x.exe", evidence=ids)
    >>> match = AntivirusMatch("file name", [d("ws-9", "e9"), d("ws-1", "e1", "e2")], ["ws-1"], ["ws-9"])
    >>> with_detection_evidence([("RAN", "r1"), ("DETECTED", "e1")], match, limit=3)
    [('DETECTED', 'e1'), ('DETECTED', 'e2'), ('DETECTED', 'e9')]
    """
    if match is None:
        return pairs[:limit]
    inside = set(match.cluster_hosts)
    ordered = sorted(match.detections, key=lambda d: (d.host not in inside, d.host))
    ids = list(dict.fromkeys(i for d in ordered for i in d.evidence))[:DETECTIONS_SHOWN]
    chosen = {("DETECTED", i) for i in ids}
    rows = [("DETECTED", i) for i in ids] + [p for p in pairs if p not in chosen]
    return rows[:limit]
