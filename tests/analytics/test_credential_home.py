"""A failure from a machine the account logs on from is a mistype, not a spray attempt (task CRED4).

The simulator's benign mistypes (two a day per user, 3 % not followed by a log-on within the hour) put
15 accounts an hour with an unrecovered failure on a 1,500-host fleet's DC and 24 at 3,000 (seed 7),
over the spray threshold of 10: counted per validator whatever their sources, they read as a spray.
A sprayer's tries come from its own machine or from names and addresses it makes up, never from each
account's own machine (:mod:`analytics.credential_home`).
"""

from __future__ import annotations

import pytest

from analytics.credential_attempts import Attempt
from analytics.credential_home import attempts_at_home
from analytics.credential_spray import COMPROMISE, SPRAY, Thresholds, find_credential_attacks

HOUR = 3600.0
WRONG = "failure 0xc000006a"
USERS = [f"corp\\u{i:02d}" for i in range(24)]


def _try(ts: float, account: str, outcome: str, workstation: str | None, n: str, ip: str | None = None) -> Attempt:
    return Attempt(ts, account, outcome, workstation, ip, n, "winsec:credential_validation")


def _own(account: str) -> str:
    return "ws-" + account[-2:]


def _busy_morning() -> list[Attempt]:
    """Each user logs on from their machine at 08:xx, then mistypes there once between 10:00 and 10:48
    and walks away (no log-on within the hour): 24 accounts an hour with an unrecovered failure."""
    tries = [_try(8 * HOUR + 60 * i, user, "success", _own(user), f"logon{i}") for i, user in enumerate(USERS)]
    tries += [_try(10 * HOUR + 120 * i, user, WRONG, _own(user), f"mistype{i}") for i, user in enumerate(USERS)]
    return tries


def _spray(accounts: list[str], start: float, *, name, ip=None, found: str | None = None) -> list[Attempt]:
    return [_try(start + 5 * i, account, "success" if account == found else WRONG, name(i, account),
                 f"spray{start:.0f}-{i}", ip(i) if ip else None) for i, account in enumerate(accounts)]


def _sorted(tries: list[Attempt]) -> list[Attempt]:
    return sorted(tries, key=lambda a: (a.ts, a.event_id))


def test_unrecovered_mistypes_on_users_own_machines_are_no_spray() -> None:
    # before: a password spray of the 24 users
    assert find_credential_attacks("dc-01", _sorted(_busy_morning()), Thresholds()) is None


def test_a_machine_known_only_from_before_the_window_is_home_too() -> None:
    mistypes = [a for a in _busy_morning() if a.outcome != "success"]
    habitual = frozenset((user, _own(user)) for user in USERS)
    assert find_credential_attacks("dc-01", mistypes, Thresholds()) is not None  # nothing says whose machine
    assert find_credential_attacks("dc-01", mistypes, Thresholds(), habitual) is None


@pytest.mark.parametrize("name, ip", [
    # a tool writing a random workstation name and coming from a new address per try
    (lambda i, account: f"rnd{i:03d}x{i * 7919 % 1000:03d}", lambda i: f"10.66.{i}.{200 - i}"),
    # one machine trying every account
    (lambda i, account: "kali", lambda i: "10.66.0.5"),
    # a tool claiming each victim's own machine name (a 4625 from its own address still says where it is)
    (lambda i, account: _own(account), lambda i: "10.66.0.5"),
])
def test_a_spray_among_the_mistypes_is_still_found(name, ip) -> None:
    sprayed = USERS[:12]
    tries = _sorted(_busy_morning() + _spray(sprayed, 11 * HOUR, name=name, ip=ip))
    finding = find_credential_attacks("dc-01", tries, Thresholds())
    assert finding is not None and finding.patterns[SPRAY] == sprayed


def test_a_failure_is_at_home_only_when_every_source_it_names_is_known_for_its_account() -> None:
    logon = _try(10.0, "corp\\bob", "success", "ws-0042", "logon", "10.1.0.42")
    before = _try(5.0, "corp\\bob", WRONG, "ws-0042", "before")  # before any log-on from there
    mistype = _try(20.0, "corp\\bob", WRONG, "ws-0042", "mistype", "10.1.0.42")
    by_name = _try(21.0, "corp\\bob", WRONG, "ws-0042", "by-name")  # a 4776: the name alone
    elsewhere = _try(22.0, "corp\\bob", WRONG, "ws-0042", "elsewhere", "10.66.0.5")  # a claimed name, a foreign address
    other_user = _try(23.0, "corp\\carol", WRONG, "ws-0042", "carol")
    nowhere = _try(24.0, "corp\\bob", WRONG, None, "nowhere")
    home = attempts_at_home([before, logon, mistype, by_name, elsewhere, other_user, nowhere], frozenset())
    assert sorted(a.event_id for a in home) == ["by-name", "mistype"]


@pytest.mark.parametrize("known", ["logged on earlier in the window", "habitual before the window"])
def test_the_sprayer_machines_own_user_mistyping_there_during_the_spray_is_not_compromised(known: str) -> None:
    """The simulator's spray (seed 7) named the sprayer machine's own user: they mistyped and logged on
    at their machine, whose name the sprayer's tries claim, while the spray went on."""
    victims = [user for user in USERS if user != "corp\\u05"]
    tries = _spray(victims, 11 * HOUR, name=lambda i, account: "ws-05")
    tries += [_try(11 * HOUR + 600, "corp\\u05", WRONG, "ws-05", "u05-mistype"),
              _try(11 * HOUR + 615, "corp\\u05", "success", "ws-05", "u05-logon")]
    tries += _spray(victims, 11 * HOUR + 3300, name=lambda i, account: "ws-05", found="corp\\u08")
    habitual: frozenset[tuple[str, str]] = frozenset()
    if known == "habitual before the window":
        habitual = frozenset({("corp\\u05", "ws-05")})
    else:
        tries.append(_try(8 * HOUR, "corp\\u05", "success", "ws-05", "u05-morning"))
    finding = find_credential_attacks("dc-01", _sorted(tries), Thresholds(), habitual)
    assert finding is not None and finding.patterns[COMPROMISE] == ["corp\\u08"]
    assert "corp\\u05" not in finding.patterns[SPRAY]


def test_a_spray_from_a_shared_machine_every_account_logs_on_from_is_still_a_spray():
    """A terminal server (or jump host) every user logs on from is each account's 'home' (T14): a sprayer
    on it tried 24 accounts in two minutes and every failure was read as a mistype, so no finding.  A
    source where ten accounts or more fail within the hour is no one's home."""
    habitual = frozenset((user, "ts01") for user in USERS)
    tries = sorted(_spray(USERS, 11 * HOUR, name=lambda i, account: "ts01"), key=lambda a: a.ts)
    assert not attempts_at_home(tries, habitual)
    finding = find_credential_attacks("dc-01", tries, Thresholds(), habitual=habitual)
    assert finding is not None and SPRAY in finding.patterns
    # the same machine's users mistyping there now and then stay mistypes
    mistypes = [_try(11 * HOUR + 600 * i, user, WRONG, "ts01", f"m{i}") for i, user in enumerate(USERS[:5])]
    assert attempts_at_home(mistypes, habitual) == frozenset(mistypes)
