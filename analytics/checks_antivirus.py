"""The check step of a cluster an antivirus detected (:mod:`analytics.antivirus`): what was found, where,
what the product did, how the detection matched, and whether it raised the risk.

The step leads the cluster's steps: a product's verdict on the cluster's own file is the most concrete
lead there is.  Threat names are the vendor's and paths the file writer's: both are quoted as every
value is (:func:`analytics.checks_facts.quote`).
"""

from __future__ import annotations

from collections.abc import Sequence

from analytics.antivirus import AV_RISK_FLOOR, AntivirusMatch
from analytics.checks import MAX_CHECKS
from analytics.checks_facts import hosts_text, quote
from analytics.explain import Check

__all__ = ["antivirus_step", "with_antivirus_step"]

NAMED = 3
"""Threat names, files and actions named in the step; the rest are counted."""

_UNCONTAINED = ("failed", "allowed", "detected")
"""What leaves the file where it was: those hosts come first."""
_STATES = {"failed": "the action failed", "allowed": "allowed", "detected": "not acted on yet"}


def antivirus_step(match: AntivirusMatch, cluster_hosts: int) -> Check:
    """The step about ``match`` for a cluster of ``cluster_hosts`` hosts.

    Examples
    --------
    >>> from analytics.antivirus import Detection, FileIdentity
    >>> d = Detection("ws-1", "c:\\\\users\\\\public\\\\upd.exe", FileIdentity("", "c:\\\\users\\\\public\\\\upd.exe", "upd.exe"),
    ...               "C:\\\\Users\\\\Public\\\\upd.exe", {"Trojan:Win32/Wacatac.B!ml": 1}, {"quarantined": 1},
    ...               {"Microsoft Defender Antivirus": 1})
    >>> print(antivirus_step(AntivirusMatch("path", [d], ["ws-1"], [], raised_from=56.1), 40).check)
    Microsoft Defender Antivirus detected Trojan:Win32/Wacatac.B!ml in C:\\Users\\Public\\upd.exe (matched by its full path) on 1 of the cluster's 40 hosts (ws-1) and on no host outside it; what it did: quarantined 1. The risk was raised from 56.1 to 80 by this detection (a floor). Check that the remaining 39 cluster hosts do not run the same file undetected (signature age, exclusions), and how the file arrived on the first host
    """
    products = _listed(match.totals("products"), with_counts=False) or "An antivirus"
    threats = _listed(match.totals("threats"), with_counts=False) or "a threat"
    files = list(dict.fromkeys(d.shown for d in match.detections))
    shown = ", ".join(quote(f) for f in files[:NAMED]) + (f" and {len(files) - NAMED} more files" if len(files) > NAMED else "")
    how = _HOW[match.how]
    inside = len(match.cluster_hosts)
    where = (f"on {inside} of the cluster's {cluster_hosts} hosts ({hosts_text(match.cluster_hosts)})" if inside
             else f"on none of the cluster's {cluster_hosts} hosts")
    where += _other_kinds(match, match.cluster_hosts)
    outside = len(match.other_hosts)
    others = (f"on {outside} host{'s' if outside != 1 else ''} outside it ({hosts_text(match.other_hosts)})"
              if outside else "on no host outside it")
    others += _other_kinds(match, match.other_hosts)
    actions = match.totals("actions")
    did = f"; what it did: {_listed(actions, with_counts=True)}" if actions else ""
    raised = (f" The risk was raised from {match.raised_from:.1f} to {AV_RISK_FLOOR:g} by this detection (a floor)."
              if match.raised_from is not None else "")
    strong = len(match.strong_cluster_hosts)
    if match.raised_from is None and 0 < strong < match.floor_needs:
        whose = "is that host's" if strong == 1 else "are those hosts'"
        raised += (f" Not raised to the {AV_RISK_FLOOR:g} floor: that needs a SHA-256 or path detection on "
                   f"{match.floor_needs} of the cluster's hosts, and {strong} host{'s' if strong != 1 else ''} alone "
                   f"{whose} word (log lines can be forged or misattributed).")
    if match.reporters_elsewhere and strong < match.floor_needs:  # below the floor: one host's word, whose?
        many = sorted(match.reporters_elsewhere.items(), key=lambda item: (-item[1], item[0]))
        named = ", ".join(f"{host} ({n} other cluster{'s' if n != 1 else ''})" for host, n in many[:NAMED])
        more = f" and {len(many) - NAMED} more hosts" if len(many) > NAMED else ""
        raised += (f" Detected hosts that also report other clusters' files in this run: {named}{more}; one host "
                   "reporting the files of many clusters is the shape of forged lines, or of a host that runs "
                   "every rollout: read that host's detections first.")
    uncontained = [a for a in _UNCONTAINED if a in actions]
    if uncontained:
        first = (f" Start with the hosts where the file was not removed ({', '.join(_STATES[a] for a in uncontained)}): "
                 "it may still be there and may have run; then")
    else:
        rest = cluster_hosts - inside
        first = (f" Check that the remaining {rest} cluster host{'s' if rest != 1 else ''} do not run the same file "
                 "undetected (signature age, exclusions), and" if rest > 0 else " Check")
    text = (f"{products} detected {threats} in {shown} ({how}) {where} and {others}{did}.{raised}"
            f"{first} how the file arrived on the first host")
    return Check(
        None,
        text,
        "the vendor confirms a false positive, or the signature names a tool your IT deploys (a hack-tool or "
        "PUA detection of an administration tool) and an exclusion or change ticket documents it",
    )


_HOW = {
    "SHA-256": "matched by SHA-256",
    "path": "matched by its full path",
    "file name": "matched by file name only, a weaker match: compare the detected file's path and "
                 "SHA-256 with the cluster's before relying on it",
}
_HOW_SHORT = {"SHA-256": "by SHA-256", "path": "by full path", "file name": "by file name only"}


def _other_kinds(match: AntivirusMatch, hosts: Sequence[str]) -> str:
    """How ``hosts`` matched, when not all as ``match.how``: each kind with its hosts (none dropped)."""
    grouped = match.hosts_by_kind(hosts)
    if not grouped or list(grouped) == [match.how]:
        return ""
    parts = [f"{_HOW_SHORT[kind]} on {hosts_text(chosen)}" for kind, chosen in grouped.items()]
    return f" (per host: {'; '.join(parts)})"


def with_antivirus_step(checks: Sequence[Check], step: Check) -> tuple[Check, ...]:
    """``checks`` with ``step`` first, at most :data:`~analytics.checks.MAX_CHECKS`: the least
    contributing feature's step (the last with a feature) gives way."""
    kept = list(checks)
    if len(kept) + 1 > MAX_CHECKS:
        last = max((i for i, c in enumerate(kept) if c.feature is not None), default=len(kept) - 1)
        del kept[last]
    return (step, *kept)


def _listed(counts: dict[str, int], *, with_counts: bool) -> str:
    labels = list(counts)
    named = ", ".join(quote(label, 60) + (f" {counts[label]}" if with_counts else "") for label in labels[:NAMED])
    return named + (f" and {len(labels) - NAMED} more" if len(labels) > NAMED else "")
