"""The address a 4776 does not write, taken from another record of the same try (task CRED5 item 1).

A 4776 names the account and the workstation name the client claimed, never an address.  A failure is
a mistype *at home* when every source it names is one its account logs on from
(:mod:`analytics.credential_home`), so a sprayer that writes each victim's own machine name into its
NTLM messages makes every 4776 of the spray read as that victim mistyping at home.  What it cannot
forge away is where its packets come from: the same try is often recorded a second time with the
address, by the server the log-on was for (a 4625 on a member server, whose own failures stay under
any threshold when the sprayer spreads over several), by a refused Kerberos pre-authentication (4771)
or by a network sensor (Zeek ``ntlm.log``/``kerberos.log``, whose record of a 4776 the DC logged is
dropped as a copy, :func:`analytics.credential_network.without_windows_copies`).

:func:`with_companion_addresses` gives such a 4776 failure the address of its *companion*: a failure
of the same bare account, recorded with an address at most
:data:`analytics.credential_network.SAME_ATTEMPT_SECONDS` away on any validator or by the sensor,
from an address that is not the claimed machine's:

* one from which :data:`analytics.credential_home.CROWD_ACCOUNTS` accounts or more failed within
  :data:`analytics.credential_home.CROWD_SECONDS` (no one's home: a sprayer's), or
* one the IP map says another host held then (the claimed name is not where the try came from).

The 4776 is then that address's attempt: it is not at home (its account never logged on from the
address), it counts toward the spray, its finding lists the address, and findings sharing it merge.
A user's real mistype keeps no companion address or one of its own machine (an address only their
failures came from, or that the map gives their machine), and stays at home.

**Only NTLM records are companions** (task T15L): a 4776 is an NTLM validation, so the same try is
recorded again only on the NTLM side: a Zeek ``ntlm.log`` record, or a 4625 (:data:`NTLM_COMPANION_KINDS`).
A refused Kerberos pre-authentication (4771 / refused 4768, Zeek ``kerberos.log``) is another protocol's
try, never this one, and a Kerberos AS request is one UDP datagram whose source address anyone can
write: a sprayer sending one with a victim's address just before each NTLM try made every 4776 list the
victim's address (and merge on it) instead of its own.  A 4625 is a companion when it says NTLM refused
it (``AuthenticationPackageName`` ``NTLM`` or ``LogonProcessName`` ``NtLmSsp``, :attr:`Attempt.protocol`);
one saying ``Kerberos`` or ``Negotiate`` (an interactive log-on at the server) is another try, task CRED6.
A 4625 that says neither (an MDE row, ArcSight's CEF, a journal not yet read again by ``graphsiem
rebuild``) still counts, as every 4625 did before: it needs the attacker to reach the member server
with its real address anyway.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence, Set

from analytics.credential_attempts import VALIDATION_KIND, Attempt
from analytics.credential_home import crowded_failures
from analytics.credential_network import NTLM_KIND, SAME_ATTEMPT_SECONDS, bare_account
from analytics.evidence_addresses import AddressHolders

__all__ = ["NTLM_COMPANION_KINDS", "is_ntlm_companion", "with_companion_addresses"]

NTLM_COMPANION_KINDS = frozenset({NTLM_KIND, "winsec:logon_failed"})
"""The records a 4776's address may come from: the sensor's ``ntlm.log`` and a member server's 4625."""


def with_companion_addresses(windows: Mapping[str, Sequence[Attempt]], network: Mapping[str, Sequence[Attempt]],
                             holders: AddressHolders | None = None) -> dict[str, list[Attempt]]:
    """``windows`` with each address-less 4776 failure that has a foreign companion given its address.

    Parameters
    ----------
    windows : mapping
        Validator -> its Windows (and sshd) attempts (:func:`analytics.credential_attempts.read_attempts`).
    network : mapping
        Target -> the sensor's attempts, *before* the copies of Windows attempts are dropped (a copy is
        the very record that names the address).
    holders : AddressHolders, optional
        The journal's IP map; without it only a crowded address is foreign.

    Returns
    -------
    dict
        The same validators and attempts, in the same order; a 4776 failure with a foreign companion
        carries its ``source_ip`` (the event is still the 4776).

    Examples
    --------
    >>> home = [Attempt(100.0 + n, f"corp\\\\u{n}", "failure 0xc000006a", f"ws-{n}", None, f"v{n}",
    ...                 VALIDATION_KIND) for n in range(10)]
    >>> seen = {"dc01": [Attempt(100.5 + n, f"u{n}", "failure", f"ws-{n}", "10.9.9.9", f"z{n}", "zeek:ntlm")
    ...                  for n in range(10)]}
    >>> {a.source_ip for a in with_companion_addresses({"dc01": home}, seen)["dc01"]}
    {'10.9.9.9'}
    """
    addressed = [a for attempts in (*windows.values(), *network.values()) for a in attempts
                 if a.failed and a.source_ip is not None]
    if not addressed:
        return {host: list(attempts) for host, attempts in windows.items()}
    # crowded over every failure (a sprayer's Kerberos tries crowd its address too), companions NTLM only
    crowded = crowded_failures(addressed, addresses_only=True)
    by_account: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in addressed:
        if is_ntlm_companion(attempt):
            by_account[bare_account(attempt.account)].append(attempt)
    for attempts in by_account.values():
        attempts.sort(key=lambda a: a.ts)
    times = {account: [a.ts for a in attempts] for account, attempts in by_account.items()}
    return {host: [_with_address(a, by_account, times, crowded, holders) for a in attempts]
            for host, attempts in windows.items()}


def is_ntlm_companion(attempt: Attempt) -> bool:
    """Whether ``attempt`` may be a 4776's companion: the sensor's ``ntlm.log``, or a 4625 NTLM refused.

    >>> failed = Attempt(1.0, "bob", "failure 0xc000006a", None, "10.0.0.9", "e1", "winsec:logon_failed")
    >>> [is_ntlm_companion(dataclasses.replace(failed, protocol=p)) for p in ("ntlm", "kerberos", None)]
    [True, False, True]
    """
    if attempt.kind not in NTLM_COMPANION_KINDS:
        return False
    return attempt.protocol in (None, "ntlm")


def _with_address(attempt: Attempt, by_account: Mapping[str, list[Attempt]], times: Mapping[str, list[float]],
                  crowded: Set[Attempt], holders: AddressHolders | None) -> Attempt:
    if attempt.kind != VALIDATION_KIND or not attempt.failed or attempt.source_ip is not None:
        return attempt
    account = bare_account(attempt.account)
    held = by_account.get(account)
    if not held:
        return attempt
    low = bisect_left(times[account], attempt.ts - SAME_ATTEMPT_SECONDS)
    high = bisect_right(times[account], attempt.ts + SAME_ATTEMPT_SECONDS)
    for companion in held[low:high]:
        if _foreign(companion, attempt.workstation, crowded, holders):
            return dataclasses.replace(attempt, source_ip=companion.source_ip)
    return attempt


def _foreign(companion: Attempt, claimed: str | None, crowded: Set[Attempt],
             holders: AddressHolders | None) -> bool:
    """Whether the companion's address is no machine of the claimed name's: crowded, or mapped elsewhere."""
    if companion in crowded:
        return True
    if holders is None or companion.source_ip is None:
        return False
    holder = holders.holder(companion.source_ip, companion.ts)
    return holder is not None and (claimed is None or holder != _short(claimed))


def _short(name: str) -> str:
    """A claimed name as the IP map keys hosts (short, lower case)."""
    return name.strip().lower().partition(".")[0]
