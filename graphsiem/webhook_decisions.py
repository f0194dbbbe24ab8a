"""Which alert the webhook sends for a cluster, and under which delivery id.

Pure functions of the cluster's contract copies (this run's, the store's
previous one, the one the receiver was last told), split from
:mod:`graphsiem.webhook` (which re-exports them) so that module keeps to its
delivery (outbox, signing, retries) under ~500 lines.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from graphsiem.api.cluster_lineage import member_keys

__all__ = ["CONFIDENCE_LEVELS", "classify", "decide", "delivery_id", "meets_confidence", "never_told"]


def classify(cluster: dict[str, Any], previous: dict[str, Any] | None,
             min_score: float) -> str | None:
    """``"cluster.new"``, ``"cluster.grown"`` or ``None`` (no delivery).

    Grown: more hosts or entities than ``previous``, or a host or member
    ``previous`` did not have (a case continued under another pivot that
    swapped one member for an attacker's file has as many members as before,
    and is not the case the receiver was told about), or a score that rose
    past ``min_score``.
    """
    score = float(cluster.get("score", 0.0))
    if score < min_score:
        return None
    if previous is None:
        return "cluster.new"
    grew = (len(cluster.get("hosts", [])) > len(previous.get("hosts", []))
            or len(cluster.get("entities", [])) > len(previous.get("entities", [])))
    changed = (bool(set(map(str, cluster.get("hosts", [])))
                    - set(map(str, previous.get("hosts", []))))
               or _has_new_members(cluster, previous))
    crossed = float(previous.get("score", 0.0)) < min_score
    return "cluster.grown" if grew or changed or crossed else None


def decide(cluster: dict[str, Any], previous: dict[str, Any] | None, told: dict[str, Any] | None,
           min_score: float) -> tuple[str, dict[str, Any] | None] | None:
    """The event to send for ``cluster`` and the copy it was compared with, or ``None``.

    ``told`` is the copy the receiver was last sent of this id or of its case
    (:func:`graphsiem.webhook_told.last_told`); without one, ``previous``, the
    copy the store last held (the previous run's, or the last one stored when
    the previous run did not produce it: ``previous["active"]`` is then False).
    An id the receiver was told about is never ``cluster.new`` again: when the
    previous run did not produce it (an activated backtest left it out, a
    benign verdict since lifted, a quiet day), it is ``cluster.returned`` if it
    has a host or member, or a risk over the threshold, that the copy compared
    with lacked, and nothing if not.  Otherwise :func:`classify`.

    Examples
    --------
    >>> told = {"score": 90.0, "hosts": ["a"], "entities": [1]}
    >>> decide({"score": 90.0, "hosts": ["a"], "entities": [1]}, None, told, 80.0) is None
    True
    >>> decide({"score": 90.0, "hosts": ["a", "b"], "entities": [1]}, None, told, 80.0)[0]
    'cluster.returned'
    """
    reference = told if told is not None else previous
    event = classify(cluster, reference, min_score)
    if event is None or reference is None:
        return None if event is None else (event, None)
    absent = previous is None or previous.get("active") is False
    return ("cluster.returned" if absent else event), reference


def delivery_id(cluster: dict[str, Any], event: str) -> str:
    """The alert's ``X-GraphSIEM-Delivery``: the same for the same change of the same cluster.

    Derived from the id, the event, the hosts and the members (not from the run
    or the time), so that a change decided twice (a state restored from a
    backup, a detection repeated) reaches a deduping receiver once.

    Examples
    --------
    >>> a = {"id": "c1", "hosts": ["b", "a"], "members": [{"type": "file", "key": "x"}]}
    >>> delivery_id(a, "cluster.new") == delivery_id({**a, "hosts": ["a", "b"], "score": 1}, "cluster.new")
    True
    >>> delivery_id(a, "cluster.new") == delivery_id({**a, "hosts": ["a"]}, "cluster.new")
    False
    """
    change = [str(cluster.get("id", "")), event, sorted(map(str, cluster.get("hosts") or [])),
              sorted(member_keys(cluster)), len(cluster.get("entities") or [])]
    return hashlib.sha256(orjson.dumps(change)).hexdigest()[:16]


def _has_new_members(cluster: dict[str, Any], previous: dict[str, Any]) -> bool:
    """Whether ``cluster`` has a member ``previous`` did not (False when either lists none)."""
    now, before = member_keys(cluster), member_keys(previous)
    return bool(now and before and now - before)


CONFIDENCE_LEVELS = ("low", "normal")
"""The values of a cluster's ``score_confidence``, weakest first (:class:`analytics.explain.Explanation`).

``low``: the run had too few candidates for the forest's score to mean much, or
most hosts had no history before the window (day one of a fleet: every cluster
is low, review U3 #2).  Findings (credential, host, antivirus) have a rule's
fixed risk, not the forest's, and are ``normal``.
"""


def meets_confidence(cluster: dict[str, Any], floor: str) -> bool:
    """Whether ``cluster``'s ``score_confidence`` is at least ``floor``.

    A cluster without one (stored before the field existed) counts as ``normal``.

    Examples
    --------
    >>> meets_confidence({"score_confidence": "low"}, "normal"), meets_confidence({}, "normal")
    (False, True)
    >>> meets_confidence({"score_confidence": "low"}, "low")
    True
    """
    confidence = cluster.get("score_confidence") or "normal"
    rank = CONFIDENCE_LEVELS.index(confidence) if confidence in CONFIDENCE_LEVELS else len(CONFIDENCE_LEVELS)
    return rank >= CONFIDENCE_LEVELS.index(floor)


def never_told(previous: dict[str, Any] | None, *, is_settled: bool, was_forgotten: bool = False) -> bool:
    """Whether a cluster with no told copy (nor its case) is new to the receiver.

    ``previous`` is the copy the store last held.  None, or one the previous
    run produced (``active`` not False): the receiver was never sent it (a
    webhook turned on for an existing queue, an upgrade from before
    ``webhook_told``, a cluster that stayed under the threshold), so it is
    compared with nothing and is ``cluster.new`` (review U3 #1: it was compared
    with that copy and, unchanged, sent nothing).  So is an inactive copy (a
    cluster inactive when the webhook was turned on, back now: task OPS2 #3).
    Two exceptions keep the comparison with ``previous``: an id whose told row
    was pruned after ``told_retention_s`` (``was_forgotten``,
    :func:`graphsiem.webhook_told.forgotten`: it was told once), and a cluster
    an analyst closed or judged benign (``is_settled``): only a change since
    the stored copy is worth a receiver's attention then.

    Examples
    --------
    >>> never_told({"active": True}, is_settled=False), never_told({"active": False}, is_settled=False)
    (True, True)
    >>> never_told({"active": False}, is_settled=False, was_forgotten=True)
    False
    >>> never_told({"active": True}, is_settled=True)
    False
    """
    if previous is None:
        return True
    return not is_settled and not was_forgotten
