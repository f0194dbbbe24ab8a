"""Which failed log-ons came from the account's own machine: a mistype, not a spray attempt.

A busy domain controller sees its users mistype all day (two a day each; three in a hundred walk away
without logging on within the hour).  Counted per validator whatever their sources, a 1,500-host
fleet's unrecovered mistypes reached 15 accounts in an hour (24 at 3,000), over the spray threshold of
10.  What tells them from a spray is *where* each failure came from: a user mistypes on a machine
they log on from; a sprayer tries each account from its own machine (one source) or under names it
makes up per attempt (the Brim WRCCDC DC's ``yygrhabrvpznn8lb``), never from each account's own
machine.  So a failure is *at home* when every source it names (the claimed workstation, the address)
is one the account had already logged on from: before the detection window (the ``VALIDATED_AT``
edge's workstations tally, :func:`analytics.credential_spray.habitual_names`) or earlier in it (a
success of the account from that name or address).  At-home failures do not count toward a spray.

A sprayer cannot make its failures look at home without a success of each account from the source
it claims first, which would mean it had the passwords.  A 4776 names only the claimed workstation,
so a sprayer writing each victim's own machine name into its 4776s would hide them; another record of
the same try (a 4625, a Kerberos refusal, a sensor's) names its address, which is not the victim's,
and the 4776 takes it (:mod:`analytics.credential_companions`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence, Set

from analytics.credential_attempts import Attempt

__all__ = ["CROWD_ACCOUNTS", "CROWD_SECONDS", "attempts_at_home", "crowded_failures"]

CROWD_ACCOUNTS = 10
"""Accounts failing from one source within :data:`CROWD_SECONDS` that make it no one's home: the spray
threshold (``Thresholds.spray_min_accounts``).  A shared machine's users mistype two a day each: ten
different ones within the hour needs well over a hundred of them active at once."""
CROWD_SECONDS = 3600.0
"""Either side of a failure (the spray's burst window)."""


def attempts_at_home(attempts: Sequence[Attempt], habitual: Set[tuple[str, str]]) -> frozenset[Attempt]:
    """The attempts whose every source the account had logged on from before them (module docstring).

    Parameters
    ----------
    attempts : sequence of Attempt
        One validator's attempts, oldest first.
    habitual : set of (account, claimed workstation)
        The names each account was validated from before the window.

    Returns
    -------
    frozenset of Attempt
        The failures and successes from a source already known for their account; an attempt that
        names no source is never at home.

    Examples
    --------
    >>> logon = Attempt(10.0, "bob", "success", "ws-0042", None, "e1", "x")
    >>> mistype = Attempt(99.0, "bob", "failure 0xc000006a", "ws-0042", None, "e2", "x")
    >>> sprayed = Attempt(99.0, "carol", "failure 0xc000006a", "ws-0042", None, "e3", "x")
    >>> sorted(a.event_id for a in attempts_at_home([logon, mistype, sprayed], frozenset()))
    ['e2']

    A failure from a source where :data:`CROWD_ACCOUNTS` accounts or more failed within
    :data:`CROWD_SECONDS` of it is never at home: a terminal server or jump host is every user's
    machine, and a sprayer on it would otherwise be every account's mistype (T14).
    """
    known: set[tuple[str, str]] = set(habitual)
    home: set[Attempt] = set()
    crowded = crowded_failures(attempts)
    for attempt in attempts:
        sources = [source for source in (attempt.workstation, attempt.source_ip) if source is not None]
        if sources and attempt not in crowded and all((attempt.account, source) in known for source in sources):
            home.add(attempt)
        if attempt.outcome == "success":
            known.update((attempt.account, source) for source in sources)
    return frozenset(home)


def crowded_failures(attempts: Iterable[Attempt], *, addresses_only: bool = False) -> set[Attempt]:
    """The failures from a source where :data:`CROWD_ACCOUNTS` accounts or more failed within
    :data:`CROWD_SECONDS` of them (any source the failure names; its address alone with
    ``addresses_only``: a claimed name can be each account's own, an address is where it came from)."""
    by_source: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        if attempt.failed:
            named = {attempt.source_ip} if addresses_only else {attempt.workstation, attempt.source_ip}
            for source in named - {None}:
                by_source.setdefault(str(source), []).append(attempt)
    crowded: set[Attempt] = set()
    for failures in by_source.values():
        if len({a.account for a in failures}) < CROWD_ACCOUNTS:
            continue  # most sources: a few accounts all window long
        failures.sort(key=lambda a: a.ts)
        # the accounts within CROWD_SECONDS either side, both ends moving forward only: linear in the failures
        held: Counter[str] = Counter()
        lo = hi = 0
        for attempt in failures:
            while hi < len(failures) and failures[hi].ts <= attempt.ts + CROWD_SECONDS:
                held[failures[hi].account] += 1
                hi += 1
            while failures[lo].ts < attempt.ts - CROWD_SECONDS:
                held[failures[lo].account] -= 1
                if not held[failures[lo].account]:
                    del held[failures[lo].account]
                lo += 1
            if len(held) >= CROWD_ACCOUNTS:
                crowded.add(attempt)
    return crowded
