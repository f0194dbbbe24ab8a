"""Many users behind one address (a NAT gateway, a VPN concentrator) and the spread spray (task CRED8 item 3).

The spread read pools refusals by the address they came from (:mod:`analytics.credential_spread`), so
every user behind one NAT address is one "source".  Users mistype and log on a minute later: a failure
followed by its account's log-on *from that address* on any host is recovered, no spray attempt.  Since
CRED8 the log-on may be on a host that refused nothing (the users' file server): the graph's
``ip LOGGED_ON host`` edges of the address say where to read it.

The limit, shown as today's behaviour: twelve users behind the gateway who each fail once on a different
server within the hour and walk away without logging on anywhere are, from the servers' logs, exactly a
slow sprayer behind that address (ten accounts, one try each, nothing recovered): a password spray.
Nothing in a 4625 tells a NAT from one attacker; the operator lists such gateways as
``credential_known_scanners`` (their failures then make no spread finding) until the gateway's own log
(its translations) is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analytics.config import DetectionConfig
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.test_credential_spray import BASE, credential
from tests.analytics.test_credential_spread import SERVERS, logged_on, refused, run

START = BASE + 3600
NAT = "10.0.0.1"
"""The branch office's gateway: every user there reaches the servers from it."""


def _mistypes(users: int = 12) -> list[dict[str, Any]]:
    """Each user fails once on one of four servers, four minutes apart, from the gateway."""
    return [refused(START + 240 * n, SERVERS[n % 4], f"user{n:02d}", NAT, 100 + n) for n in range(users)]


def test_users_behind_a_nat_mistyping_then_logging_on_to_a_quiet_file_server_are_no_spray(tmp_path: Path) -> None:
    """Each logs on 30 s later to FS01 (which refused nothing): recovered, as on the server they mistyped on."""
    logons = [logged_on(START + 240 * n + 30, "FS01", f"user{n:02d}", NAT, 300 + n) for n in range(12)]
    found = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, [*_mistypes(), *logons]))
    assert found == [], [c.credential["patterns"] for c in found]  # was a spray at 85: FS01 was not read


def test_users_behind_a_nat_failing_and_walking_away_read_as_a_spray_today(tmp_path: Path) -> None:
    """The limit (module docstring): no log-on anywhere, so nothing tells the gateway from a sprayer."""
    [found] = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, _mistypes()))
    assert found.credential["pattern"] == "password_spray"
    assert sorted(found.credential["validators"]) == sorted(name.lower() for name in SERVERS[:4])


def test_a_nat_gateway_listed_as_a_known_scanner_makes_no_spread_finding(tmp_path: Path) -> None:
    """The operator's way out of the limit today: the gateway's address in ``credential_known_scanners``."""
    config = DetectionConfig(credential_known_scanners=[NAT])
    assert credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, _mistypes(), config)) == []
