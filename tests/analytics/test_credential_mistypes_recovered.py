"""A user who mistypes and logs on, again and again within an hour, is not a likely compromise.

The simulator's benign mistypes (task SIMCRED) made one on the demo fleet (seed 7): ws-0227's user
failed twice and logged on at 09:00, 09:31 and 09:55; at the third success six failures of the hour
were 'before' it, over the compromise threshold of 5, because a success that was no compromise did
not end the run of failures its own source made.  It ranked #1 at risk 95, above the seed campaign.
"""

from __future__ import annotations

from analytics.credential_attempts import Attempt
from analytics.credential_spray import COMPROMISE, Thresholds, find_credential_attacks

HOUR = 3600.0


def _try(ts: float, account: str, outcome: str, workstation: str, n: int) -> Attempt:
    return Attempt(ts, account, outcome, workstation, None, f"e{n}", "winsec:credential_validation")


def _mistypes(account: str, workstation: str, starts: list[float]) -> list[Attempt]:
    tries = []
    for start in starts:
        tries += [_try(start, account, "failure 0xc000006a", workstation, len(tries)),
                  _try(start + 8, account, "failure 0xc000006a", workstation, len(tries) + 1),
                  _try(start + 15, account, "success", workstation, len(tries) + 2)]
    return tries


def test_three_mistypes_each_followed_by_a_log_on_within_an_hour_make_no_finding():
    tries = _mistypes("corp\\ivan.moore27", "ws-0227", [9 * HOUR, 9.5 * HOUR, 9.9 * HOUR])
    assert find_credential_attacks("dc-01", tries, Thresholds()) is None


def test_a_log_on_from_another_source_does_not_end_an_attackers_run():
    # five failures from a sprayer's session name, the user logging on from their own machine in between,
    # then the attacker's success: the user's log-on closes only the user's own failures
    tries = [_try(10 * HOUR + i * 30, "corp\\bob", "failure 0xc000006a", "kali", i) for i in range(5)]
    tries.insert(3, _try(10 * HOUR + 75, "corp\\bob", "success", "ws-0042", 99))
    tries.append(_try(10 * HOUR + 200, "corp\\bob", "success", "kali", 100))
    finding = find_credential_attacks("dc-01", tries, Thresholds())
    assert finding is not None and finding.patterns[COMPROMISE] == ["corp\\bob"]
    assert [c.attempt.workstation for c in finding.compromises] == ["kali"]


def test_a_sprayed_user_who_mistypes_on_their_own_machine_during_the_spray_is_not_compromised():
    # the simulator's spray named 7-14 sprayed users 'compromised': each failed once from the sprayer, then
    # mistyped and logged on from their own machine (known from earlier days) while the spray went on
    accounts = [f"corp\\u{i:02d}" for i in range(20)]
    tries = [_try(11 * HOUR + i * 2, account, "failure 0xc000006a", "ws-0032", i) for i, account in enumerate(accounts)]
    tries += _mistypes("corp\\u05", "ws-0105", [11 * HOUR + 600])
    # round 2, 55 minutes later: the same accounts fail again, but for the one whose password it found
    tries += [_try(11 * HOUR + 3300 + i * 2, account, "success" if account == "corp\\u08" else "failure 0xc000006a",
                   "ws-0032", 100 + i) for i, account in enumerate(accounts)]
    tries.sort(key=lambda a: a.ts)
    finding = find_credential_attacks("dc-01", tries, Thresholds(), habitual=frozenset({("corp\\u05", "ws-0105")}))
    assert finding is not None
    assert [(c.account, c.attempt.workstation) for c in finding.compromises] == [("corp\\u08", "ws-0032")]
