"""A spray spread over member servers that then succeeds is a likely compromise (task CRED7 item 1).

The sprayer of :mod:`tests.analytics.test_credential_spread` (forty accounts from one address over twelve
servers) gets one password right: a 4624 of a sprayed account from the spray's address on a server, after
that account's failure and before the spray's tail runs out.  It read as a spray (risk 85) whatever came
after; the SOC needs the log-on it got, where and when, and the compromise's risk.  A sprayed user who
mistypes on their own workstation and logs on from it is not that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analytics.config import DetectionConfig
from analytics.credential_spray import PATTERN_RISK
from graphsiem.store.base import GraphStore
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.test_credential_spray import BASE, credential
from tests.analytics.test_credential_spread import (
    SERVERS,
    SPRAYER,
    logged_on,
    refused,
    run,
    spread_spray,
)

START = BASE + 3600
"""The spray's first try: 40 tries 20 s apart, user17 on SRV05 at START + 340 s, the last at START + 780 s (08:46 UTC)."""


def test_a_spread_spray_then_a_logon_from_its_address_is_a_likely_compromise(store: GraphStore,
                                                                             tmp_path: Path) -> None:
    records = [*spread_spray(START), logged_on(START + 1500, "SRV05", "user17", SPRAYER, 900)]
    result = run(store, tmp_path, records)
    [found] = credential(result)
    record = found.credential
    assert record["pattern"] == "likely_compromise", record["patterns"]  # was password_spray
    assert found.score == PATTERN_RISK["likely_compromise"]
    [broken] = record["compromised"]
    assert broken["account"] == "corp\\user17" and broken["source_ip"] == SPRAYER
    assert broken["host"] == "srv05"
    assert sorted(record["validators"]) == sorted(name.lower() for name in SERVERS)
    summary = found.explanation.summary
    assert "Likely compromise" in summary
    assert "then a log-on as corp\\user17 from 10.20.30.40 succeeded on srv05 at 08:58 UTC after 1 failure" in summary, summary
    assert result.stats["credential_compromises"] == 1


def test_a_success_on_a_server_the_account_was_not_sprayed_on_is_named_there(tmp_path: Path) -> None:
    """The sprayer tried user17 on SRV05 and used the password on SRV09 (which refused other accounts)."""
    records = [*spread_spray(START), logged_on(START + 1500, "SRV09", "user17", SPRAYER, 900)]
    [found] = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, records))
    [broken] = found.credential["compromised"]
    assert (broken["account"], broken["host"]) == ("corp\\user17", "srv09")


def test_a_sprayed_user_mistyping_at_their_own_workstation_is_no_compromise(tmp_path: Path) -> None:
    """user17, sprayed on SRV05, mistypes from their own workstation on SRV05 and logs on from it."""
    own = "10.0.9.17"
    records = [*spread_spray(START), refused(START + 600, "SRV05", "user17", own, 800, "WS-0017"),
               logged_on(START + 640, "SRV05", "user17", own, 801)]
    [found] = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, records))
    assert found.credential["pattern"] == "password_spray", found.credential["compromised"]
    assert found.credential["compromised"] == []
    assert found.score == PATTERN_RISK["password_spray"]


def test_a_logon_from_the_spray_address_long_after_its_tail_is_not_paired(tmp_path: Path) -> None:
    """Six hours after the spray's last failure (the tail is ``credential_burst_minutes``): another case."""
    records = [*spread_spray(START), logged_on(START + 780 + 6 * 3600, "SRV05", "user17", SPRAYER, 900)]
    config = DetectionConfig(window_hours=24)
    [found] = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, records, config))
    assert found.credential["pattern"] == "password_spray"
    assert found.credential["compromised"] == []


def _spray_without(account: str) -> list[dict[str, Any]]:
    return [r for r in spread_spray(START) if r["winlog"]["event_data"]["TargetUserName"] != account]


def test_a_logon_from_the_spray_address_of_an_account_it_never_tried_is_not_paired(tmp_path: Path) -> None:
    """An admin's log-on from that address for an account the spray did not fail: no failure before it."""
    records = [*_spray_without("user17"), logged_on(START + 900, "SRV05", "user17", SPRAYER, 900)]
    [found] = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, records))
    assert found.credential["compromised"] == []
