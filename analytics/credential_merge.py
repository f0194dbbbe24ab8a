"""One credential finding per sprayer, not per validator (red team T13 finding 3, task CRED3 item 1).

:func:`analytics.credential_spray.find_credential_attacks` judges one validator at a time.  One
endpoint that tries ten made-up local accounts against each of thirty workstations (each checks them
against its own account store and logs a 4776 of its own) made thirty "Password spray" findings at
the spray's risk, and they buried a 22-host campaign from #1 to #31.  It is one spray, from one
sprayer: :func:`merge_findings` joins findings (transitively) on either of two grounds into one
finding that lists every host reached, at the risk of its worst pattern, and says on which ground
(``merged_by``: the shared sources, the shared accounts and when):

* **a shared failing source**: their failures share a claimed workstation name or a source address.
  A shared claimed name is a claim, not a host: two sprayers that both write a tool's default name
  are joined too; the merged finding lists every validator, account and source of both.
* **the same account list in the same minutes**: a sprayer writing a different claimed name to each
  target, with no address in the 4776, shares no source; what it cannot hide is its list.  Two
  findings on different validators are joined when at least ``spray_min_accounts`` accounts failed on
  both within ``credential_burst_minutes`` of each other (per account), and those accounts are at
  least half of the smaller finding's failing accounts (:data:`SHARED_FRACTION`).  That is a spray's
  signature and nothing else's: a brute force fails one account (two unrelated brute forces, or two on
  ``administrator`` by two attackers, never share ten), users mistyping fail each on their own and are
  no finding to begin with, and two sprays of *different* lists in the same hour share too few.  Two
  sprayers using the same wordlist of common names in the same hour are joined: they are one case to
  the analyst, and nothing of either is lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from analytics.credential_spray import PATTERN_RISK, CredentialFinding, Thresholds
from graphsiem.model import epoch_to_iso

__all__ = ["SHARED_FRACTION", "merge_findings"]

SHARED_FRACTION = 0.5
"""The least share of the smaller finding's failing accounts two findings' shared accounts must be."""
_DEFAULTS = Thresholds()
SHOWN = 50
"""Sources and accounts a merge ground lists (its ``total`` counts all)."""


def merge_findings(findings: Sequence[CredentialFinding], limits: Thresholds = _DEFAULTS) -> list[CredentialFinding]:
    """The findings with those of one sprayer merged (module docstring), in the order of their first member.

    Parameters
    ----------
    findings : sequence of CredentialFinding
        One per validator (:func:`analytics.credential_spray.find_credential_attacks`).
    limits : Thresholds
        ``spray_min_accounts`` and ``burst_seconds``: the shared-accounts ground's.

    Returns
    -------
    list of CredentialFinding
        A finding joined to none is returned as it is; a group becomes one finding whose ``validator``
        is its worst member's (highest risk, then most attempts, then name: the pivot a verdict is given
        on), whose ``other_validators`` are the rest, sorted, and whose ``merged_by`` says why.

    Examples
    --------
    >>> from analytics.credential_attempts import Attempt
    >>> def one(host):
    ...     tries = [Attempt(1.0, "noone", "failure 0xc0000064", "ws-039", None, host + "-e", "x")]
    ...     return CredentialFinding(host, {"password_spray": ["noone"]}, 1.0, 1.0, tries)
    >>> [(f.validator, f.other_validators) for f in merge_findings([one("ws-004"), one("ws-014")])]
    [('ws-004', ['ws-014'])]
    """
    parent = list(range(len(findings)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    joins: list[tuple[int, str, set[str], list[float]]] = []  # (a member, ground, what was shared, when)
    first_with: dict[str, int] = {}
    for i, finding in enumerate(findings):
        for source in _failing_sources(finding):
            j = first_with.setdefault(source, i)
            if j != i:
                joins.append((i, "shared_source", {source}, []))
                parent[root(i)] = root(j)
    for (i, j), (accounts, times) in _shared_account_lists(findings, limits).items():
        joins.append((i, "shared_accounts", accounts, times))
        parent[root(i)] = root(j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(findings)):
        groups[root(i)].append(i)
    grounds: dict[int, list[tuple[int, str, set[str], list[float]]]] = defaultdict(list)
    for join in joins:
        grounds[root(join[0])].append(join)
    merged = []
    for key, members in groups.items():
        if len(members) == 1:
            merged.append(findings[members[0]])
            continue
        finding = _merged([findings[i] for i in members])
        finding.merged_by = _grounds(grounds[key])
        merged.append(finding)
    return merged


def _failing_sources(finding: CredentialFinding) -> set[str]:
    """The claimed names and addresses the finding's failures came from (a success's source is the
    user's as often as the sprayer's: only failures join)."""
    return {source for a in finding.attempts if a.failed for source in (a.workstation, a.source_ip) if source}


def _shared_account_lists(findings: Sequence[CredentialFinding],
                          limits: Thresholds) -> dict[tuple[int, int], tuple[set[str], list[float]]]:
    """The pairs of findings on different validators that tried one account list in the same minutes:
    pair -> the accounts failing on both within ``burst_seconds`` of each other, and their failures' times."""
    failures: list[dict[str, list[float]]] = []
    holders: dict[str, list[int]] = defaultdict(list)
    for i, finding in enumerate(findings):
        times: dict[str, list[float]] = defaultdict(list)
        for attempt in finding.attempts:
            if attempt.failed:
                # a workstation's own 4776 keys a local account by the workstation: the name is the list's
                times[attempt.account.rpartition("\\")[2]].append(attempt.ts)
        failures.append(times)
        for account in times:
            holders[account].append(i)
    shared: dict[tuple[int, int], set[str]] = defaultdict(set)
    when: dict[tuple[int, int], list[float]] = defaultdict(list)
    for account, held in holders.items():
        for n, i in enumerate(held):
            for j in held[n + 1:]:
                if findings[i].validator == findings[j].validator:
                    continue
                close = _within(failures[i][account], failures[j][account], limits.burst_seconds)
                if close is not None:
                    shared[(i, j)].add(account)
                    when[(i, j)].extend(close)
    least = max(1, limits.spray_min_accounts)
    return {pair: (accounts, when[pair]) for pair, accounts in shared.items()
            if len(accounts) >= least
            and len(accounts) >= SHARED_FRACTION * min(len(failures[pair[0]]), len(failures[pair[1]]))}


def _within(left: list[float], right: list[float], seconds: float) -> tuple[float, float] | None:
    """The first pair of times, one from each sorted list, at most ``seconds`` apart; None when none is."""
    i = j = 0
    while i < len(left) and j < len(right):
        if abs(left[i] - right[j]) <= seconds:
            return left[i], right[j]
        if left[i] < right[j]:
            i += 1
        else:
            j += 1
    return None


def _grounds(joins: list[tuple[int, str, set[str], list[float]]]) -> list[dict[str, Any]]:
    """What joined a group: per ground, the sources or accounts shared (first :data:`SHOWN`, sorted) and,
    for shared accounts, the span of their failures."""
    found: list[dict[str, Any]] = []
    for ground in ("shared_source", "shared_accounts"):
        values = sorted({value for _, name, shared, _ in joins if name == ground for value in shared})
        if not values:
            continue
        row: dict[str, Any] = {"ground": ground, "values": values[:SHOWN], "total": len(values)}
        times = [ts for _, name, _, when in joins if name == ground for ts in when]
        row["start"], row["end"] = (epoch_to_iso(min(times)), epoch_to_iso(max(times))) if times else (None, None)
        found.append(row)
    return found


def _merged(members: list[CredentialFinding]) -> CredentialFinding:
    lead = min(members, key=lambda f: (-PATTERN_RISK[f.worst], -len(f.attempts), f.validator))
    patterns: dict[str, set[str]] = defaultdict(set)
    for finding in members:
        for name, accounts in finding.patterns.items():
            patterns[name].update(accounts)
    attempts = sorted((a for f in members for a in f.attempts), key=lambda a: (a.ts, a.event_id))
    # each success keeps the host it logged on to: after the merge the finding's validator is one of many
    compromises = sorted((replace(c, validator=c.validator or f.validator) for f in members for c in f.compromises),
                         key=lambda c: (c.attempt.ts, c.account))
    others = sorted({host for f in members for host in (f.validator, *f.other_validators)} - {lead.validator})
    return CredentialFinding(lead.validator, {name: sorted(found) for name, found in patterns.items()},
                             min(f.start for f in members), max(f.end for f in members), attempts,
                             compromises, others)
