"""A spread spray's success on a host that refused nothing (task CRED8 item 1).

The sprayer of :mod:`tests.analytics.test_credential_spread` (forty accounts from one address over twelve
member servers) tried user17 on SRV05 and used the password it found on SRV40, a server it never tried
(or one whose 4625s were never collected): SRV40 logged the 4624 and no failure.  What is sound: the
account's failure anywhere in the spray, then its log-on *from the spray's own address* within the burst
window, on any host.  The hosts are found by the graph's ``ip LOGGED_ON host`` edges of the spray's
address (so both stores), and only that address's log-ons there are read.  A sprayed user logging on at
their own machine, a service account's routine log-on from a jump host, and a log-on long after the
spray are not the sprayer's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analytics.config import DetectionConfig
from analytics.credential_spray import PATTERN_RISK
from graphsiem.store.base import GraphStore
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.test_credential_spray import BASE, credential
from tests.analytics.test_credential_spread import SPRAYER, logged_on, refused, run, spread_spray

START = BASE + 3600
"""The spray's first try: 40 tries 20 s apart over SRV00..SRV11, user17 on SRV05 at START + 340 s."""
QUIET = "SRV40"
"""A member server the spray never reached: it logged no refusal in the window."""


def test_a_sprayed_accounts_logon_from_the_spray_address_on_a_quiet_host_is_a_likely_compromise(
        store: GraphStore, tmp_path: Path) -> None:
    records = [*spread_spray(START), logged_on(START + 1500, QUIET, "user17", SPRAYER, 900)]
    result = run(store, tmp_path, records)
    [found] = credential(result)
    record = found.credential
    assert record["pattern"] == "likely_compromise", record["patterns"]  # was password_spray: SRV40 unread
    assert found.score == PATTERN_RISK["likely_compromise"]
    [broken] = record["compromised"]
    assert (broken["account"], broken["host"], broken["source_ip"]) == ("corp\\user17", "srv40", SPRAYER)
    assert "succeeded on srv40" in found.explanation.summary, found.explanation.summary
    assert result.stats["credential_compromises"] == 1


def test_a_quiet_hosts_logon_from_another_address_is_not_the_sprayers(tmp_path: Path) -> None:
    """user17, sprayed on SRV05, logs on to SRV40 from their own workstation: their log-on, not the spray's."""
    records = [*spread_spray(START), logged_on(START + 1500, QUIET, "user17", "10.0.9.17", 900)]
    [found] = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, records))
    assert found.credential["pattern"] == "password_spray"
    assert found.credential["compromised"] == []


def test_a_user_mistyping_at_their_own_workstation_then_logging_on_is_no_compromise(tmp_path: Path) -> None:
    """user17 mistypes on their workstation WS-0017 (its own 4625) and logs on there; the spray goes on."""
    own = "10.0.9.17"
    records = [*spread_spray(START), refused(START + 600, "WS-0017", "user17", own, 800, "WS-0017", "2"),
               logged_on(START + 640, "WS-0017", "user17", own, 801)]
    [found] = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, records))
    assert found.credential["pattern"] == "password_spray", found.credential["compromised"]
    assert found.credential["compromised"] == []


def test_a_service_accounts_routine_logons_from_a_jump_host_that_failed_once_are_no_compromise(
        tmp_path: Path) -> None:
    """svc_backup logs on from the jump host 10.0.5.5 to two quiet servers every 10 minutes and failed once
    there on SRV03; the spray (from 10.20.30.40) goes on meanwhile.  The jump host sprayed nothing."""
    jump = "10.0.5.5"
    routine = [logged_on(START + 600 * k, f"SRV4{k % 2}", "svc_backup", jump, 900 + k) for k in range(6)]
    records = [*spread_spray(START), refused(START + 250, "SRV03", "svc_backup", jump, 880), *routine]
    [found] = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, records))
    assert found.credential["pattern"] == "password_spray"
    assert found.credential["compromised"] == []
    assert "corp\\svc_backup" not in found.credential["patterns"]["password_spray"]


def test_a_quiet_hosts_logon_from_the_spray_address_long_after_the_spray_is_not_paired(tmp_path: Path) -> None:
    """Six hours after the spray's last failure (the window is ``credential_burst_minutes``): another case."""
    records = [*spread_spray(START), logged_on(START + 780 + 6 * 3600, QUIET, "user17", SPRAYER, 900)]
    config = DetectionConfig(window_hours=24)
    [found] = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, records, config))
    assert found.credential["compromised"] == []


def test_a_quiet_hosts_logon_from_the_spray_address_of_an_account_never_tried_is_not_paired(
        tmp_path: Path) -> None:
    """An account the spray never failed (an admin's use of that address) has no failure before it."""
    records: list[dict[str, Any]] = [*spread_spray(START), logged_on(START + 900, QUIET, "admin7", SPRAYER, 900)]
    [found] = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, records))
    assert found.credential["compromised"] == []
