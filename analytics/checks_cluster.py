"""Check steps about the cluster as a whole rather than one feature: a young, spreading pivot
(patient zero first), a low-confidence risk (too few candidates, no data from before the window),
and the one step of a cluster no feature sets apart.
"""

from __future__ import annotations

from datetime import UTC, datetime

from analytics.checks_facts import Facts, hosts_text, quote
from analytics.cluster_summary import duration_text
from analytics.explain import Check


def patient_zero_step(f: Facts) -> Check | None:
    """A young and spreading pivot (low and slow): its earlier hosts, the first above all, come first."""
    young = f.explanation.young
    if young is None:
        return None
    days = young.days_ago
    first = datetime.fromtimestamp(young.first_seen, tz=UTC).strftime("%Y-%m-%d %H:%MZ")
    return Check(
        None,
        f"{f.pivot_text[:1].upper()}{f.pivot_text[1:]} is not new in this window: the fleet first saw it {days} day{'s' if days != 1 else ''} ago "
        f"({first}) on {young.earlier_hosts} host{'s' if young.earlier_hosts != 1 else ''}, and it is spreading "
        f"to {young.new_hosts} new host{'s' if young.new_hosts != 1 else ''} in this window: look at the "
        "earlier hosts first, the first of them above all (patient zero): how it arrived there "
        "(a download, an e-mail attachment, a share, a logon from another host) and what ran next; then "
        f"whether the same chain reached the new hosts ({hosts_text(f.hosts)})",
        "the earlier hosts are the pilot group of a planned rollout (a change ticket from that date) "
        "and the new hosts its next wave, installed the same way",
    )


def low_confidence_step(f: Facts) -> Check | None:
    candidates = f.explanation.candidates
    if f.explanation.confidence != "low":
        return None
    if not f.explanation.history:
        return Check(
            None,
            f"{_without_history(f)}, so whether {f.pivot_text} and the "
            "other members are new in the fleet cannot be told, and first contacts may only be where their data "
            "begins: judge them by hand (how many hosts normally see them, and since when: your EDR or proxy "
            "history before the window)",
            "the pivot and its members are software the fleet already ran before the window",
        )
    among = f"only {candidates} new cluster{'s' if candidates != 1 else ''}" if candidates is not None else "too few new clusters"
    return Check(
        None,
        f"The risk is relative to {among}, too few to tell what is unusual: judge {f.pivot_text} "
        "by hand (how many hosts normally see it, and since when)",
        "the pivot and its members are software the fleet already runs elsewhere or ran before the window",
    )


def _without_history(f: Facts) -> str:
    """What the history test found (:mod:`analytics.history`): which hosts have no data from before
    the window.  Not "the store holds none": a store with years of other hosts' data may (review T5).

    Examples
    --------
    >>> from analytics.explain import Explanation
    >>> from analytics.history import HistoryCounts
    >>> from graphsiem.model import Entity
    >>> def said(*counts):
    ...     e = Explanation("", (), history=False, history_counts=HistoryCounts(*counts))
    ...     return _without_history(Facts(e, Entity("domain", "d", "d"), [], [], 0.0, {}))
    >>> said(3, 0, 3, 0)
    "None of the cluster's 3 hosts has data from before the detection window (they are all the hosts seen in it)"
    >>> said(40, 2, 3, 0)
    "None of the cluster's 3 hosts has data from before the detection window, and 2 of the 40 hosts seen in it do"
    """
    counts = f.explanation.history_counts
    if counts is None:
        return "Most hosts seen in the detection window have no data from before it"
    n, with_history = counts.cluster_hosts, counts.cluster_with_history
    if with_history == 0:
        head = f"None of the cluster's {n} host{'s' if n != 1 else ''} has"
    elif with_history == n:
        head = f"The cluster's {n} host{'s' if n != 1 else ''} have"
    else:
        head = f"Only {with_history} of the cluster's {n} hosts have"
    head += " data from before the detection window"
    if (counts.window_hosts, counts.window_with_history) == (n, with_history):
        return head + " (they are all the hosts seen in it)"
    but = ", but only" if with_history == n else ", and"
    return f"{head}{but} {counts.window_with_history} of the {counts.window_hosts} hosts seen in it do"


def ordinary_step(f: Facts) -> Check:
    """The one step of a cluster no feature sets apart (often a rollout): confirm it was planned."""
    full = float(f.features.get("first_contact_range_min", 0.0))
    pairs = ", ".join(f"{quote(p.parent, 40)} → {quote(p.child, 40)}" for p in f.explanation.lineage[:2])
    also = f", with {f.new_word}{pairs}" if pairs else ""
    return Check(
        None,
        f"No feature sets this cluster apart from an ordinary one: {len(f.hosts)} hosts {f.verb} "
        f"{f.pivot_text} over {duration_text(full)}{also}; confirm it is planned or ordinary use: look for "
        f"a deployment job or change ticket at {f.span(full)}, or the application that uses it",
        "a deployment or change ticket (your deployment agent, SCCM/Intune/GPO) or a known application "
        "the fleet uses accounts for it on these hosts",
    )
