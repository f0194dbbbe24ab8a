"""A password spray spread over member servers, each under every per-host threshold (task CRED6 item 2).

:func:`analytics.credential_spray.find_credential_attacks` judges one host at a time: a sprayer trying
forty accounts against twelve member servers over SMB or RDP, three or four on each, leaves each server's
4625s under ``spray_min_accounts`` (and under the count :func:`analytics.credential_targets.
failed_logon_hosts` reads a host at), and with no network sensor and no DC 4776 of those tries (a local
account, or a DC whose log was not collected) nothing was read.  What the sprayer cannot spread is its
own source: :func:`spread_sprays` pools the refused log-ons of every host (4625, sshd) by the address
they came from, or else the workstation name the client claimed, and reads each source's failures as
one host's are: a password spray when at least ``spray_min_accounts`` accounts failed from it, each at
most ``spray_max_attempts`` times and not logging on within the burst window after (or the daily count),
on at least :data:`SPREAD_MIN_HOSTS` hosts.  Each host reached gives a finding of that source's failures
on it, and :func:`analytics.credential_merge.merge_findings` joins them on the shared source: one
finding naming the servers (``validators``) and the accounts.

A spray that **succeeds** (task CRED7 item 1) is a likely compromise: a log-on (4624, sshd ``Accepted``)
of a sprayed account *from the spray's source*, on any host with a refusal in the window, after that
account's failure from it and at most ``burst_seconds`` after the spray's last failure (rounds included),
is the sprayer's, paired as :func:`analytics.credential_spray.find_credential_attacks` pairs a DC's: the
finding says which account logged on where and when, at the compromise's risk.  The account's own
log-ons from anywhere else (its user mistyping at their workstation and logging on there) neither
recover the spray's failures nor are its success: a success is read with the source it came from.

What stays quiet:

* a misconfigured service retrying one account on many servers, or a user's stale password on their
  own phone, laptop and desktop: one account, no spray (a brute force of one account is a per-host
  count, never pooled across hosts: a service's retries on thirty servers are not one attack);
* users mistyping: each from their own machine (``127.0.0.1``/``-`` for an interactive log-on, no
  source) or at home as :func:`analytics.credential_home.attempts_at_home` reads it, and logging on
  after;
* a source a per-host finding already names (it is that finding's, and merges with it there);
* a vulnerability scanner the operator lists (``credential_known_scanners``: addresses or networks):
  it tries default accounts on every server by design.  Only this rule skips it: a scanner's address
  failing twenty times for one account on one server is still that server's brute force.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence, Set
from dataclasses import replace

from analytics.credential_attempts import Attempt
from analytics.credential_spray import (
    COMPROMISE,
    SPRAY,
    Compromise,
    CredentialFinding,
    Thresholds,
    find_credential_attacks,
)
from analytics.credential_syslog import SYSLOG_FAILURE_KIND, SYSLOG_SUCCESS_KIND

__all__ = ["SPREAD_MIN_HOSTS", "failing_sources", "spray_addresses", "spread_sprays"]

SPREAD_MIN_HOSTS = 3
"""Fewest hosts one source's sprayed failures must reach: two are what a user's own two machines or a
server pair behind one load balancer give; three servers tried from one source with ten accounts is no one's habit."""

REFUSALS = frozenset({"winsec:logon_failed", SYSLOG_FAILURE_KIND})
"""The failures pooled: a log-on a host refused itself (a DC's 4776 and 4771 are the DC finding's)."""
LOGONS = frozenset({"winsec:logon", SYSLOG_SUCCESS_KIND})
"""The successes pooled: an account logging on after its failure recovered it (a user's mistype)."""


def spread_sprays(attempts_by_host: Mapping[str, Sequence[Attempt]], limits: Thresholds,
                  taken: Set[str] = frozenset(), scanners: Collection[str] = ()) -> list[CredentialFinding]:
    """One finding per host a spread spray reached (the merge joins them on their source; module docstring).

    Parameters
    ----------
    attempts_by_host : mapping
        Host -> its attempts in the window (:func:`analytics.credential_attempts.read_attempts`).
    limits : Thresholds
        The spray pattern's thresholds.
    taken : set of str
        Sources per-host findings already name (:func:`failing_sources`): not read again.
    scanners : collection of str
        Addresses or networks (CIDR) of the operator's vulnerability scanners.

    Returns
    -------
    list of CredentialFinding
        Per host reached, the source's failures of the sprayed accounts there (pattern ``password_spray``).

    Examples
    --------
    >>> tries = {f"srv{n}": [Attempt(60.0 * (4 * n + k), f"corp\\\\u{4 * n + k}", "failure 0xc000006a", None,
    ...                              "10.9.9.9", f"e{n}{k}", "winsec:logon_failed") for k in range(4)]
    ...          for n in range(3)}
    >>> sorted((f.validator, len(f.patterns["password_spray"])) for f in spread_sprays(tries, Thresholds()))
    [('srv0', 4), ('srv1', 4), ('srv2', 4)]
    """
    networks = _networks(scanners)
    host_of: dict[str, str] = {}
    by_source: dict[str, list[Attempt]] = defaultdict(list)
    logons: dict[str, list[Attempt]] = defaultdict(list)
    for host, attempts in attempts_by_host.items():
        for attempt in attempts:
            host_of[attempt.event_id] = host
            if attempt.kind in LOGONS and attempt.outcome == "success":
                logons[attempt.account].append(attempt)
            elif attempt.kind in REFUSALS and attempt.failed:
                # the address the packets came from first; a claimed name only when the record gives none
                source = attempt.source_ip or attempt.workstation
                if source is not None:
                    by_source[source].append(attempt)
    found: list[CredentialFinding] = []
    for source, failures in sorted(by_source.items()):
        if source in taken or _scanner(source, networks):
            continue
        if len({host_of[a.event_id] for a in failures}) < SPREAD_MIN_HOSTS:
            continue
        if len({a.account for a in failures}) < limits.spray_min_accounts:
            continue
        found.extend(_per_host(source, failures, logons, host_of, limits))
    return found


def _per_host(source: str, failures: list[Attempt], logons: Mapping[str, list[Attempt]],
              host_of: Mapping[str, str], limits: Thresholds) -> list[CredentialFinding]:
    """The source's spray, if its failures make one on enough hosts, as one finding per host reached."""
    accounts = {a.account for a in failures}
    # a success recovers a failure, or is the sprayer's, only from the source: the sprayed users' own
    # log-ons elsewhere that day (every success of a member host is read) say nothing of these tries
    recoveries = [a for account in accounts for a in logons.get(account, ()) if _from(a, source)]
    tries = sorted([*failures, *recoveries], key=lambda a: (a.ts, a.event_id))
    pooled = find_credential_attacks(source, tries, limits)
    if pooled is None or SPRAY not in pooled.patterns:
        return []  # one account failing on many servers (a service, a stale password) is no spray
    sprayed = set(pooled.patterns[SPRAY])
    own = set(failures)
    scope = [a for a in pooled.attempts if a.failed and a.account in sprayed and a in own]
    per_host: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in scope:
        per_host[host_of[attempt.event_id]].append(attempt)
    if len(per_host) < SPREAD_MIN_HOSTS:
        return []
    found = {host: CredentialFinding(host, {SPRAY: sorted({a.account for a in tries})}, tries[0].ts, tries[-1].ts, tries)
             for host, tries in sorted(per_host.items())}
    for broken in _successes(source, pooled.compromises, host_of):
        # on the host it logged on to when the spray reached it, else on the first reached (one merged finding)
        finding = found.get(broken.validator or "") or found[min(found)]
        finding.compromises.append(broken)
        finding.patterns.setdefault(COMPROMISE, []).append(broken.account)
        finding.attempts.append(broken.attempt)
        finding.start, finding.end = min(finding.start, broken.attempt.ts), max(finding.end, broken.attempt.ts)
    return list(found.values())


def _successes(source: str, compromises: Sequence[Compromise], host_of: Mapping[str, str]) -> list[Compromise]:
    """The pooled finding's likely compromises that logged on *from the spray's source*, each with its host.

    The pooled read pairs a success with a sprayed account's failure before it from a source the spray
    used, up to ``burst_seconds`` after the spray's last failure (:func:`analytics.credential_spray.
    find_credential_attacks`); it is given only the source's successes, and a claimed name is no address:
    only the sprayer's own log-on is the spray's success, never the user's at their own workstation.
    """
    return [replace(c, validator=host_of[c.attempt.event_id]) for c in compromises if _from(c.attempt, source)]


def _from(attempt: Attempt, source: str) -> bool:
    """Whether an attempt came from ``source``: its address, or its claimed name when it names no address."""
    return attempt.source_ip == source or (attempt.source_ip is None and attempt.workstation == source)


def spray_addresses(findings: Sequence[CredentialFinding]) -> set[str]:
    """The addresses the spread sprays' failures came from (a claimed name is no address: nothing logs
    on *from* it that the graph can follow).

    A sprayer that found a password may use it on a host that refused nothing in the window (a server it
    never tried, or whose 4625s were never collected): :func:`analytics.credential_findings.
    credential_clusters` reads the log-ons from these addresses on the hosts the graph says they logged
    on to, and pools them again (CRED8).

    Examples
    --------
    >>> tries = [Attempt(0.0, "u1", "failure", "kali", "10.9.9.9", "e1", "winsec:logon_failed"),
    ...          Attempt(1.0, "u2", "failure", "kali", None, "e2", "winsec:logon_failed")]
    >>> sorted(spray_addresses([CredentialFinding("srv1", {SPRAY: ["u1"]}, 0.0, 1.0, tries)]))
    ['10.9.9.9']
    """
    return {a.source_ip for f in findings if SPRAY in f.patterns for a in f.attempts
            if a.failed and a.source_ip is not None}


def failing_sources(findings: Sequence[CredentialFinding]) -> set[str]:
    """The addresses and claimed names the findings' failures came from (those :func:`spread_sprays` skips)."""
    return {source for f in findings for a in f.attempts if a.failed
            for source in (a.source_ip, a.workstation) if source}


def _networks(scanners: Collection[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(text, strict=False) for text in scanners]


def _scanner(source: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    """Whether ``source`` is an address in one of the operator's scanner networks (a claimed name never is)."""
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return False
    return any(address in network for network in networks)
