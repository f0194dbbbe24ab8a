"""A likely compromise whose session was given administrator rights says so (task CRED8 item 2).

The spread sprayer of :mod:`tests.analytics.test_credential_spread_success` logs on to SRV05 as user17,
and Windows gives that session special privileges: a Security 4672 in the same second whose
``SubjectLogonId`` is the 4624's ``TargetLogonId``.  The summary says the sprayer got admin rights there
and the 4672 is evidence, next to the 4624; the risk is the compromise's either way (no score path
noise can reach).  Another session's 4672 in the same second, or the account's 4672 ten minutes later,
is not this log-on's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analytics.config import DetectionConfig
from analytics.credential_spray import PATTERN_RISK
from analytics.detect import detect
from graphsiem.store.base import GraphStore
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.test_credential_spray import BASE, credential, ingest, iso
from tests.analytics.test_credential_spread import SPRAYER, logged_on, run, spread_spray

START = BASE + 3600
LOGON = START + 1500
"""The sprayer's log-on as user17 on SRV05 (08:58 UTC)."""
SESSION = "0x8f0f2cd7"


def _logon(session: str = SESSION) -> dict[str, Any]:
    record = logged_on(LOGON, "SRV05", "user17", SPRAYER, 900)
    record["winlog"]["event_data"]["TargetLogonId"] = session
    return record


def _privileged(ts: float, user: str, session: str, record: int) -> dict[str, Any]:
    """A Winlogbeat 8 Security 4672 of SRV05: special privileges given to ``user``'s new session."""
    return {"@timestamp": iso(ts), "agent": {"type": "winlogbeat", "version": "8.11.0"},
            "winlog": {"computer_name": "SRV05.corp.example", "event_id": "4672", "channel": "Security",
                       "record_id": record,
                       "event_data": {"SubjectUserSid": f"S-1-5-21-1-2-3-{record}", "SubjectUserName": user,
                                      "SubjectDomainName": "CORP", "SubjectLogonId": session,
                                      "PrivilegeList": "SeSecurityPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\t"
                                                       "SeRestorePrivilege\n\t\t\tSeDebugPrivilege"}},
            "message": "Special privileges assigned to new logon."}


def test_a_compromise_given_special_privileges_says_admin_rights_were_gained(store: GraphStore,
                                                                             tmp_path: Path) -> None:
    records = [*spread_spray(START), _logon(), _privileged(LOGON, "user17", SESSION, 901)]
    with ingest(store, tmp_path, records) as journal:
        [found] = credential(detect(store, journal=journal, config=DetectionConfig()))
        kinds = [journal.connection.execute("SELECT kind FROM events WHERE id = ?", (row["event_id"],)).fetchone()[0]
                 for row in found.evidence[:2]]
    assert found.credential["pattern"] == "likely_compromise"
    assert found.score == PATTERN_RISK["likely_compromise"]  # the words change, not the risk
    summary = found.explanation.summary
    assert ("succeeded on srv05 at 08:58 UTC after 1 failure, and that session was given administrator rights "
            "on srv05 (SeSecurityPrivilege, SeBackupPrivilege, SeRestorePrivilege, ...)") in summary, summary
    [broken] = found.credential["compromised"]
    # the 4624, then the 4672 that made it an admin session
    assert found.evidence[0]["event_id"] == broken["event_id"]
    assert kinds == ["winsec:logon", "winsec:special_privileges"], kinds


def test_another_sessions_privileges_in_the_same_second_are_not_the_sprayers(tmp_path: Path) -> None:
    """An administrator's own session (another logon id) given privileges as the sprayer logs on."""
    records = [*spread_spray(START), _logon(), _privileged(LOGON, "user17", "0x51a3", 901)]
    [found] = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, records))
    assert found.credential["pattern"] == "likely_compromise"
    assert "administrator rights" not in found.explanation.summary
    assert found.credential["compromised"][0]["event_id"] == found.evidence[0]["event_id"]


def test_the_accounts_privileges_ten_minutes_later_are_not_this_logons(tmp_path: Path) -> None:
    """A 4624 naming no session: only the account's 4672 at the log-on's instant would be its."""
    plain = logged_on(LOGON, "SRV05", "user17", SPRAYER, 900)
    records = [*spread_spray(START), plain, _privileged(LOGON + 600, "user17", SESSION, 901)]
    [found] = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, records))
    assert found.credential["pattern"] == "likely_compromise"
    assert "administrator rights" not in found.explanation.summary
