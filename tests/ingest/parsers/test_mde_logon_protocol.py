"""MDE DeviceLogonEvents' ``Protocol`` is the log-on's authentication package (task INGF item 3).

Before, a ``LogonFailed`` row's ``Protocol`` (``NTLM``, ``Kerberos``, ``Negotiate``) stayed in the
remainder, so the credential companions (:mod:`analytics.credential_companions`) saw an MDE failure as
one naming no protocol: a Kerberos failure lent a DC's 4776 its address as an NTLM one does.  It is now
``winlog.logon.authentication_package``, the field a 4625's ``AuthenticationPackageName`` fills.
Rows written for this test in DeviceLogonEvents' columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from analytics.credential_attempts import read_attempts
from analytics.credential_companions import is_ntlm_companion
from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.mde import MdeParser
from ingest.pipeline import ingest_paths

ROW = {"Timestamp": "2024-03-05T10:20:01.0000000Z", "DeviceId": "d1", "DeviceName": "srv-0042.corp.contoso.com",
       "ActionType": "LogonFailed", "LogonType": "Network", "AccountDomain": "corp", "AccountName": "alice",
       "AccountSid": "", "Protocol": "NTLM", "FailureReason": "InvalidUserNameOrPassword",
       "IsLocalAdmin": False, "LogonId": "", "RemoteDeviceName": "KALI", "RemoteIP": "203.0.113.9",
       "RemoteIPType": "Public", "RemotePort": 0, "ReportId": 11}


def _parse(row: dict[str, Any]) -> dict[str, Any]:
    (event,) = MdeParser().parse(row, ParseContext(origin="t"))
    assert event.kind in ("winsec:logon_failed", "winsec:logon")
    return event.fields


@pytest.mark.parametrize(("protocol", "package"), [
    ("NTLM", "NTLM"), ("Kerberos", "Kerberos"), ("Negotiate", "Negotiate"), (" NTLM ", "NTLM"),
    ("", None), ("-", None), ("Unknown", None), (None, None),
])
def test_a_logon_row_keeps_its_protocol_as_the_authentication_package(protocol: str | None,
                                                                      package: str | None) -> None:
    fields = _parse({**ROW, "Protocol": protocol})
    assert fields.get("winlog.logon.authentication_package") == package
    assert not any(key.lower().endswith("protocol") for key in fields)  # not kept twice in the remainder


def test_a_successful_logon_row_keeps_it_too() -> None:
    fields = _parse({**ROW, "ActionType": "LogonSuccess", "Protocol": "Kerberos"})
    assert fields["winlog.logon.authentication_package"] == "Kerberos"


def test_only_an_ntlm_mde_failure_is_a_4776_companion(tmp_path: Path) -> None:
    path = tmp_path / "logons.ndjson"
    rows = [{**ROW, "Protocol": protocol, "AccountName": name, "ReportId": index}
            for index, (protocol, name) in enumerate((("NTLM", "alice"), ("Kerberos", "bob"), ("", "carol")))]
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=None, journal=journal, progress=False)
        assert report.total.accepted == report.total.received == 3
        attempts = read_attempts(journal.connection, "srv-0042", [], 0.0, 2e9)
    by_account = {attempt.account: attempt for attempt in attempts}
    assert {name: by_account[name].protocol for name in by_account} == {
        "corp\\alice": "ntlm", "corp\\bob": "kerberos", "corp\\carol": None}
    # a failure naming no protocol still counts, as before
    assert {name: is_ntlm_companion(by_account[name]) for name in by_account} == {
        "corp\\alice": True, "corp\\bob": False, "corp\\carol": True}


def test_an_mde_failure_journaled_without_its_protocol_is_read_again(tmp_path: Path) -> None:
    from ingest.journal_reparse import REPARSE_KEY, reparse

    path = tmp_path / "logons.ndjson"
    path.write_bytes(orjson.dumps(ROW) + b"\n")
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([path], store=None, journal=journal, progress=False)
        db = journal.connection
        db.execute("UPDATE events SET fields = json_remove(fields, '$.\"winlog.logon.authentication_package\"')")
        # as a journal the release before read again (its 4625 reading, version 2)
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                   (REPARSE_KEY, orjson.dumps({"winsec:logon_failed": {"version": 2}}).decode()))
        db.commit()
        done = reparse(journal)
        (blob,) = db.execute("SELECT fields FROM events WHERE kind = 'winsec:logon_failed'").fetchone()
    assert done.changed == {"winsec:logon_failed -> winsec:logon_failed": 1}
    assert orjson.loads(blob)["winlog.logon.authentication_package"] == "NTLM"
