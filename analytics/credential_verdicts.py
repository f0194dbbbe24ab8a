"""What a benign verdict on a credential finding covers, and whether a later finding is covered.

A credential case is one per validator (:data:`analytics.credential_words.PIVOT_TYPE`, pivot the
validator's host), so a verdict on its pivot alone would silence the DC for good: the nightly
lock-out storm an analyst judged benign and, with it, the spray that comes next week.  A verdict
therefore records the finding it was given on (:func:`verdict_scope`, stored by the service as the
suppression's member keys beside the accounts, :func:`graphsiem.api.state_verdicts.covered_keys`):

* its patterns (``("credential_pattern", "brute_force")``),
* the source addresses and claimed workstation names the attempts came from,
* the journal events of its compromises (a success after failures the analyst saw),
* why its validators were one finding (:func:`analytics.credential_merge.merge_findings`'s ``merged_by``):
  each ground (``("credential_merge", "shared_accounts")``) and each value it shared
  (``("credential_merge_shared", "shared_accounts:alice")``).

A later finding on that validator is suppressed only when it is *covered*
(:func:`covered_by_verdict`): every pattern, account, address and claimed name of it was in the
judged finding, each compromise is one the analyst saw, each validator it reached was one of the
judged finding's, and it merged on no ground and no shared value the judged one did not.  Anything new
shows: a compromise after the verdict (a new success event), other accounts, another source, another
host reached, or the same hosts joined for another reason (another account list tried on both: a
benign verdict on a merge by one list is no verdict on a second list).  The merge's time span is
not compared: the same list tried again from the judged sources on the judged hosts is the behaviour
judged benign, as an unmerged finding's nightly recurrence is (a span would show it every night).  A record that lists only its
most attempted :data:`analytics.credential_words.SHOWN` accounts or sources cannot be compared past
them, so such a finding is covered only when its own lists are whole.  A suppression without a member
list (given before the service kept them) covers the validator's every finding, as for other pivots.
A verdict that recorded members but no merge ground (given before verdicts recorded ``merged_by``) covers
a merged finding whose validators are exactly those it judged, for whatever reason they merged (it cannot
tell), its accounts, sources, patterns and compromises held to the rules above; one more or one fewer
validator shows (task CRED6 item 3).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from graphsiem.model import EntityKey

__all__ = ["ADDRESS", "COMPROMISE_EVENT", "MERGE_GROUND", "MERGE_SHARED", "PATTERN", "WORKSTATION",
           "covered_by_verdict", "verdict_scope"]

PATTERN = "credential_pattern"
ADDRESS = "credential_address"
WORKSTATION = "credential_workstation"
COMPROMISE_EVENT = "credential_compromise"
MERGE_GROUND = "credential_merge"
MERGE_SHARED = "credential_merge_shared"
_USER = "user"
_VALIDATOR_TYPES = ("host", "ip")
"""A validator is a host entity, or an address a sensor saw unmapped (:func:`analytics.credential_words._target`)."""


def verdict_scope(record: Mapping[str, Any]) -> list[EntityKey]:
    """The keys a benign verdict on a finding with ``credential`` record ``record`` records beside its members.

    Examples
    --------
    >>> verdict_scope({"patterns": {"brute_force": ["svc_backup"]}, "source_ips": [{"label": "10.0.0.5"}],
    ...                "workstations": [], "compromised": []})
    [('credential_pattern', 'brute_force'), ('credential_address', '10.0.0.5')]
    """
    keys = [(PATTERN, str(name)) for name in sorted(record.get("patterns") or {})]
    keys += [(ADDRESS, str(row["label"])) for row in record.get("source_ips") or []]
    keys += [(WORKSTATION, str(row["label"])) for row in record.get("workstations") or []]
    keys += [(COMPROMISE_EVENT, str(c["event_id"])) for c in record.get("compromised") or [] if c.get("event_id")]
    for ground in record.get("merged_by") or []:
        keys.append((MERGE_GROUND, str(ground["ground"])))
        keys += [(MERGE_SHARED, _shared(ground, value)) for value in ground.get("values") or []]
    return keys


def _shared(ground: Mapping[str, Any], value: Any) -> str:
    """One value a merge ground shared, keyed by its ground (an account and a claimed name may be spelt alike)."""
    return f"{ground['ground']}:{value}"


def covered_by_verdict(pivot: EntityKey, record: Mapping[str, Any], suppressed: Collection[EntityKey],
                       suppressed_members: Mapping[EntityKey, Iterable[EntityKey]]) -> bool:
    """Whether a benign verdict on ``pivot`` (the validator) covers a finding with ``record``.

    Parameters
    ----------
    pivot : (type, key)
        The finding's pivot (``("host", validator)``).
    record : mapping
        Its ``credential`` record (:func:`analytics.credential_words.credential_record`).
    suppressed, suppressed_members : the detection's suppressions and what each verdict recorded.

    Examples
    --------
    >>> judged = {("host", "dc1"), ("user", "svc"), ("credential_pattern", "brute_force"),
    ...           ("credential_address", "10.0.0.5")}
    >>> night = {"patterns": {"brute_force": ["svc"]}, "accounts": [{"account": "svc"}], "accounts_total": 1,
    ...          "source_ips": [{"label": "10.0.0.5"}], "source_ips_total": 1, "workstations": [],
    ...          "workstations_total": 0, "compromised": []}
    >>> covered_by_verdict(("host", "dc1"), night, {("host", "dc1")}, {("host", "dc1"): judged})
    True
    >>> other = {**night, "source_ips": [{"label": "203.0.113.9"}]}
    >>> covered_by_verdict(("host", "dc1"), other, {("host", "dc1")}, {("host", "dc1"): judged})
    False
    """
    if pivot not in suppressed:
        return False
    members = suppressed_members.get(pivot)
    if members is None:
        return True  # a verdict that recorded nothing covers the pivot's every finding
    judged = set(members)
    for rows, total, key_type, field in (
        (record.get("accounts") or [], record.get("accounts_total"), _USER, "account"),
        (record.get("source_ips") or [], record.get("source_ips_total"), ADDRESS, "label"),
        (record.get("workstations") or [], record.get("workstations_total"), WORKSTATION, "label"),
    ):
        if total is not None and total > len(rows):
            return False  # the record lists part of them: the rest cannot be compared
        if any((key_type, str(row[field])) not in judged for row in rows):
            return False
    if any((PATTERN, str(p)) not in judged for p in record.get("patterns") or {}):
        return False
    if not _same_merge(record, judged):
        return False
    return all((COMPROMISE_EVENT, str(c.get("event_id"))) in judged for c in record.get("compromised") or [])


def _same_merge(record: Mapping[str, Any], judged: set[EntityKey]) -> bool:
    """Whether the finding reached only judged validators and merged on judged grounds and values only."""
    validators = record.get("validators") or []
    total = record.get("validators_total")
    if total is not None and total > len(validators):
        return False
    if any(all((kind, str(v)) not in judged for kind in _VALIDATOR_TYPES) for v in validators):
        return False
    grounds = record.get("merged_by") or []
    if grounds and not any(kind == MERGE_GROUND for kind, _ in judged):
        # a verdict given before verdicts recorded merge grounds (task CRED6 item 3): it cannot say why the
        # hosts it judged were one finding, so it covers the merge of exactly those hosts, no more, no fewer
        return {str(v) for v in validators} == {key for kind, key in judged if kind in _VALIDATOR_TYPES}
    for ground in grounds:
        values = ground.get("values") or []
        if ground.get("total") is not None and ground["total"] > len(values):
            return False  # the merge lists part of what it shared: the rest cannot be compared
        if (MERGE_GROUND, str(ground["ground"])) not in judged:
            return False
        if any((MERGE_SHARED, _shared(ground, value)) not in judged for value in values):
            return False
    return True
