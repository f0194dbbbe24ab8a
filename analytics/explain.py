"""Explanations: which features drove a cluster's risk, and a one-line summary.

Attribution method: **exact Shapley values against a baseline cluster**.  The
baseline ``b`` is the median of each feature over all candidate clusters of the
detection (the "ordinary cluster").  For cluster ``x`` and a set ``S`` of
features, ``v(S)`` is the risk of ``x`` with the features outside ``S`` set to
their baseline; the contribution of feature ``f`` is its Shapley value in that
game, divided by 100.  Contributions therefore **sum to
(risk(x) - risk(b)) / 100**: they split, in shares of the 0–100 scale, how far
the cluster's risk sits above an ordinary cluster's.  Positive = the feature
made the cluster more suspicious.  With a one-sided scorer (``directions``,
:mod:`analytics.scoring`) a value on the benign side of the baseline is
clipped onto the baseline and so contributes exactly 0.

Why Shapley and not a one-at-a-time "replace with baseline" delta: a campaign
is usually singled out by several features at once (new LSASS access *and* an
encoded command *and* a synchronised burst); removing any one of them alone
barely moves the risk, so one-at-a-time deltas are all near zero exactly when
the case is clearest.  Shapley values share the credit among such redundant
features.  Exact enumeration is affordable because only features that differ
from the baseline take part (``2**k`` evaluations for ``k`` of them, batched
into one forest call).

Explanations are data (:class:`FeatureContribution`); the summary is rendered
from those data here, at the edge, and treats every entity value as text.  What
an analyst should check next, and what would make the cluster benign
(:class:`Check`), is written by :mod:`analytics.checks` from the contributing
features and the cluster's members.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np

from analytics.behaviour_pivots import summary_words as behaviour_words
from analytics.credited_words import credited_who, plain
from analytics.feature_words import PLAIN_DESCRIPTIONS
from analytics.features import FEATURE_DESCRIPTIONS, SCORED_FEATURES, ClusterFacts, EntityStats
from analytics.history import HistoryCounts
from analytics.incidence import Incidence
from analytics.lineage import LineagePair
from analytics.linked_processes import LINEAGE_CREDIT, CreditedProcesses
from analytics.lookalike import Lookalike
from analytics.pivot_contacts import PivotContacts
from analytics.registered_domains import summary_words
from analytics.scoring import MIN_CONFIDENT_CANDIDATES, ClusterScorer
from graphsiem.model import EntityKey
from graphsiem.visible_text import visible

_BEHAVIOUR_TEXT = {
    "lsass_access": "LSASS memory accessed",
    "remote_thread": "remote thread injected",
    "encoded_command": "encoded PowerShell command",
    "download_from_new_domain": "download from a new domain or address",
    "driver_outside_drivers_dir": "kernel driver loaded from outside the Windows driver directory",
    "lookalike_domain": "look-alike of a domain the fleet uses",
}
_KNOWN_SOURCE_DOWNLOAD = "new file fetched from a source the fleet used before"
"""The download's words when its source is no new member (:attr:`ClusterFacts.download_from_known_source`)."""
_BEHAVIOUR_TEXT_WITHOUT_HISTORY = {
    # "new" cannot be told without data from before the window
    "download_from_new_domain": "download from the cluster's domain or address, then a run",
}
NO_HISTORY = (
    "low confidence: most hosts seen in the detection window have no data from before it, so what "
    "is new in the fleet, and when hosts first saw it, cannot be told"
)
"""The summary's reason when the fleet has no history (:mod:`analytics.history`).  What was tested
is the window's hosts, not the store: a 2019 backtest on 3 hosts of a store holding 2018-2019 data
said "the store holds no data from before the detection window" (review T5)."""
_VERB = {"domain": "contacted", "ip": "contacted", "url": "requested", "file": "got"}
_MAX_VALUE = 80


_DAY = 86400.0


@dataclass(slots=True, frozen=True)
class YoungPivot:
    """What the data say of a young and spreading pivot (low and slow, :mod:`analytics.novelty`).

    Such a pivot is not new in the window (``min_hosts`` hosts or more saw it
    before), but the fleet established it within the young horizon and at least
    ``min_hosts`` hosts first saw it inside the window: a campaign adding a few
    hosts a day.  ``first_seen`` is the fleet's first sighting (the
    ``established`` time instead when the first is older than the horizon: a
    host whose clock runs behind, or one early host), ``earlier_hosts`` the hosts
    that saw it before the window, ``new_hosts`` those that first saw it inside,
    ``since`` the horizon's start (the cluster's lineage and behaviours count
    from it) and ``window_end`` the end of the detection window ("ago").
    """

    first_seen: float
    earlier_hosts: int
    new_hosts: int
    since: float
    window_end: float

    @property
    def days_ago(self) -> int:
        """Whole days from the first sighting to the window's end (at least 1)."""
        return max(1, round((self.window_end - self.first_seen) / _DAY))

    def text(self) -> str:
        """The summary's clause.

        Examples
        --------
        >>> YoungPivot(0.0, 16, 4, 0.0, 4.6 * 86400).text()
        'first seen by the fleet 5 days ago on 16 hosts, spreading to 4 new hosts in this window'
        """
        days = self.days_ago
        return (
            f"first seen by the fleet {days} day{'s' if days != 1 else ''} ago on {self.earlier_hosts} "
            f"host{'s' if self.earlier_hosts != 1 else ''}, spreading to {self.new_hosts} new "
            f"host{'s' if self.new_hosts != 1 else ''} in this window"
        )


def young_pivot(stats: EntityStats, incidence: Incidence, column: int) -> YoungPivot | None:
    """The :class:`YoungPivot` facts of ``column``, or ``None`` when it is new in the window or not young.

    New hosts are the window's hosts whose first sighting of it lies inside the
    window; earlier hosts the rest of the hosts that ever saw it.
    """
    if stats.young_from is None or stats.is_new[column] or not stats.is_young[column]:
        return None
    cells = incidence.first_seen_of(column)
    new_hosts = int(np.count_nonzero(cells >= stats.window.start))
    first = float(stats.first_seen[column])
    if not np.isfinite(first) or first < stats.young_from:
        first = float(stats.established[column])
    earlier = max(int(stats.total_hosts[column]) - new_hosts, 0)
    return YoungPivot(first, earlier, new_hosts, float(stats.young_from), float(stats.window.end))


@dataclass(slots=True, frozen=True)
class FeatureContribution:
    """One feature of an explanation: its value, the fleet baseline and its contribution."""

    name: str
    value: float
    baseline: float
    contribution: float
    description: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(slots=True, frozen=True)
class Check:
    """One next step for an analyst: what to look at, and what finding would make the cluster benign.

    ``feature`` is the scored feature the step follows from (``None`` for a step
    about the cluster as a whole: its pivot's installation, a low-confidence run).
    Both texts are plain text quoting cluster values, never markup.
    """

    feature: str | None
    check: str
    benign_if: str

    def to_dict(self) -> dict[str, object]:
        return {"feature": self.feature, "check": self.check, "benign_if": self.benign_if}


@dataclass(slots=True, frozen=True)
class Explanation:
    """Why a cluster scored what it did.

    ``confidence`` is ``"low"`` when the run had fewer than
    :data:`~analytics.scoring.MIN_CONFIDENT_CANDIDATES` candidate clusters: the
    forest compares clusters with each other, and with so few it cannot tell
    them apart (two candidates both score 50, every contribution 0).  It is
    ``"low"`` too when most hosts seen in the window have no data from before it
    (``history`` False, :mod:`analytics.history`): everything is then "new"
    and every first contact falls at the start of the data, so the features
    that measure novelty and synchronisation measure the data's start.  The
    summary says which reason applies.  It is not part of :meth:`to_dict` (the contract's
    ``explanation`` is ``summary`` and ``features``); the cluster contract
    carries it as ``score_confidence``.

    ``checks`` are the analyst's next steps (:mod:`analytics.checks`), filled in
    by :class:`~analytics.result.Cluster`, which knows the members and times.
    ``lineage``, ``new_members``, ``drivers`` (new kernel-driver members from
    outside the Windows driver directory), ``candidates`` and ``history`` are the
    facts they cite that only the detection knows (not part of :meth:`to_dict`).
    """

    summary: str
    features: tuple[FeatureContribution, ...]
    confidence: str = "normal"
    checks: tuple[Check, ...] = ()
    lineage: tuple[LineagePair, ...] = ()
    new_members: tuple[EntityKey, ...] = ()
    candidates: int | None = None
    drivers: tuple[EntityKey, ...] = ()
    history: bool = True
    lookalikes: tuple[Lookalike, ...] = ()
    """New member domains that look like a domain the fleet trusts (:mod:`analytics.lookalike`)."""
    young: YoungPivot | None = None
    """The pivot is young and spreading (low and slow): when the fleet first saw it, on how many hosts."""
    credited: tuple[CreditedProcesses, ...] = ()
    """The one-host processes that lent the cluster a behaviour or a lineage pair, by behaviour
    (:func:`analytics.linked_processes.cluster_credits`): no members, so the texts name them."""
    contacts: PivotContacts | None = None
    """The pivot's first contacts and contact interval on the cluster's hosts
    (:mod:`analytics.pivot_contacts`): the times and the interval the checks quote."""
    history_counts: HistoryCounts | None = None
    """How many of the window's hosts and of the cluster's have data from before the window
    (:func:`analytics.history.history_counts`): what a low-confidence check says was tested."""

    def credited_for(self, behaviour: str) -> CreditedProcesses | None:
        """The first credited processes of ``behaviour`` (the pivot's, when it has some), or ``None``."""
        return next((c for c in self.credited if c.behaviour == behaviour), None)

    def to_dict(self) -> dict[str, object]:
        return {
            "summary": self.summary,
            "features": [f.to_dict() for f in self.features],
            "checks": [c.to_dict() for c in self.checks],
        }


def feature_baseline(X: np.ndarray) -> np.ndarray:
    """Fleet baseline of each feature: its median over all candidate clusters."""
    if len(X) == 0:
        return np.zeros(len(SCORED_FEATURES))
    return np.median(X, axis=0)


def contributions(scorer: ClusterScorer, X: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Exact Shapley contributions against the baseline, shape ``(n_clusters, n_features)``.

    The "game" of cluster ``x`` is ``v(S) = risk(x on S, baseline elsewhere)``;
    each feature gets its Shapley value ``/ 100``.  Features equal to their
    baseline are dummies (value 0), so only the ``k`` differing features are
    enumerated: ``2**k`` forest evaluations per cluster, batched.

    Parameters
    ----------
    scorer : ClusterScorer
        Fitted scorer.
    X : ndarray of shape (n, f)
        Cluster features.
    baseline : ndarray of shape (f,)
        The ordinary value of each feature.

    Returns
    -------
    ndarray of shape (n, f)
        Row ``i`` sums to ``(risk(X[i]) - risk(baseline)) / 100``.

    Examples
    --------
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(size=(40, 2)), [[9.0, 0.0]]])
    >>> s = ClusterScorer(random_state=0).fit(X)
    >>> c = contributions(s, X, np.median(X, axis=0))
    >>> bool(c[-1, 0] > c[-1, 1])
    True
    """
    n, f = X.shape
    out = np.zeros((n, f))
    if n == 0:
        return out
    # A feature on the benign side of the baseline is clipped onto it by the scorer
    # (its ``directions``): it is then a dummy (contribution exactly 0), never risk.
    X = scorer.one_sided(X)
    differing = [np.flatnonzero(X[i] != baseline) for i in range(n)]
    blocks, offsets, total = [], [], 0
    for i, cols in enumerate(differing):
        masks = _coalitions(len(cols))
        rows = np.repeat(baseline[None, :], len(masks), axis=0)
        for bit, col in enumerate(cols):
            on = masks[:, bit]
            rows[on, col] = X[i, col]
        blocks.append(rows)
        offsets.append(total)
        total += len(rows)
    values = scorer.risk(np.vstack(blocks)) / 100.0
    for i, cols in enumerate(differing):
        k = len(cols)
        if k == 0:
            continue
        v = values[offsets[i] : offsets[i] + (1 << k)]
        out[i, cols] = _shapley(v, k)
    return out


def _coalitions(k: int) -> np.ndarray:
    """Boolean ``(2**k, k)`` table: row ``m`` has bit ``b`` of ``m`` in column ``b``."""
    m = np.arange(1 << k)[:, None]
    return ((m >> np.arange(k)[None, :]) & 1).astype(bool)


def _shapley(v: np.ndarray, k: int) -> np.ndarray:
    """Shapley values of a ``k``-player game given ``v[mask]`` for every coalition mask."""
    masks = np.arange(1 << k)
    sizes = np.array([bin(m).count("1") for m in masks])
    # Weight of a coalition S (without j) of size s: s! (k - s - 1)! / k!
    fact = [float(np.prod(np.arange(1, t + 1))) for t in range(k + 1)]
    phi = np.zeros(k)
    for j in range(k):
        without = masks[(masks >> j) & 1 == 0]
        s = sizes[without]
        weights = np.array([fact[t] * fact[k - t - 1] / fact[k] for t in s])
        phi[j] = float(np.sum(weights * (v[without | (1 << j)] - v[without])))
    return phi


def explain(
    facts: ClusterFacts,
    contribution: np.ndarray,
    baseline: np.ndarray,
    *,
    pivot_type: str,
    pivot_value: str,
    host_count: int,
    pivot_is_new: bool,
    installed_as: str | None = None,
    candidates: int | None = None,
    pivot_key: str = "",
    young: YoungPivot | None = None,
    credited: tuple[CreditedProcesses, ...] = (),
    contacts: PivotContacts | None = None,
    history_counts: HistoryCounts | None = None,
) -> Explanation:
    """The explanation of one cluster, features sorted by contribution (largest first).

    ``installed_as`` (``"service"``, ``"scheduled task"``, ``"WMI subscription"``, ``"driver"``): the pivot is a
    command, a driver file or a WMI consumer's script, hosts installed that way (:func:`summarize`).
    ``candidates``: how many candidate clusters the risk was scored among; below
    :data:`~analytics.scoring.MIN_CONFIDENT_CANDIDATES` the explanation is marked
    low-confidence and its summary says why.  So it is when most hosts seen in the
    window have no data from before it (``facts.history`` False): the summary then
    claims nothing "new in the fleet" and says why the confidence is low.
    ``young``: the pivot is young and spreading (:func:`young_pivot`); the summary
    says when the fleet first saw it and where it is spreading.
    ``credited``: the one-host processes that lent the cluster its behaviours
    (:func:`analytics.linked_processes.cluster_credits`); the summary names them.
    ``contacts`` and ``history_counts`` are kept for the checks
    (:attr:`Explanation.contacts`, :attr:`Explanation.history_counts`).
    """
    rows = [
        FeatureContribution(
            name=name,
            value=round(float(facts.features[name]), 4),
            baseline=round(float(baseline[k]), 4),
            contribution=round(float(contribution[k]), 4),
            description=PLAIN_DESCRIPTIONS.get(name, FEATURE_DESCRIPTIONS[name]),
        )
        for k, name in enumerate(SCORED_FEATURES)
    ]
    rows.sort(key=lambda r: (-r.contribution, r.name))
    summary = summarize(
        facts,
        pivot_type=pivot_type,
        pivot_value=pivot_value,
        host_count=host_count,
        pivot_is_new=pivot_is_new,
        installed_as=installed_as,
        young=young,
        credited=credited,
        pivot_key=pivot_key,
    )
    confidence = "normal"
    if candidates is not None and candidates < MIN_CONFIDENT_CANDIDATES:
        confidence = "low"
        summary += (
            f"; low confidence: scored among only {candidates} candidate cluster{'s' if candidates != 1 else ''}, "
            "too few to tell what is unusual"
        )
    if not facts.history:
        confidence = "low"
        summary += "; " + NO_HISTORY
    return Explanation(
        summary=summary,
        features=tuple(rows),
        confidence=confidence,
        lineage=tuple(facts.new_pairs),
        new_members=tuple(facts.new_members),
        candidates=candidates,
        drivers=tuple(facts.drivers),
        history=facts.history,
        lookalikes=tuple(facts.lookalikes),
        young=young,
        credited=tuple(credited),
        contacts=contacts,
        history_counts=history_counts,
    )


def summarize(
    facts: ClusterFacts,
    *,
    pivot_type: str,
    pivot_value: str,
    host_count: int,
    pivot_is_new: bool,
    installed_as: str | None = None,
    young: YoungPivot | None = None,
    credited: tuple[CreditedProcesses, ...] = (),
    pivot_key: str = "",
) -> str:
    """One line an analyst can read.

    A young and spreading pivot (``young``, low and slow) was seen before the
    window: the line says when the fleet first saw it, on how many hosts, and how
    many new hosts it reached in the window, and its new lineage pairs are new
    since the young horizon's start (not since the window's).

    Behaviours lent by processes that are no members (``credited``, each on one
    host) are said with who showed them: "... by powershell.exe with a different
    command line on each of 8 hosts that reached domain bad.example".

    ``pivot_key`` tells a behaviour pivot (:func:`analytics.behaviour_pivots.is_behaviour`)
    from a real process whose command line copies its shown value.

    A command installed as a service, a scheduled task or a WMI subscription, or a WMI script
    consumer's script (``installed_as``), may have been installed without running yet, or run
    too: its hosts "installed or ran" it, and the line says how it was installed.  A file installed as a
    driver (a kernel or file-system driver service) was "installed or got".

    Examples
    --------
    >>> from analytics.features import ClusterFacts
    >>> from analytics.lineage import LineagePair
    >>> timing = {"first_contact_spread_raw_min": 3.6, "first_contact_range_min": 8.4}
    >>> f = ClusterFacts({"first_contact_spread_min": 3.6}, [LineagePair("wscript.exe", "powershell.exe", 65, 0.0)], [], ["lsass_access"], [], timing)
    >>> summarize(f, pivot_type="domain", pivot_value="cdn.example", host_count=65, pivot_is_new=True)
    '65 hosts first contacted domain cdn.example within 9 minutes (33 of them within 4 minutes); powershell.exe spawned by wscript.exe is new in the fleet; LSASS memory accessed'
    >>> timing = {"first_contact_spread_raw_min": 1.2, "first_contact_range_min": 1.9}
    >>> summarize(ClusterFacts({"first_contact_spread_min": 1.2}, [], [], [], [], timing),
    ...           pivot_type="process", pivot_value="cmd.exe /c x", host_count=12, pivot_is_new=True,
    ...           installed_as="service")
    '12 hosts first installed or ran process cmd.exe /c x within 2 minutes; it is installed as a service'
    >>> summarize(ClusterFacts({"first_contact_spread_min": 3.0}, [], [], [], []),
    ...           pivot_type="file", pivot_value="rtcore64.sys", host_count=12,
    ...           pivot_is_new=True, installed_as="driver")
    '12 hosts first installed or got file rtcore64.sys, 6 of them within 3 minutes; it is installed as a driver'
    >>> summarize(ClusterFacts({"first_contact_spread_min": 1.0}, [], [], [], []),
    ...           pivot_type="script", pivot_value='Set s = CreateObject("WScript.Shell")', host_count=40,
    ...           pivot_is_new=True, installed_as="WMI subscription")
    '40 hosts first installed or ran script Set s = CreateObject("WScript.Shell"), 20 of them within a minute; it is installed as a WMI subscription'
    """
    shown = visible(pivot_value)  # a bidi override as its code, as the checks and the timeline write it (U1 #11)
    value = shown if len(shown) <= _MAX_VALUE else shown[: _MAX_VALUE - 1] + "…"
    # The spread feature is an inter-quartile range: the middle half of the hosts, said as how
    # many hosts that is (a "half" of 3 hosts reads oddly).  The full range, when known, is the
    # time for all of them.
    middle = _hosts_in_middle_half(host_count)
    half = facts.context.get("first_contact_spread_raw_min", facts.features.get("first_contact_spread_min", 0.0))
    full = facts.context.get("first_contact_range_min")
    verb = _VERB.get(pivot_type, "ran" if pivot_type in ("process", "script") else "saw")
    if (rollup := summary_words(pivot_type, pivot_value)) is not None:  # per-host subdomains of one domain
        verb, pivot_type, value = rollup
    # two facts by per-host processes: known by its key, never by its shown value (a command line can copy that)
    elif (behaviour := behaviour_words((pivot_type, pivot_key), pivot_value)) is not None:
        verb, pivot_type, value = behaviour
    if installed_as:  # installed, maybe never run (a command) or loaded (a driver): "installed or ran/got"
        verb = f"installed or {verb}"
    if pivot_is_new:
        head = f"{host_count} hosts first {verb} {pivot_type} {value}"
        if full is None:
            head += f", {middle} of them within {_duration(half)}" if middle >= 2 else ""
        elif _duration(half) == _duration(full) or middle < 2:
            head += f" within {_duration(full)}"
        else:
            head += f" within {_duration(full)} ({middle} of them within {_duration(half)})"
    elif young is not None:
        head = f"{host_count} hosts {verb} {pivot_type} {value}, {young.text()}"
    else:
        head = f"{host_count} hosts {verb} {pivot_type} {value} (known before the window)"
    parts = [head]
    if installed_as:
        parts.append(f"it is installed as a {installed_as}")
    if facts.new_pairs:
        names = ", ".join(str(p) for p in facts.new_pairs[:2])
        since = f" since {_date(young.since)}" if young is not None else ""  # counted from the young horizon
        if facts.history:
            parts.append(f"{names} {'is' if len(facts.new_pairs) == 1 else 'are'} new in the fleet{since}")
        else:  # without earlier data, first seen in the window is all that is known
            parts.append(f"{names} {'was' if len(facts.new_pairs) == 1 else 'were'} seen in the window")
    if facts.behaviours:
        words = _BEHAVIOUR_TEXT if facts.history else {**_BEHAVIOUR_TEXT, **_BEHAVIOUR_TEXT_WITHOUT_HISTORY}
        if facts.download_from_known_source:  # the payload is new, its source is not: no "new domain"
            words = {**words, "download_from_new_domain": _KNOWN_SOURCE_DOWNLOAD}
        if facts.lookalikes:  # name the domain copied: the resemblance is the finding
            trusted = facts.lookalikes[0].trusted
            words = {**words, "lookalike_domain": f"look-alike of {trusted if len(trusted) <= _MAX_VALUE else trusted[: _MAX_VALUE - 1] + '…'}, which the fleet uses"}
        parts.append(", ".join(words.get(b, b) for b in facts.behaviours))
        parts += _credited_parts(credited, facts.behaviours, words)
    # Every part, not only the pivot: a lineage pair or a credited name is attacker text too
    # (review U2 #7).  ``visible`` leaves codes already written as they are.
    return visible("; ".join(parts))


def _credited_parts(credited: tuple[CreditedProcesses, ...], behaviours: list[str], words: dict[str, str]) -> list[str]:
    """One clause per group of behaviours the same processes lent: which (unless all), and who showed them."""
    groups: dict[str, list[str]] = {}
    done: set[str] = set()
    for credit in credited:  # the first of each behaviour: the pivot's, then other members'
        if credit.behaviour == LINEAGE_CREDIT or credit.behaviour not in behaviours or credit.behaviour in done:
            continue
        done.add(credit.behaviour)
        who = f"{credited_who(credit, 'command line')} that reached {plain(credit.reached)}"
        groups.setdefault(who, []).append(words.get(credit.behaviour, credit.behaviour))
    clauses = []
    for who, said in groups.items():
        if len(said) == len(behaviours):
            what = {1: "shown", 2: "both shown"}.get(len(said), "all shown")
        else:
            what = (said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]) + " shown"
        clauses.append(f"{what} by {who}, each on one host (no cluster member)")
    return clauses


def _date(epoch: float) -> str:
    """A UTC calendar date, ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d")


def _hosts_in_middle_half(n: int) -> int:
    """How many of ``n`` sorted first contacts lie between the quartiles (numpy's linear
    interpolation): the hosts the spread feature's minutes are true of.

    Examples
    --------
    >>> [_hosts_in_middle_half(n) for n in (1, 3, 4, 12, 22, 65)]
    [1, 1, 2, 6, 10, 33]
    """
    if n < 1:
        return 0
    return math.floor(0.75 * (n - 1)) - math.ceil(0.25 * (n - 1)) + 1


def _duration(minutes: float) -> str:
    """``minutes`` as the text after "within": rounded up, so "within" is never an understatement."""
    if minutes <= 1.0:
        return "a minute"
    if minutes <= 120:
        return f"{math.ceil(minutes - 1e-9)} minutes"
    return f"{math.ceil(minutes / 60 - 1e-9)} hours"
