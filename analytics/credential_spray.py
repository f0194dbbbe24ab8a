"""Password spraying, brute force and a success after a run of failures, found per validator.

A credential attack is not a fan-out: it happens on one host (the domain controller that validates
the accounts), not on many, so the fan-out clusters never hold it.  It is a finding of its own kind,
one per validator (the *pivot*: the host the attempts reached), whose members are the accounts
tried, and whose *sources* are what the attempts named: the workstation names the clients claimed
(4776: claims, never hosts) and the addresses they came from (4625, 4771).  The patterns, each in a
sliding window of ``credential_burst_minutes`` (:class:`analytics.config.DetectionConfig`):

* **password spray**: at least ``spray_min_accounts`` accounts failed, each at most
  ``spray_max_attempts`` times, and did not succeed within the window after (many accounts, few
  tries each, under the lock-out threshold; a user who mistyped logs on a minute later);
* **brute force**: one account failed at least ``brute_force_min_failures`` times;
* **rotating claimed workstations**: one account validated from at least ``rotation_min_workstations``
  different claimed workstation names (a user does not move across ten machines in an hour; spray
  and relay tools write a random name per attempt: the Brim WRCCDC DC's ``yygrhabrvpznn8lb``);
* **slow password spray** (reported as a password spray): one claimed workstation or address whose
  failures within a day name at least ``spray_daily_min_accounts`` accounts, each at most
  ``spray_max_attempts`` times (a sprayer pacing under the hourly threshold: 9 an hour is 215 a day);
* **likely compromise** (the highest severity): a success for an account after at least
  ``compromise_min_failures`` failures of it in the window before, or after any failure of it inside
  a spray, from a source the failures used (the sprayer found a password); a spray in rounds more
  than the burst window apart is one spray: a success from its source anywhere from its first failure
  to a window after its last is the sprayer's.

The risk is the pattern's, not the isolation forest's (:data:`PATTERN_RISK`): the forest ranks
clusters by how unusual their features are among the run's candidates, and a spray is not a candidate
of that population (one host, no prevalence); its risk says how bad the pattern is, and ranks it beside
the fan-out clusters by that.  The texts are in :mod:`analytics.credential_words`.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from analytics.credential_attempts import Attempt
from analytics.credential_home import attempts_at_home
from graphsiem.model import Relation

SPRAY = "password_spray"
BRUTE_FORCE = "brute_force"
ROTATION = "rotating_workstations"
COMPROMISE = "likely_compromise"
GUESSING = "ssh_guessing"
"""An SSH spray of names that mostly do not exist on the hosts (:mod:`analytics.credential_guessing`)."""
_DAY = 86400.0
PATTERN_RISK = {COMPROMISE: 95.0, SPRAY: 85.0, BRUTE_FORCE: 80.0, ROTATION: 75.0, GUESSING: 50.0}
"""Risk of a finding by its worst pattern.  A compromise is above every fan-out cluster of the demo
(its seed campaign scores 90.7); a spray, a brute force or a tool's rotating names, attacks in progress
whose outcome is not known, sit among the attacks and above the decoys (the demo's best decoy is
under 74).  An internet bot guessing default SSH names on every exposed server is daily background:
at the forest's threshold of note (50), under every targeted pattern."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The pattern thresholds (:class:`analytics.config.DetectionConfig`'s ``credential_*`` fields)."""

    burst_seconds: float = 3600.0
    spray_min_accounts: int = 10
    spray_max_attempts: int = 3
    brute_force_min_failures: int = 20
    rotation_min_workstations: int = 10
    compromise_min_failures: int = 5
    daily_spray_min_accounts: int = 30


@dataclass(frozen=True, slots=True)
class Compromise:
    """A success after failures: the account, when, and the run of failures before it."""

    account: str
    attempt: Attempt
    failures_before: int
    validator: str | None = None
    """The host the success logged on to, when it is not the finding's own validator (a spread spray's,
    :mod:`analytics.credential_spread`, or a merged finding's member): the record's ``host``."""
    privileges_event: str | None = None
    """The 4672 that gave the log-on's session special privileges (an admin log-on), when it was one
    (:mod:`analytics.credential_privileges`)."""
    privileges: tuple[str, ...] = ()
    """That 4672's privileges (``SeDebugPrivilege``...)."""


@dataclass(slots=True)
class CredentialFinding:
    """What one validator's attempts in the window show.

    Attributes
    ----------
    validator : str
        The host that validated (the pivot).
    patterns : dict
        Pattern name -> the accounts it was found for.
    start, end : float
        The span of the attempts in scope (epoch seconds).
    attempts : list of Attempt
        The attempts in scope: those of the accounts found, in the patterns' windows.
    compromises : list of Compromise
        Successes after failures.
    """

    validator: str
    patterns: dict[str, list[str]]
    start: float
    end: float
    attempts: list[Attempt]
    compromises: list[Compromise] = field(default_factory=list)
    other_validators: list[str] = field(default_factory=list)
    """Further hosts the same source's attempts reached (:mod:`analytics.credential_merge`): one spray
    across thirty workstations is one finding, not thirty."""
    merged_by: list[dict[str, Any]] = field(default_factory=list)
    """Why the validators are one finding (:func:`analytics.credential_merge.merge_findings`): per ground
    (``shared_source``, ``shared_accounts``), the values shared and, for accounts, when they failed."""

    @property
    def worst(self) -> str:
        """The pattern with the highest risk."""
        return max(self.patterns, key=lambda name: PATTERN_RISK[name])

    @property
    def risk(self) -> float:
        return PATTERN_RISK[self.worst]


def find_credential_attacks(validator: str, attempts: Sequence[Attempt], limits: Thresholds,
                            habitual: Set[tuple[str, str]] = frozenset()) -> CredentialFinding | None:
    """The credential attack patterns in one validator's attempts (oldest first), or None.

    Parameters
    ----------
    validator : str
        The host the attempts reached.
    attempts : sequence of Attempt
        :func:`analytics.credential_attempts.read_attempts`, sorted by time.
    limits : Thresholds
        The patterns' thresholds.
    habitual : set of (account, claimed workstation)
        Names each account was validated from before the window (:func:`habitual_names`): a user's own
        machine, never a sprayer's session name.

    Returns
    -------
    CredentialFinding or None
        None when no pattern matched.

    Examples
    --------
    >>> from analytics.credential_attempts import Attempt
    >>> tries = [Attempt(60.0 * i, f"corp\\\\u{i}", "failure 0xc000006a", "kali", None, f"e{i}", "x")
    ...          for i in range(12)]
    >>> finding = find_credential_attacks("dc01", tries, Thresholds())
    >>> finding.worst, len(finding.patterns[finding.worst])
    ('password_spray', 12)
    """
    spans: list[tuple[float, float]] = []
    patterns: dict[str, list[str]] = {}
    # a user mistyping on a machine they log on from is no spray attempt (analytics.credential_home): on a
    # 1,500-host fleet the unrecovered mistypes alone reached 15 accounts in an hour
    home = attempts_at_home(attempts, habitual)
    counted = [a for a in attempts if not (a.failed and a in home)]
    spray = _spray_window(counted, limits) or _daily_spray(counted, limits)
    if spray is not None:
        start, end, accounts = spray
        patterns[SPRAY] = sorted(accounts)
        spans.append((start, end))
    by_account: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_account[attempt.account].append(attempt)
    for account, tries in sorted(by_account.items()):
        brute = _densest(tries, limits.burst_seconds, lambda a: a.event_id if a.failed else None)
        if brute is not None and brute[2] >= limits.brute_force_min_failures:
            patterns.setdefault(BRUTE_FORCE, []).append(account)
            spans.append(brute[:2])
        rotation = _densest(tries, limits.burst_seconds, lambda a: a.workstation)
        if rotation is not None and rotation[2] >= limits.rotation_min_workstations:
            patterns.setdefault(ROTATION, []).append(account)
            spans.append(rotation[:2])
    compromises = _compromises(by_account, patterns.get(SPRAY, ()), spray, limits, habitual, home)
    if compromises:
        patterns[COMPROMISE] = sorted({c.account for c in compromises})
        spans.extend((c.attempt.ts, c.attempt.ts) for c in compromises)
    if not patterns:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    found = {account for accounts in patterns.values() for account in accounts}
    scope = [a for a in attempts if a.account in found and start <= a.ts <= end]
    return CredentialFinding(validator, patterns, start, end, scope, compromises)


def habitual_names(edges: Iterable[Relation], attempts: Sequence[Attempt]) -> frozenset[tuple[str, str]]:
    """(account, claimed workstation) pairs the graph saw before the window: the edge's ``workstations``
    tally (all time) counts more validations from the name than the window's attempts do.

    Examples
    --------
    >>> from graphsiem.model import Relation
    >>> edge = Relation(("user", "bob"), "VALIDATED_AT", ("host", "dc01"), 0.0, 9.0, 30,
    ...                 tallies={"workstations": {"ws-0042": 30}})
    >>> mine = Attempt(9.0, "bob", "success", "ws-0042", None, "e1", "x")
    >>> sorted(habitual_names([edge], [mine]))
    [('bob', 'ws-0042')]
    """
    in_window = Counter((a.account, a.workstation) for a in attempts if a.workstation)
    return frozenset((rel.src[1], name) for rel in edges
                     for name, count in ((rel.tallies or {}).get("workstations") or {}).items()
                     if count > in_window[(rel.src[1], name)])


def _spray_window(attempts: Sequence[Attempt], limits: Thresholds) -> tuple[float, float, set[str]] | None:
    """The window in which the most accounts failed at most ``spray_max_attempts`` times each (at least
    ``spray_min_accounts`` of them): its first and last failure and those accounts."""
    failures = _unrecovered(attempts, limits.burst_seconds)
    counts: Counter[str] = Counter()
    few = 0  # accounts in the window with 1..spray_max_attempts failures
    best: tuple[int, int, int] | None = None  # (few, left, right)
    left = 0
    for right, attempt in enumerate(failures):
        few += _step(counts, attempt.account, +1, limits.spray_max_attempts)
        while attempt.ts - failures[left].ts > limits.burst_seconds:
            few += _step(counts, failures[left].account, -1, limits.spray_max_attempts)
            left += 1
        if few >= limits.spray_min_accounts and (best is None or few > best[0]):
            best = (few, left, right)
    if best is None:
        return None
    window = failures[best[1]: best[2] + 1]
    per_account = Counter(a.account for a in window)
    accounts = {account for account, n in per_account.items() if n <= limits.spray_max_attempts}
    return window[0].ts, window[-1].ts, accounts


def _daily_spray(attempts: Sequence[Attempt], limits: Thresholds) -> tuple[float, float, set[str]] | None:
    """A slow spray: one claimed workstation or address whose failures, within a day, name at least
    ``daily_spray_min_accounts`` accounts (never fewer than ``spray_min_accounts``), each failing at most
    ``spray_max_attempts`` times and not recovered by a success within the burst window.

    A sprayer pacing under the hourly threshold (9 accounts an hour: 215 a day) stays under it; one
    source is what a day of users' mistypes lacks (500 users mistype from 500 machines).  Returns the
    best source's first and last failure and its accounts.
    """
    least = max(limits.daily_spray_min_accounts, limits.spray_min_accounts)
    per_source: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in _unrecovered(attempts, limits.burst_seconds):
        for source in {attempt.workstation, attempt.source_ip} - {None}:
            per_source[str(source)].append(attempt)
    best: tuple[float, float, set[str]] | None = None
    for _source, failures in sorted(per_source.items()):
        if len(failures) < least:
            continue
        window = _spray_window(failures, Thresholds(_DAY, least, limits.spray_max_attempts))
        if window is not None and (best is None or len(window[2]) > len(best[2])):
            best = window
    return best


def _unrecovered(attempts: Sequence[Attempt], seconds: float) -> list[Attempt]:
    """The failures not followed by a success of their account within ``seconds``, oldest first.

    A user who mistypes logs on a minute later; a sprayed account stays failed (the sprayer moves on).
    Counting only those keeps a busy DC's hourly mistypes (500 users, once a day each: about 50 an
    hour) from looking like a spray, while the spray's accounts, all but a compromised one, count.
    """
    next_success: dict[str, float] = {}
    kept: list[Attempt] = []
    for attempt in reversed(attempts):
        if attempt.outcome == "success":
            next_success[attempt.account] = attempt.ts
        elif attempt.failed:
            after = next_success.get(attempt.account)
            if after is None or after - attempt.ts > seconds:
                kept.append(attempt)
    kept.reverse()
    return kept


def _step(counts: Counter[str], account: str, delta: int, most: int) -> int:
    """Add ``delta`` to an account's failures; the change in accounts with 1..``most`` failures."""
    before = 1 <= counts[account] <= most
    counts[account] += delta
    after = 1 <= counts[account] <= most
    return int(after) - int(before)


def _densest(tries: Sequence[Attempt], seconds: float, key: Callable[[Attempt], str | None]) -> tuple[float, float, int] | None:
    """The window of ``seconds`` over the attempts with a key holding the most distinct keys:
    (first, last, how many).  Counted as the window slides: linear in the attempts."""
    window: deque[tuple[float, str]] = deque()
    held: Counter[str] = Counter()
    best: tuple[float, float, int] | None = None
    for attempt in tries:
        label = key(attempt)
        if label is None:
            continue
        window.append((attempt.ts, label))
        held[label] += 1
        while attempt.ts - window[0][0] > seconds:
            _, gone = window.popleft()
            held[gone] -= 1
            if not held[gone]:
                del held[gone]
        if best is None or len(held) > best[2]:
            best = (window[0][0], attempt.ts, len(held))
    return best


def _compromises(by_account: dict[str, list[Attempt]], sprayed: Sequence[str],
                 spray: tuple[float, float, set[str]] | None, limits: Thresholds,
                 habitual: Set[tuple[str, str]], home: Set[Attempt] = frozenset()) -> list[Compromise]:
    """Successes after ``compromise_min_failures`` failures of the account within the window before
    them (from a source the failures used when the success names an address; a 4776 names none but
    the validator), or after one failure during a spray (until a window after its last failure) from
    a claimed workstation or address the spray's failures used, or that the account's failures used and
    nothing used before the spray (a user mistyping during a spray on a busy DC logs on from their own
    machine, seen before); or, however long after the account's own failure, a success from a spray
    source between the first failure those sources sent and a window after their last (rounds).  A
    success from the account's own machine (habitual, or ``home``: :func:`analytics.credential_home.
    attempts_at_home`) is the user's, not the sprayer's, whatever failed from there before it."""
    found: list[Compromise] = []
    # where the spray came from: a success from one of those, or from a source the account's own failures
    # used that nothing used before the spray (a tool's name for that session), is the sprayer's; a user's
    # own workstation, seen before in the window or in the edge's tally of earlier days, is not
    known_before = {source for tries in by_account.values() for a in tries
                    if spray is not None and a.ts < spray[0] for source in (a.workstation, a.source_ip)}
    spray_sources = {source for account in sprayed for a in by_account.get(account, ())
                     if a.failed and spray is not None and spray[0] <= a.ts <= spray[1] and a not in home
                     # a sprayed user mistyping on their own machine meanwhile: that machine is not the sprayer's
                     for source in (a.workstation, a.source_ip) if source is not None and (account, source) not in habitual}
    # a spray in rounds (one password an hour or more apart, under the lock-out policy) is one spray: its
    # span runs from the first to the last failure its sources sent, and a success from one of them within
    # that span and a window after is the sprayer's, however long ago the account's own failure was
    rounds = [a.ts for tries in by_account.values() for a in tries
              if a.failed and {a.workstation, a.source_ip} & spray_sources]
    first_round, last_round = (min(rounds), max(rounds)) if rounds else (0.0, -1.0)
    for account, tries in sorted(by_account.items()):
        recent: deque[Attempt] = deque()
        sprayed_before = 0  # the account's failures from a spray source so far
        for attempt in tries:
            while recent and attempt.ts - recent[0].ts > limits.burst_seconds:
                recent.popleft()
            if attempt.failed:
                recent.append(attempt)
                sprayed_before += bool({attempt.workstation, attempt.source_ip} & spray_sources)
                continue
            if attempt.outcome != "success":
                continue
            if not recent:
                if (sprayed_before and first_round <= attempt.ts <= last_round + limits.burst_seconds
                        and {attempt.workstation, attempt.source_ip} & spray_sources
                        and not _own_machine(attempt, habitual, home)):
                    found.append(Compromise(account, attempt, sprayed_before))
                    sprayed_before = 0
                continue
            sources = [a for a in recent if attempt.source_ip is None or a.source_ip in (None, attempt.source_ip)]
            own = {source for a in recent for source in (a.workstation, a.source_ip)
                   if source is not None and source not in known_before and (account, source) not in habitual}
            # the spray ran on a user's own machine (its name among the spray's sources) and the user mistyped
            # and logged on there: that log-on is the user's, as in the branch above
            in_spray = (spray is not None and spray[0] <= attempt.ts <= spray[1] + limits.burst_seconds
                        and bool({attempt.workstation, attempt.source_ip} & (spray_sources | own))
                        and not _own_machine(attempt, habitual, home))
            if len(sources) >= limits.compromise_min_failures or (in_spray and sources):
                found.append(Compromise(account, attempt, len(sources)))
                recent.clear()  # one success ends the run it closed
                sprayed_before = 0
            else:
                # a success ends the run of failures its own source made: a user who mistyped twice and
                # logged on, three times in an hour, was not brute-forced (six failures 'before' the third)
                mine = {attempt.workstation, attempt.source_ip} - {None}
                recent = deque(a for a in recent if not {a.workstation, a.source_ip} & mine)
    return found


def _own_machine(attempt: Attempt, habitual: Set[tuple[str, str]], home: Set[Attempt]) -> bool:
    """Whether a success came from a machine its account logs on from: a name the edge's tally knew
    before the window, or sources the account had logged on from earlier in it."""
    return (attempt.account, attempt.workstation) in habitual or attempt in home
