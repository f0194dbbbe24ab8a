"""A benign verdict on a merged credential finding records why it merged (task CRED5 item 2).

``merged_by`` said why two validators' findings were one (a shared source, or the same account list in
the same minutes) but the verdict did not record it: a verdict on two workstations joined by one
account list covered a later finding that joined the same two for another list (its accounts all among
the judged ones), and one that reached more workstations.  Findings made by the real merge
(:func:`analytics.credential_merge.merge_findings`) and the real record
(:func:`analytics.credential_words.credential_cluster`); the suppression's keys as the service stores
them (members + :func:`analytics.credential_verdicts.verdict_scope`).
"""

from __future__ import annotations

from analytics.credential_attempts import Attempt
from analytics.credential_merge import merge_findings
from analytics.credential_spray import CredentialFinding, Thresholds, find_credential_attacks
from analytics.credential_verdicts import covered_by_verdict, verdict_scope
from analytics.credential_words import credential_cluster
from analytics.result import Cluster

FIRST_LIST = [f"first{n:02d}" for n in range(12)]
SECOND_LIST = [f"second{n:02d}" for n in range(12)]
LIMITS = Thresholds()


def tries(host: str, accounts: list[str], start: float) -> list[Attempt]:
    """One wrong password for each domain account, checked on ``host``, no claimed name written (``-``)."""
    return [Attempt(start + 7 * n, f"corp\\{name}", "failure 0xc000006a", None, None,
                    f"{host}-{name}-{start}", "winsec:credential_validation") for n, name in enumerate(accounts)]


def finding(host: str, attempts: list[Attempt]) -> CredentialFinding:
    found = find_credential_attacks(host, sorted(attempts, key=lambda a: a.ts), LIMITS)
    assert found is not None
    return found


def merged(per_host: dict[str, list[Attempt]]) -> Cluster:
    [one] = merge_findings([finding(host, attempts) for host, attempts in sorted(per_host.items())], LIMITS)
    return credential_cluster(one, LIMITS, [])


def judged_keys(cluster: Cluster) -> set[tuple[str, str]]:
    assert cluster.credential is not None
    return {(e.type, e.key) for e in cluster.entities} | set(verdict_scope(cluster.credential))


def covered(later: Cluster, judged: Cluster) -> bool:
    assert later.credential is not None
    pivot = judged.pivot.ref
    return covered_by_verdict(later.pivot.ref, later.credential, {pivot}, {pivot: judged_keys(judged)})


# ws-004 sprays both lists; ws-014 was tried on the first list only (the judged merge)
JUDGED = {"ws-004": tries("ws-004", FIRST_LIST, 0.0) + tries("ws-004", SECOND_LIST, 200.0),
          "ws-014": tries("ws-014", FIRST_LIST, 5.0)}


def test_the_verdict_records_the_ground_and_the_shared_list() -> None:
    judged = merged(JUDGED)
    assert judged.credential is not None
    [ground] = judged.credential["merged_by"]
    assert ground["ground"] == "shared_accounts" and ground["values"] == FIRST_LIST
    keys = set(verdict_scope(judged.credential))
    assert ("credential_merge", "shared_accounts") in keys
    assert {("credential_merge_shared", f"shared_accounts:{name}") for name in FIRST_LIST} <= keys


def test_the_same_merge_seen_again_stays_covered() -> None:
    again = merged({host: list(attempts) for host, attempts in JUDGED.items()})
    assert covered(again, merged(JUDGED))


def test_the_same_hosts_joined_by_another_list_are_shown() -> None:
    """Every account, source and pattern of the later finding was judged; only the reason it merged is new."""
    judged = merged(JUDGED)
    later = merged({"ws-004": JUDGED["ws-004"], "ws-014": tries("ws-014", SECOND_LIST, 205.0)})
    assert later.credential is not None and later.credential["merged_by"][0]["values"] == SECOND_LIST
    assert later.hosts == judged.hosts
    assert not covered(later, judged)  # covered before: the verdict knew nothing of why it merged


def test_a_merge_reaching_another_host_is_shown() -> None:
    judged = merged(JUDGED)
    wider = merged({**JUDGED, "ws-021": tries("ws-021", FIRST_LIST, 9.0)})
    assert "ws-021" in wider.hosts
    assert not covered(wider, judged)


def old_verdict_keys(cluster: Cluster) -> set[tuple[str, str]]:
    """What a verdict given before verdicts recorded merge grounds holds: members, patterns, sources."""
    return {key for key in judged_keys(cluster) if key[0] not in ("credential_merge", "credential_merge_shared")}


def covered_by_old_verdict(later: Cluster, judged: Cluster) -> bool:
    assert later.credential is not None
    pivot = judged.pivot.ref
    return covered_by_verdict(later.pivot.ref, later.credential, {pivot}, {pivot: old_verdict_keys(judged)})


def test_a_verdict_without_recorded_grounds_covers_the_merge_of_the_hosts_it_judged() -> None:
    """Verdicts given before the grounds were recorded (task CRED6 item 3): the same merged finding showed
    again after the upgrade, since no ground of it was judged."""
    judged = merged(JUDGED)
    again = merged({host: list(attempts) for host, attempts in JUDGED.items()})
    assert covered_by_old_verdict(again, judged)  # failed before: shown once more


def test_a_verdict_without_recorded_grounds_shows_a_merge_of_more_or_fewer_hosts() -> None:
    judged = merged({**JUDGED, "ws-021": tries("ws-021", FIRST_LIST, 9.0)})
    wider = merged({**JUDGED, "ws-021": tries("ws-021", FIRST_LIST, 9.0), "ws-030": tries("ws-030", FIRST_LIST, 11.0)})
    fewer = merged(JUDGED)
    assert covered_by_old_verdict(merged({**JUDGED, "ws-021": tries("ws-021", FIRST_LIST, 9.0)}), judged)
    assert not covered_by_old_verdict(wider, judged)
    assert not covered_by_old_verdict(fewer, judged)
    # an account it did not judge still shows, as for any verdict
    other = merged({"ws-004": tries("ws-004", [*FIRST_LIST, "newcomer"], 0.0), "ws-014": JUDGED["ws-014"],
                    "ws-021": tries("ws-021", FIRST_LIST, 9.0)})
    assert not covered_by_old_verdict(other, judged)
