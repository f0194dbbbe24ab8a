"""One credential finding per source, not per validator (red team T13 finding 3).

:func:`analytics.credential_spray.find_credential_attacks` judges one validator at a time.  One
endpoint that tries ten made-up local accounts against each of thirty workstations (each checks them
against its own account store and logs a 4776 of its own) made thirty "Password spray" findings at
the spray's risk, and they buried a 22-host campaign from #1 to #31.  It is one spray, from one
source: :func:`merge_by_source` joins the findings whose failures share a claimed workstation name or a
source address (transitively) into one finding that lists every host reached, at the risk of its
worst pattern, so one source makes at most one credential finding however many hosts it tries.

A shared claimed name is a claim, not a host: two sprayers that both write a tool's default name are
joined too; the merged finding lists every validator, account and source of both, nothing is lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from analytics.credential_spray import PATTERN_RISK, CredentialFinding

__all__ = ["merge_by_source"]


def merge_by_source(findings: Sequence[CredentialFinding]) -> list[CredentialFinding]:
    """The findings with those sharing a failing source merged, in the order of their first member.

    Parameters
    ----------
    findings : sequence of CredentialFinding
        One per validator (:func:`analytics.credential_spray.find_credential_attacks`).

    Returns
    -------
    list of CredentialFinding
        A finding that shares no source is returned as it is; a group becomes one finding whose
        ``validator`` is its worst member's (highest risk, then most attempts, then name: the pivot a
        verdict is given on) and whose ``other_validators`` are the rest, sorted.

    Examples
    --------
    >>> from analytics.credential_attempts import Attempt
    >>> def one(host):
    ...     tries = [Attempt(1.0, "noone", "failure 0xc0000064", "ws-039", None, host + "-e", "x")]
    ...     return CredentialFinding(host, {"password_spray": ["noone"]}, 1.0, 1.0, tries)
    >>> [(f.validator, f.other_validators) for f in merge_by_source([one("ws-004"), one("ws-014")])]
    [('ws-004', ['ws-014'])]
    """
    parent = list(range(len(findings)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[str, int] = {}
    for i, finding in enumerate(findings):
        for source in _failing_sources(finding):
            j = first_with.setdefault(source, i)
            parent[root(i)] = root(j)
    groups: dict[int, list[CredentialFinding]] = defaultdict(list)
    for i, finding in enumerate(findings):
        groups[root(i)].append(finding)
    return [members[0] if len(members) == 1 else _merged(members) for members in groups.values()]


def _failing_sources(finding: CredentialFinding) -> set[str]:
    """The claimed names and addresses the finding's failures came from (a success's source is the
    user's as often as the sprayer's: only failures join)."""
    return {source for a in finding.attempts if a.failed for source in (a.workstation, a.source_ip) if source}


def _merged(members: list[CredentialFinding]) -> CredentialFinding:
    lead = min(members, key=lambda f: (-PATTERN_RISK[f.worst], -len(f.attempts), f.validator))
    patterns: dict[str, set[str]] = defaultdict(set)
    for finding in members:
        for name, accounts in finding.patterns.items():
            patterns[name].update(accounts)
    attempts = sorted((a for f in members for a in f.attempts), key=lambda a: (a.ts, a.event_id))
    compromises = sorted((c for f in members for c in f.compromises), key=lambda c: (c.attempt.ts, c.account))
    others = sorted({host for f in members for host in (f.validator, *f.other_validators)} - {lead.validator})
    return CredentialFinding(lead.validator, {name: sorted(found) for name, found in patterns.items()},
                             min(f.start for f in members), max(f.end for f in members), attempts,
                             compromises, others)
