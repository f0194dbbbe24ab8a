"""A credential finding (:mod:`analytics.credential_spray`) as a cluster: its words, its ``credential``
record and its checks.

The cluster keeps the PRODUCT.md contract: ``hosts`` is the validator alone (the one host the attempts
reached; claimed workstation names are claims, never hosts), ``entities`` the validator then the
accounts tried, ``explanation.summary`` one plain sentence, ``explanation.features`` the counts with
the threshold each was compared with as its baseline.  It adds one key, ``credential``: the pattern,
the accounts with their attempts, the claimed workstations, the source addresses, the outcomes with
their meaning and the compromised accounts (:func:`credential_record`).
"""

from __future__ import annotations

import ipaddress
import time
from collections import Counter
from typing import Any

from analytics.credential_guessing import INVALID_USER
from analytics.credential_spray import (
    BRUTE_FORCE,
    COMPROMISE,
    GUESSING,
    ROTATION,
    SPRAY,
    Compromise,
    CredentialFinding,
    Thresholds,
)
from analytics.credential_statuses import STATUS_MEANINGS
from analytics.explain import Check, Explanation, FeatureContribution
from analytics.result import Cluster, cluster_id
from graphsiem.model import Entity, EntityType, epoch_to_iso
from graphsiem.visible_text import visible

PIVOT_TYPE = "credential_attack"
"""The ``cluster_id`` namespace of a credential finding (one case per validator)."""
SHOWN = 50
"""Accounts, workstations and addresses a record lists (most attempted first); the totals count all."""
PRIVILEGES_SHOWN = 3
"""A compromised session's special privileges named in the summary (4672 lists up to a dozen)."""
_TITLES = {COMPROMISE: "Likely compromise", SPRAY: "Password spray", BRUTE_FORCE: "Brute force",
           ROTATION: "Rotating claimed workstations", GUESSING: "SSH guessing of default names"}


def outcome_meaning(label: str) -> str:
    """Plain words for an outcome label.

    >>> outcome_meaning("failure 0xc000006a"), outcome_meaning("success")
    ('wrong password', 'succeeded')
    """
    if label == "success":
        return "succeeded"
    if label.startswith("failure "):
        return STATUS_MEANINGS.get(label[8:], f"failed ({label[8:]})")
    return "failed" if label == "failure" else "outcome not logged"


def credential_cluster(finding: CredentialFinding, limits: Thresholds, evidence: list[dict[str, str]]) -> Cluster:
    """The cluster of a finding: contract keys, its ``credential`` record, summary and checks."""
    record = credential_record(finding)
    accounts = [row["account"] for row in record["accounts"]]
    validator = _target(finding.validator)
    reached = [_target(host) for host in finding.other_validators]
    members = [validator, *reached] + [Entity(EntityType.USER.value, a, a) for a in accounts]
    features = {
        "accounts_tried": float(record["accounts_total"]),
        "accounts_failed": float(sum(1 for row in record["accounts"] if row["failures"])),
        "max_failures_per_account": float(max((row["failures"] for row in record["accounts"]), default=0)),
        "claimed_workstations": float(record["workstations_total"]),
        "source_addresses": float(record["source_ips_total"]),
        "attempts": float(len(finding.attempts)),
        "compromised_accounts": float(len(record["compromised"])),
    }
    baselines = {"accounts_failed": limits.spray_min_accounts, "max_failures_per_account": limits.brute_force_min_failures,
                 "claimed_workstations": limits.rotation_min_workstations}
    explanation = Explanation(
        summary=summary(finding, record),
        features=tuple(FeatureContribution(name, value, float(baselines.get(name, 0)), 0.0,
                                           "credential finding: the baseline is the pattern's threshold")
                       for name, value in features.items()),
        checks=checks(finding, record),
    )
    return Cluster(id=cluster_id(PIVOT_TYPE, finding.validator), pivot=validator, score=finding.risk,
                   hosts=[finding.validator, *finding.other_validators], entities=members, first_seen=finding.start, last_seen=finding.end,
                   features=features, explanation=explanation, evidence=evidence, credential=record)


def _target(name: str) -> Entity:
    """A validator as an entity: its host, or its address when a sensor saw a server the IP map does not
    know (:mod:`analytics.credential_network`): an ``ip`` entity, never a host named like an address."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return Entity(EntityType.HOST.value, name, name)
    return Entity(EntityType.IP.value, name, name)


def credential_record(finding: CredentialFinding) -> dict[str, Any]:
    """The ``credential`` key of the cluster: what the page and the API show of the attempts."""
    per_account: dict[str, Counter[str]] = {}
    for attempt in finding.attempts:
        row = per_account.setdefault(attempt.account, Counter())
        row["attempts"] += 1
        row["failures" if attempt.failed else "successes" if attempt.outcome == "success" else "unknown"] += 1
    compromised = {c.account for c in finding.compromises}
    accounts = sorted(per_account.items(), key=lambda item: (-item[1]["attempts"], item[0]))
    workstations = Counter(a.workstation for a in finding.attempts if a.workstation)
    addresses = Counter(a.source_ip for a in finding.attempts if a.source_ip)
    outcomes = Counter(a.outcome for a in finding.attempts)
    return {
        "pattern": finding.worst,
        "patterns": {name: list(found) for name, found in finding.patterns.items()},
        "validator": finding.validator,
        "validators": [finding.validator, *finding.other_validators][:SHOWN],
        "validators_total": 1 + len(finding.other_validators),
        "start": epoch_to_iso(finding.start),
        "end": epoch_to_iso(finding.end),
        "accounts": [{"account": name, "attempts": row["attempts"], "failures": row["failures"],
                      "successes": row["successes"], "compromised": name in compromised}
                     for name, row in accounts[:SHOWN]],
        "accounts_total": len(per_account),
        "workstations": [{"label": w, "count": n} for w, n in workstations.most_common(SHOWN)],
        "workstations_total": len(workstations),
        "source_ips": [{"label": ip, "count": n} for ip, n in addresses.most_common(SHOWN)],
        "source_ips_total": len(addresses),
        "outcomes": [{"label": label, "count": n, "meaning": outcome_meaning(label)}
                     for label, n in outcomes.most_common()],
        "compromised": [{"account": c.account, "at": epoch_to_iso(c.attempt.ts), "failures_before": c.failures_before,
                         "workstation": c.attempt.workstation, "source_ip": c.attempt.source_ip,
                         "host": c.validator or finding.validator,
                         "event_id": c.attempt.event_id, "privileges": list(c.privileges),
                         "privileges_event_id": c.privileges_event} for c in finding.compromises],
        "merged_by": [dict(ground) for ground in finding.merged_by],
    }


def summary(finding: CredentialFinding, record: dict[str, Any]) -> str:
    """One sentence: who tried how many accounts where and when, how it ended.

    E.g. "Password spray: 13 claimed workstations tried 47 accounts on dc01 between 10:02 and 10:09
    UTC on 2026-11-02; 46 failed with 'wrong password'; 1 succeeded after failing: corp\\bob at 10:09."
    """
    sources = []
    if record["workstations_total"]:
        sources.append(_plural(record["workstations_total"], "claimed workstation"))
    if record["source_ips_total"]:
        sources.append(_plural(record["source_ips_total"], "address", "addresses"))
    who = " and ".join(sources) or "clients naming no source"
    when = f"between {_clock(finding.start)} and {_clock(finding.end)} UTC on {_day(finding.start)}"
    parts = [f"{_TITLES[finding.worst]}: {who} tried {_plural(record['accounts_total'], 'account')} "
             f"on {_reached(finding)} {when}"]
    failed = [row for row in record["outcomes"] if row["label"].startswith("failure")]
    for row in failed[:3]:
        parts.append(f"{_plural(row['count'], 'attempt')} failed with '{row['meaning']}'")
    succeeded = sum(row["count"] for row in record["outcomes"] if row["label"] == "success")
    if finding.compromises:
        # what the analyst acts on: which account logged on, from where, on which host and when
        logons = "; ".join(_logon_words(c, finding.validator) for c in finding.compromises[:3])
        more = f" ({len(finding.compromises)} accounts in all)" if len(finding.compromises) > 3 else ""
        parts.append(f"then {logons}{more}")
    elif succeeded:
        parts.append(f"{_plural(succeeded, 'attempt')} succeeded")
    merge = merge_words(finding)
    if merge:
        parts.append(merge)
    if ROTATION in finding.patterns:
        names = ", ".join(finding.patterns[ROTATION][:3])
        parts.append(f"{names} validated from many different claimed workstation names (a tool's random names, not hosts)")
    if GUESSING in finding.patterns:
        guessed = finding.patterns[GUESSING]
        unknown = sorted({a.account for a in finding.attempts if a.outcome == INVALID_USER} & set(guessed))
        parts.append(f"{len(unknown)} of the {_plural(len(guessed), 'name')} tried do not exist on the hosts "
                     f"({', '.join(unknown[:4])}{', ...' if len(unknown) > 4 else ''}): an internet bot's default "
                     "names, ranked under a spray of your users' names")
    # account and workstation names are claimed by the client: hidden characters as codes (T14)
    return visible("; ".join(parts) + ".")


def _logon_words(broken: Compromise, validator: str) -> str:
    """A likely compromise as the log-on it was.

    >>> from analytics.credential_attempts import Attempt
    >>> logon = Attempt(1_793_005_100.0, "corp\\\\user17", "success", None, "10.20.30.40", "e9", "winsec:logon")
    >>> _logon_words(Compromise("corp\\\\user17", logon, 1, "srv05"), "srv01")
    'a log-on as corp\\\\user17 from 10.20.30.40 succeeded on srv05 at 08:58 UTC after 1 failure'
    """
    attempt = broken.attempt
    source = (f" from {attempt.source_ip}" if attempt.source_ip
              else f" from claimed workstation {attempt.workstation}" if attempt.workstation else "")
    host = broken.validator or validator
    said = (f"a log-on as {broken.account}{source} succeeded on {host} at "
            f"{_clock(attempt.ts)} UTC after {_plural(broken.failures_before, 'failure')}")
    if broken.privileges_event is None:
        return said
    # the session the sprayer opened was an admin's (4672): what the analyst must know first
    named = ", ".join(broken.privileges[:PRIVILEGES_SHOWN])
    more = ", ..." if len(broken.privileges) > PRIVILEGES_SHOWN else ""
    return f"{said}, and that session was given administrator rights on {host} ({named or '4672'}{more})"


def checks(finding: CredentialFinding, record: dict[str, Any]) -> tuple[Check, ...]:
    """The analyst's next steps, each with what would make the finding benign."""
    steps = []
    if finding.compromises:
        names = ", ".join(c.account for c in finding.compromises[:5])
        steps.append(Check(COMPROMISE, f"Reset the password of {names} and review its log-ons after "
                           f"{_clock(finding.compromises[0].attempt.ts)} UTC (4624 on every host, new sessions, "
                           "Kerberos tickets issued to it).",
                           "the user confirms mistyping the password and then logging on from their own machine"))
    if (SPRAY in finding.patterns or BRUTE_FORCE in finding.patterns or GUESSING in finding.patterns) \
            and _is_ssh(finding):
        steps.append(Check(None, f"Find the client behind the SSH attempts on {finding.validator}: look up the "
                           "addresses in the firewall's and the network sensor's logs (Zeek conn/ssh) at those times, "
                           "check whether these accounts logged on afterwards (sshd 'Accepted', last), and block an "
                           "address that is not yours.",
                           "an internal scanner or a script with a stale password or key, from one known machine"))
    elif SPRAY in finding.patterns or BRUTE_FORCE in finding.patterns:
        steps.append(Check(None, f"Find the client behind the attempts on {finding.validator}: the claimed names are "
                           "what it wrote, so look up the address in the DC's network logs (NTLM over SMB, LDAP, "
                           "HTTP) at those times, and check lock-outs (4740) for these accounts.",
                           "a misconfigured service or a user's stale saved password retrying one account from "
                           "one known machine"))
    merge = merge_words(finding)
    if merge:
        steps.append(Check(None, f"{merge[0].upper()}{merge[1:]}: confirm it is one client by the times and "
                           "accounts on each host (their network logs at those times).",
                           "two unrelated incidents that happen to share them (e.g. a password expiry of the "
                           "same accounts on two servers)"))
    if ROTATION in finding.patterns:
        steps.append(Check(None, "A workstation name that changes with every attempt is written by a tool (spraying "
                           "and relay tools randomise it): find which machine sent these validations.",
                           "a known scanner or a terminal-server farm whose clients send their own names"))
    return tuple(steps)


def _is_ssh(finding: CredentialFinding) -> bool:
    """Whether every attempt is a Linux host's sshd/PAM line (:mod:`analytics.credential_syslog`)."""
    return all(attempt.kind.startswith("syslog:") for attempt in finding.attempts)


def merge_words(finding: CredentialFinding) -> str:
    """Why the finding's hosts are one finding, in words ('' for one validator).

    >>> f = CredentialFinding("ws-1", {"password_spray": ["a"]}, 0.0, 60.0, [], other_validators=["ws-2"],
    ...     merged_by=[{"ground": "shared_accounts", "values": ["a", "b"], "total": 12,
    ...                 "start": "2026-11-02T10:02:00Z", "end": "2026-11-02T10:09:00Z"}])
    >>> merge_words(f)
    'merged from 2 hosts because the same 12 accounts (a, b, ...) failed on each between 2026-11-02T10:02:00Z and 2026-11-02T10:09:00Z'
    """
    reasons = []
    for ground in finding.merged_by:
        shown = ", ".join(ground["values"][:3]) + (", ..." if ground["total"] > 3 else "")
        if ground["ground"] == "shared_accounts":
            reasons.append(f"the same {ground['total']} accounts ({shown}) failed on each between "
                           f"{ground['start']} and {ground['end']}")
        else:
            reasons.append(f"their failures came from the same {_plural(ground['total'], 'source')} ({shown})")
    if not reasons:
        return ""
    return f"merged from {1 + len(finding.other_validators)} hosts because {' and '.join(reasons)}"


def _reached(finding: CredentialFinding) -> str:
    """The validator, or how many hosts one source's attempts reached."""
    if not finding.other_validators:
        return finding.validator
    return f"{1 + len(finding.other_validators)} hosts ({finding.validator}, {', '.join(finding.other_validators[:2])}" \
        f"{', ...' if len(finding.other_validators) > 2 else ''})"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def _clock(ts: float) -> str:
    return time.strftime("%H:%M", time.gmtime(ts))


def _day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def record_lines(record: dict[str, Any], shown: int = 8) -> list[str]:
    """The ``credential`` record as the CLI's text lines (raw text: the caller escapes them).

    >>> record_lines({"pattern": "brute_force", "validator": "dc01", "accounts": [{"account": "admin",
    ...     "attempts": 25, "failures": 25, "successes": 0, "compromised": False}], "accounts_total": 1,
    ...     "workstations": [{"label": "kali", "count": 25}], "workstations_total": 1, "source_ips": [],
    ...     "source_ips_total": 0, "outcomes": [{"label": "failure 0xc000006a", "count": 25,
    ...     "meaning": "wrong password"}], "compromised": []})  # doctest: +NORMALIZE_WHITESPACE
    ['  credential: brute_force on dc01',
     '    accounts (1): admin 25 failed/0 ok',
     '    claimed workstations (claims, not hosts; 1): kali x25',
     '    outcomes: failure 0xc000006a (wrong password) x25']
    """
    reached = int(record.get("validators_total") or 1)
    more_hosts = f" and {_plural(reached - 1, 'more host')}" if reached > 1 else ""
    lines = [f"  credential: {record.get('pattern')} on {record.get('validator')}{more_hosts}"]
    for c in record.get("compromised") or []:
        lines.append(f"    compromised: {c['account']} at {c['at']} after {_plural(c['failures_before'], 'failure')}")
    accounts = ", ".join(f"{a['account']} {a['failures']} failed/{a['successes']} ok"
                         for a in (record.get("accounts") or [])[:shown])
    more = " ..." if record.get("accounts_total", 0) > shown else ""
    lines.append(f"    accounts ({record.get('accounts_total', 0)}): {accounts}{more}")
    for name, title in (("workstations", "claimed workstations (claims, not hosts; "), ("source_ips", "source addresses (")):
        rows = record.get(name) or []
        if rows:
            listed = ", ".join(f"{r['label']} x{r['count']}" for r in rows[:shown])
            lines.append(f"    {title}{record.get(name + '_total', len(rows))}): {listed}"
                         f"{' ...' if record.get(name + '_total', 0) > shown else ''}")
    outcomes = ", ".join(f"{o['label']} ({o['meaning']}) x{o['count']}" for o in record.get("outcomes") or [])
    lines.append(f"    outcomes: {outcomes}")
    for ground in record.get("merged_by") or []:
        listed = ", ".join(str(v) for v in ground["values"][:shown])
        when = f" between {ground['start']} and {ground['end']}" if ground.get("start") else ""
        lines.append(f"    merged by {ground['ground'].replace('_', ' ')} ({ground['total']}): {listed}"
                     f"{' ...' if ground['total'] > shown else ''}{when}")
    return lines
