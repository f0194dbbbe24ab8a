"""German rendered Windows text on one syslog line is read as the English text is (task OLDQ2 #2).

Before, a German Windows' ``Fehler beim Anmelden eines Kontos. ... Quellnetzwerkadresse: 10.0.0.9``
stayed a ``syslog:message`` (counted as not read): a German domain controller's failed logons
fed no credential finding.  Each event the English text reader reads (4624, 4625, 4634, 4672,
4688, 4768, 4769, 4771, 4776, 1102) is written here in English and in German, as Windows writes
its German message tables, and both give the same normalised event.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.parsers.syslog_windows_text import event_data
from ingest.pipeline import ingest_paths

_SUBJECT_EN = "Subject: Security ID: S-1-5-18 Account Name: DC-01$ Account Domain: CORP Logon ID: 0x3e7"
_SUBJECT_DE = "Antragsteller: Sicherheits-ID: S-1-5-18 Kontoname: DC-01$ Kontodomäne: CORP Anmelde-ID: 0x3e7"

PAIRS: dict[int, tuple[str, str]] = {
    4624: (
        "An account was successfully logged on. " + _SUBJECT_EN + " Logon Information: Logon Type: 3 "
        "Restricted Admin Mode: - Virtual Account: No Elevated Token: Yes Impersonation Level: Impersonation "
        "New Logon: Security ID: S-1-5-21-1-2-3-1104 Account Name: alice Account Domain: CORP Logon ID: 0x8d2f1 "
        "Linked Logon ID: 0x0 Network Account Name: - Network Account Domain: - "
        "Logon GUID: {00000000-0000-0000-0000-000000000000} Process Information: Process ID: 0x0 Process Name: - "
        "Network Information: Workstation Name: WS-07 Source Network Address: 10.0.0.7 Source Port: 50122 "
        "Detailed Authentication Information: Logon Process: NtLmSsp Authentication Package: NTLM "
        "Transited Services: - Package Name (NTLM only): NTLM V2 Key Length: 128 "
        "This event is generated when a logon session is created.",
        "Ein Konto wurde erfolgreich angemeldet. " + _SUBJECT_DE + " Anmeldeinformationen: Anmeldetyp: 3 "
        "Eingeschränkter Administratormodus: - Virtuelles Konto: No Erhöhtes Token: Yes "
        "Identitätswechselebene: Impersonation Neue Anmeldung: Sicherheits-ID: S-1-5-21-1-2-3-1104 "
        "Kontoname: alice Kontodomäne: CORP Anmelde-ID: 0x8d2f1 Verknüpfte Anmelde-ID: 0x0 "
        "Netzwerkkontoname: - Netzwerkkontodomäne: - Anmelde-GUID: {00000000-0000-0000-0000-000000000000} "
        "Prozessinformationen: Prozess-ID: 0x0 Prozessname: - Netzwerkinformationen: Arbeitsstationsname: WS-07 "
        "Quellnetzwerkadresse: 10.0.0.7 Quellport: 50122 Detaillierte Authentifizierungsinformationen: "
        "Anmeldeprozess: NtLmSsp Authentifizierungspaket: NTLM Durchlaufene Dienste: - "
        "Paketname (nur NTLM): NTLM V2 Schlüssellänge: 128 "
        "Dieses Ereignis wird beim Erstellen einer Anmeldesitzung generiert.",
    ),
    4625: (
        "An account failed to log on. Subject: Security ID: S-1-0-0 Account Name: - Account Domain: - "
        "Logon ID: 0x0 Logon Type: 3 Account For Which Logon Failed: Security ID: S-1-0-0 Account Name: admin "
        "Account Domain: CORP Failure Information: Failure Reason: %%2313 Status: 0xC000006D "
        "Sub Status: 0xC000006A Process Information: Caller Process ID: 0x0 Caller Process Name: - "
        "Network Information: Workstation Name: KALI Source Network Address: 203.0.113.9 Source Port: 0 "
        "Detailed Authentication Information: Logon Process: NtLmSsp Authentication Package: NTLM "
        "Transited Services: - Package Name (NTLM only): - Key Length: 0 "
        "This event is generated when a logon request fails.",
        "Fehler beim Anmelden eines Kontos. Antragsteller: Sicherheits-ID: S-1-0-0 Kontoname: - "
        "Kontodomäne: - Anmelde-ID: 0x0 Anmeldetyp: 3 Konto, für das die Anmeldung fehlgeschlagen ist: "
        "Sicherheits-ID: S-1-0-0 Kontoname: admin Kontodomäne: CORP Fehlerinformationen: "
        "Fehlerursache: %%2313 Status: 0xC000006D Unterstatus: 0xC000006A Prozessinformationen: "
        "Aufrufprozess-ID: 0x0 Aufrufprozessname: - Netzwerkinformationen: Arbeitsstationsname: KALI "
        "Quellnetzwerkadresse: 203.0.113.9 Quellport: 0 Detaillierte Authentifizierungsinformationen: "
        "Anmeldeprozess: NtLmSsp Authentifizierungspaket: NTLM Durchlaufene Dienste: - "
        "Paketname (nur NTLM): - Schlüssellänge: 0 "
        "Dieses Ereignis wird generiert, wenn eine Anmeldeanforderung fehlschlägt.",
    ),
    4634: (
        "An account was logged off. Subject: Security ID: S-1-5-21-1-2-3-1104 Account Name: alice "
        "Account Domain: CORP Logon ID: 0x8d2f1 Logon Type: 3 This event is generated when a logon session is "
        "destroyed.",
        "Ein Konto wurde abgemeldet. Antragsteller: Sicherheits-ID: S-1-5-21-1-2-3-1104 Kontoname: alice "
        "Kontodomäne: CORP Anmelde-ID: 0x8d2f1 Anmeldetyp: 3 Dieses Ereignis wird generiert, wenn eine "
        "Anmeldesitzung beendet wird.",
    ),
    4672: (
        "Special privileges assigned to new logon. " + _SUBJECT_EN + " Privileges: SeSecurityPrivilege",
        "Einer neuen Anmeldung wurden besondere Rechte zugewiesen. " + _SUBJECT_DE
        + " Berechtigungen: SeSecurityPrivilege",
    ),
    4688: (
        "A new process has been created. Creator Subject: Security ID: S-1-5-18 Account Name: DC-01$ "
        "Account Domain: CORP Logon ID: 0x3e7 Target Subject: Security ID: S-1-0-0 Account Name: - "
        "Account Domain: - Logon ID: 0x0 Process Information: New Process ID: 0x1a2c "
        "New Process Name: C:\\Windows\\System32\\cmd.exe Token Elevation Type: %%1936 "
        "Mandatory Label: S-1-16-16384 Creator Process ID: 0x2f0 "
        "Creator Process Name: C:\\Windows\\System32\\services.exe "
        "Process Command Line: cmd.exe /c whoami /all "
        "Token Elevation Type indicates the type of token that was assigned to the new process in accordance "
        "with User Account Control policy.",
        "Ein neuer Prozess wurde erstellt. Antragsteller: Sicherheits-ID: S-1-5-18 Kontoname: DC-01$ "
        "Kontodomäne: CORP Anmelde-ID: 0x3e7 Zielantragsteller: Sicherheits-ID: S-1-0-0 Kontoname: - "
        "Kontodomäne: - Anmelde-ID: 0x0 Prozessinformationen: ID des neuen Prozesses: 0x1a2c "
        "Neuer Prozessname: C:\\Windows\\System32\\cmd.exe Tokenerhöhungstyp: %%1936 "
        "Verbindliche Beschriftung: S-1-16-16384 Erstellerprozess-ID: 0x2f0 "
        "Erstellerprozessname: C:\\Windows\\System32\\services.exe "
        "Prozessbefehlszeile: cmd.exe /c whoami /all "
        "Der Tokenerhöhungstyp gibt den Typ des Tokens an, das dem neuen Prozess gemäß der "
        "Benutzerkontensteuerungs-Richtlinie zugewiesen wurde. Typ 1 bedeutet: vollständiges Token",
    ),
    4768: (
        "A Kerberos authentication ticket (TGT) was requested. Account Information: Account Name: alice "
        "Supplied Realm Name: CORP.EXAMPLE User ID: S-1-5-21-1-2-3-1104 Service Information: "
        "Service Name: krbtgt Service ID: S-1-5-21-1-2-3-502 Network Information: "
        "Client Address: ::ffff:10.0.0.7 Client Port: 49273 Additional Information: Ticket Options: 0x40810010 "
        "Result Code: 0x0 Ticket Encryption Type: 0x12 Pre-Authentication Type: 2",
        "Ein Kerberos-Authentifizierungsticket (TGT) wurde angefordert. Kontoinformationen: Kontoname: alice "
        "Angegebener Bereichsname: CORP.EXAMPLE Benutzer-ID: S-1-5-21-1-2-3-1104 Dienstinformationen: "
        "Dienstname: krbtgt Dienst-ID: S-1-5-21-1-2-3-502 Netzwerkinformationen: "
        "Clientadresse: ::ffff:10.0.0.7 Clientport: 49273 Zusätzliche Informationen: Ticketoptionen: 0x40810010 "
        "Ergebniscode: 0x0 Ticketverschlüsselungstyp: 0x12 Vorauthentifizierungstyp: 2",
    ),
    4769: (
        "A Kerberos service ticket was requested. Account Information: Account Name: alice@CORP.EXAMPLE "
        "Account Domain: CORP.EXAMPLE Logon GUID: {11111111-2222-3333-4444-555555555555} Service Information: "
        "Service Name: MSSQLSvc Service ID: S-1-5-21-1-2-3-1200 Network Information: "
        "Client Address: ::ffff:10.0.0.7 Client Port: 49280 Additional Information: Ticket Options: 0x40810000 "
        "Ticket Encryption Type: 0x17 Failure Code: 0x0 Transited Services: - "
        "This event is generated every time access is requested to a resource.",
        "Ein Kerberos-Dienstticket wurde angefordert. Kontoinformationen: Kontoname: alice@CORP.EXAMPLE "
        "Kontodomäne: CORP.EXAMPLE Anmelde-GUID: {11111111-2222-3333-4444-555555555555} Dienstinformationen: "
        "Dienstname: MSSQLSvc Dienst-ID: S-1-5-21-1-2-3-1200 Netzwerkinformationen: "
        "Clientadresse: ::ffff:10.0.0.7 Clientport: 49280 Zusätzliche Informationen: Ticketoptionen: 0x40810000 "
        "Ticketverschlüsselungstyp: 0x17 Fehlercode: 0x0 Übertragene Dienste: - "
        "Dieses Ereignis wird bei jeder Anforderung eines Zugriffs auf eine Ressource generiert.",
    ),
    4771: (
        "Kerberos pre-authentication failed. Account Information: Security ID: S-1-5-21-1-2-3-1104 "
        "Account Name: alice Service Information: Service Name: krbtgt/CORP.EXAMPLE Network Information: "
        "Client Address: ::ffff:10.0.0.7 Client Port: 49290 Additional Information: Ticket Options: 0x40810010 "
        "Failure Code: 0x18 Pre-Authentication Type: 2",
        "Fehler bei der Kerberos-Vorauthentifizierung. Kontoinformationen: Sicherheits-ID: S-1-5-21-1-2-3-1104 "
        "Kontoname: alice Dienstinformationen: Dienstname: krbtgt/CORP.EXAMPLE Netzwerkinformationen: "
        "Clientadresse: ::ffff:10.0.0.7 Clientport: 49290 Zusätzliche Informationen: Ticketoptionen: 0x40810010 "
        "Fehlercode: 0x18 Vorauthentifizierungstyp: 2",
    ),
    4776: (
        "The computer attempted to validate the credentials for an account. Authentication Package: "
        "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0 Logon Account: guest Source Workstation: WS-07 "
        "Error Code: 0xc000006a",
        "Der Computer hat versucht, die Anmeldeinformationen für ein Konto zu überprüfen. "
        "Authentifizierungspaket: MICROSOFT_AUTHENTICATION_PACKAGE_V1_0 Anmeldekonto: guest "
        "Quellarbeitsstation: WS-07 Fehlercode: 0xc000006a",
    ),
    1102: (
        "The audit log was cleared. Subject: Security ID: S-1-5-21-1-2-3-500 Account Name: Administrator "
        "Domain Name: CORP Logon ID: 0x5a3f1",
        "Das Überwachungsprotokoll wurde gelöscht. Antragsteller: Sicherheits-ID: S-1-5-21-1-2-3-500 "
        "Kontoname: Administrator Domänenname: CORP Anmelde-ID: 0x5a3f1",
    ),
}

HEADER = "<13>1 2026-11-30T09:00:{second:02d}+01:00 DC-01.corp.example EvntSLog - - - "


@pytest.mark.parametrize("event_id", sorted(PAIRS))
def test_german_text_gives_the_english_texts_event_data(event_id: int) -> None:
    english, german = PAIRS[event_id]
    read_english, read_german = event_data(english), event_data(german)
    assert read_english is not None and read_english[0] == event_id
    assert read_german == read_english


def test_german_and_english_lines_make_the_same_events(tmp_path: Path) -> None:
    log = tmp_path / "dc.log"
    lines = [HEADER.format(second=n) + text
             for n, (_, pair) in enumerate(sorted(PAIRS.items())) for text in pair]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([log], store=None, journal=journal, progress=False)
        events = [row.event for row in journal.iter_events()]
    assert report.to_dict()["localized_windows_text"] == []  # every German message was read
    assert len(events) == 2 * len(PAIRS)
    by_second: dict[float, list] = {}
    for event in events:  # each pair's English and German line share their header's second
        by_second.setdefault(event.ts, []).append(event)
    assert len(by_second) == len(PAIRS)
    for first, second in by_second.values():
        assert first.kind == second.kind and not first.kind.startswith("syslog")
        assert first.host == second.host == "dc-01"
        # the same fields but the rendered message each keeps in its own language
        assert ("message" in first.fields) == ("message" in second.fields)
        first.fields.pop("message", None), second.fields.pop("message", None)
        assert first.fields == second.fields


def test_a_label_forged_inside_a_german_value_loses_to_windows_own() -> None:
    # a client-chosen workstation name holding the next label: the source address stays Windows'
    text = PAIRS[4625][1].replace("Arbeitsstationsname: KALI", "Arbeitsstationsname: x Quellnetzwerkadresse: 6.6.6.6")
    read = event_data(text)
    assert read is not None and read[1]["IpAddress"] == "203.0.113.9"


def test_a_german_command_line_keeps_the_explanations_words() -> None:
    text = PAIRS[4688][1].replace("cmd.exe /c whoami /all",
                                  "cmd.exe /c echo Der Tokenerhöhungstyp gibt & net user evil /add")
    read = event_data(text)
    assert read is not None
    assert read[1]["CommandLine"] == "cmd.exe /c echo Der Tokenerhöhungstyp gibt & net user evil /add"
