"""A cluster's one-line summary: who did what to the pivot, how fast, and the behaviours behind it.

:func:`summarize` renders the line from the cluster's facts at the edge
(:mod:`analytics.explain` puts it in the explanation); every entity value in it is
text, and every character that steers or hides is written as its code
(:func:`graphsiem.visible_text.visible`).  The checks (:mod:`analytics.checks`) say
durations and verbs as the summary does (:func:`duration_text`, :data:`PIVOT_VERBS`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from analytics.behaviour_pivots import summary_words as behaviour_words
from analytics.credited_processes import LINEAGE_CREDIT, CreditedProcesses
from analytics.credited_words import credited_who, member_note, plain
from analytics.features import ClusterFacts
from analytics.image_builds import NewBuild
from analytics.registered_domains import summary_words
from analytics.young_pivots import YoungPivot
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
PIVOT_VERBS = {"domain": "contacted", "ip": "contacted", "url": "requested", "file": "got"}
"""What hosts did to a pivot of each type, in the summary and the checks (a process or script: "ran", else "saw")."""
_MAX_VALUE = 80
_DIGEST_SHOWN = 8
"""Hex digits of a build's SHA-256 the summary shows (the checks and the page show the whole key)."""


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
    new_build: NewBuild | None = None,
) -> str:
    """One line an analyst can read.

    A build a process ran (``new_build``, a file keyed by its SHA-256: :mod:`analytics.image_builds`)
    is said as a new build of the path it ran as, with its digest and the fleet's usual build there:
    "5 hosts first ran a new build of C:\\...\\updater.exe (sha256 e7e7e7e7…) within 9 minutes;
    the fleet's usual build is a1a1a1a1… on 12 hosts".

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
    verb = PIVOT_VERBS.get(pivot_type, "ran" if pivot_type in ("process", "script") else "saw")
    # Each part is made visible once, where it is made (the pivot's value above, before it is
    # cut): every part, not only the pivot, since a lineage pair or a credited name is attacker
    # text too (review U2 #7).  Parts are joined by "; ", which no escape reaches across, so the
    # line is what one pass over the whole line gave.
    if (rollup := summary_words(pivot_type, pivot_value)) is not None:  # per-host subdomains of one domain
        verb, pivot_type, value = map(visible, rollup)
    # two facts by per-host processes: known by its key, never by its shown value (a command line can copy that)
    # (its value is server text already, its attacker parts plain: visible again would write its
    # line-break marks as their code, \u23ce, which says the data held a ⏎; review R25)
    elif (behaviour := behaviour_words((pivot_type, pivot_key), pivot_value)) is not None:
        verb, pivot_type, value = behaviour
    elif new_build is not None:  # the hosts ran it: a file keyed by a digest, named by its path
        verb, pivot_type = "ran", "a new build of"
        value += f" (sha256 {visible(new_build.sha256[:_DIGEST_SHOWN])}…)"
    else:
        pivot_type = visible(pivot_type)
    if installed_as:  # installed, maybe never run (a command) or loaded (a driver): "installed or ran/got"
        verb = f"installed or {verb}"
    if pivot_is_new:
        head = f"{host_count} hosts first {verb} {pivot_type} {value}"
        if full is None:
            head += f", {middle} of them within {duration_text(half)}" if middle >= 2 else ""
        elif duration_text(half) == duration_text(full) or middle < 2:
            head += f" within {duration_text(full)}"
        else:
            head += f" within {duration_text(full)} ({middle} of them within {duration_text(half)})"
    elif young is not None:
        head = f"{host_count} hosts {verb} {pivot_type} {value}, {young.text()}"
    else:
        head = f"{host_count} hosts {verb} {pivot_type} {value} (known before the window)"
    parts = [head]
    if new_build is not None and new_build.usual_sha256:
        on = f" on {new_build.usual_hosts} host{'s' if new_build.usual_hosts != 1 else ''}" if new_build.usual_hosts else ""
        parts.append(visible(f"the fleet's usual build is {new_build.usual_sha256[:_DIGEST_SHOWN]}…{on}"))
    if installed_as:
        parts.append(visible(f"it is installed as a {installed_as}"))
    if facts.new_pairs:
        names = ", ".join(str(p) for p in facts.new_pairs[:2])
        since = f" since {_date(young.since)}" if young is not None else ""  # counted from the young horizon
        if facts.history:
            parts.append(visible(f"{names} {'is' if len(facts.new_pairs) == 1 else 'are'} new in the fleet{since}"))
        else:  # without earlier data, first seen in the window is all that is known
            parts.append(visible(f"{names} {'was' if len(facts.new_pairs) == 1 else 'were'} seen in the window"))
    if facts.behaviours:
        words = _BEHAVIOUR_TEXT if facts.history else {**_BEHAVIOUR_TEXT, **_BEHAVIOUR_TEXT_WITHOUT_HISTORY}
        if facts.download_from_known_source:  # the payload is new, its source is not: no "new domain"
            words = {**words, "download_from_new_domain": _KNOWN_SOURCE_DOWNLOAD}
        if facts.lookalikes:  # name the domain copied: the resemblance is the finding
            trusted = facts.lookalikes[0].trusted
            words = {**words, "lookalike_domain": f"look-alike of {trusted if len(trusted) <= _MAX_VALUE else trusted[: _MAX_VALUE - 1] + '…'}, which the fleet uses"}
        parts.append(visible(", ".join(words.get(b, b) for b in facts.behaviours)))
        parts += _credited_parts(credited, facts.behaviours, words)  # attacker text plain where made
    return "; ".join(parts)


def _credited_parts(credited: tuple[CreditedProcesses, ...], behaviours: list[str], words: dict[str, str]) -> list[str]:
    """One clause per group of behaviours the same processes lent: which (unless all), and who showed them."""
    groups: dict[str, list[str]] = {}
    done: set[str] = set()
    for credit in credited:  # the first of each behaviour: the pivot's, then other members'
        if credit.behaviour == LINEAGE_CREDIT or credit.behaviour not in behaviours or credit.behaviour in done:
            continue
        done.add(credit.behaviour)
        who = f"{credited_who(credit, 'command line')} that reached {plain(credit.reached)}, {member_note(credit)}"
        groups.setdefault(who, []).append(visible(words.get(credit.behaviour, credit.behaviour)))
    clauses = []
    for who, said in groups.items():
        if len(said) == len(behaviours):
            what = {1: "shown", 2: "both shown"}.get(len(said), "all shown")
        else:
            what = (said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]) + " shown"
        clauses.append(f"{what} by {who}")
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


def duration_text(minutes: float) -> str:
    """``minutes`` as the text after "within": rounded up, so "within" is never an understatement."""
    if minutes <= 1.0:
        return "a minute"
    if minutes <= 120:
        return f"{math.ceil(minutes - 1e-9)} minutes"
    return f"{math.ceil(minutes / 60 - 1e-9)} hours"
