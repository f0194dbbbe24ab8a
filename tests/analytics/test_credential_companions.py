"""A sprayer writing each victim's own machine name into its 4776s is still a spray (task CRED5 item 1).

A 4776 names no address, and a failure naming only a workstation its account logs on from read as
that user mistyping at home, so the whole spray vanished: the sensor's record of each try (with the
sprayer's address) was dropped as the DC's copy, and the member servers' 4625s stayed under every
threshold each.  Now the 4776 takes the address of another record of the same try when that address
is no one's home.  Real ingests through the pipeline into a real journal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analytics.credential_attempts import VALIDATION_KIND, Attempt, read_attempts
from analytics.credential_companions import with_companion_addresses
from analytics.credential_network import NTLM_KIND
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.analytics.test_credential_network import SPRAYER, credential, dhcp_lease, ntlm, run
from tests.analytics.test_credential_spray import BASE, iso, validation

ACCOUNTS = 14


def home(u: int) -> str:
    return f"WS-{u:02d}"


def logons_from_home() -> list[dict[str, Any]]:
    """Each user logs on from their own machine in the morning: the DC knows WS-NN as user NN's."""
    return [validation(BASE + 10 * u, f"user{u:02d}", home(u), "0x0", 10 + u) for u in range(ACCOUNTS)]


def forged_4776s(start: float) -> list[dict[str, Any]]:
    """The DC's 4776 of each sprayed try: the victim's own machine name, no address."""
    return [validation(start + 20 * u + 1, f"user{u:02d}", home(u), "0xc000006a", 500 + u) for u in range(ACCOUNTS)]


def test_a_sprayer_forging_each_victims_machine_is_found_by_the_sensors_address(tmp_path: Path) -> None:
    start = BASE + 1800
    records = [dhcp_lease(), *logons_from_home(), *forged_4776s(start)]
    records += [ntlm(start + 20 * u, f"user{u:02d}", False, u, workstation=home(u)) for u in range(ACCOUNTS)]
    result = run(EmbeddedStore(tmp_path / "graph"), tmp_path, records)
    found = credential(result)
    assert len(found) == 1, result.stats  # was none: every 4776 at home, the sensor's copies dropped
    record = found[0].credential
    assert record is not None and record["pattern"] == "password_spray" and found[0].hosts == ["dc01"]
    assert record["accounts_total"] == ACCOUNTS
    assert [row["label"] for row in record["source_ips"]] == [SPRAYER]
    # one try, two records: counted once (the DC's, now with the sensor's address)
    assert all(row["failures"] == 1 for row in record["accounts"])
    assert result.stats["credential_network_attempts"] == 0


def test_users_mistyping_at_home_with_their_own_addresses_stay_mistypes(tmp_path: Path) -> None:
    """The same 14 failures from each user's own address (the sensor saw them too): no one's spray."""
    start = BASE + 1800
    records = [dhcp_lease(), *logons_from_home(), *forged_4776s(start)]
    for u in range(ACCOUNTS):
        own = ntlm(start + 20 * u, f"user{u:02d}", False, u, workstation=home(u))
        records.append({**own, "id.orig_h": f"10.0.1.{10 + u}"})
    result = run(EmbeddedStore(tmp_path / "graph"), tmp_path, records)
    assert credential(result) == [], result.stats



@pytest.mark.parametrize("kerberos_kind", ["winsec:kerberos_logon_failed", "zeek:kerberos"])
def test_a_spoofed_kerberos_request_before_each_try_does_not_lend_the_4776_its_address(kerberos_kind: str) -> None:
    """A Kerberos AS request is one UDP datagram: the sprayer sends one per victim with another machine's
    address a second before each NTLM try, and the DC (4771) or the sensor (kerberos.log) records it.  A
    4776 is NTLM's record, so only an NTLM record (the sensor's ntlm.log, a 4625) may be its companion: the
    4776s carry the sprayer's address, not the spoofed one (T15L; they took the first one in time)."""
    start, spoofed = BASE + 1800, "10.0.0.77"
    tries = [Attempt(start + 20 * u + 1, f"corp\\user{u:02d}", "failure 0xc000006a", home(u).lower(), None,
                     f"v{u}", VALIDATION_KIND) for u in range(ACCOUNTS)]
    refused = [Attempt(start + 20 * u - 1, f"user{u:02d}", "failure kerberos 0x18", None, spoofed, f"k{u}",
                       kerberos_kind) for u in range(ACCOUNTS)]
    sensed = [Attempt(start + 20 * u, f"user{u:02d}", "failure 0xc000006a", home(u).lower(), SPRAYER, f"n{u}",
                      NTLM_KIND) for u in range(ACCOUNTS)]
    on_dc = [*tries, *refused] if kerberos_kind.startswith("winsec") else tries
    network = [*sensed, *refused] if kerberos_kind.startswith("zeek") else sensed
    addressed = with_companion_addresses({"dc01": on_dc}, {"dc01": network})["dc01"]
    assert [a.source_ip for a in addressed if a.kind == VALIDATION_KIND] == [SPRAYER] * ACCOUNTS


def test_a_4625_on_a_member_server_still_lends_its_address() -> None:
    """The member server's 4625 of the same NTLM try is a companion (no sensor needed)."""
    start = BASE + 1800
    tries = [Attempt(start + 20 * u + 1, f"corp\\user{u:02d}", "failure 0xc000006a", home(u).lower(), None,
                     f"v{u}", VALIDATION_KIND) for u in range(ACCOUNTS)]
    member = [Attempt(start + 20 * u, f"corp\\user{u:02d}", "failure 0xc000006a", home(u).lower(), SPRAYER,
                      f"m{u}", "winsec:logon_failed") for u in range(ACCOUNTS)]
    addressed = with_companion_addresses({"dc01": tries, "srv01": member}, {})["dc01"]
    assert [a.source_ip for a in addressed] == [SPRAYER] * ACCOUNTS


def member_4625(ts: float, user: str, address: str, record: int, package: str, process: str) -> dict[str, Any]:
    """A Winlogbeat 8 Security 4625 of the member server SRV01 (a wrong password) by ``package``."""
    return {"@timestamp": iso(ts), "agent": {"type": "winlogbeat", "version": "8.11.0"},
            "winlog": {"computer_name": "SRV01.corp.example", "event_id": "4625", "channel": "Security",
                       "record_id": record,
                       "event_data": {"TargetUserName": user, "TargetDomainName": "CORP", "LogonType": "3",
                                      "IpAddress": address, "IpPort": "51234", "WorkstationName": "-",
                                      "Status": "0xc000006d", "SubStatus": "0xc000006a",
                                      "LogonProcessName": process, "AuthenticationPackageName": package}},
            "message": "An account failed to log on."}


@pytest.mark.parametrize(("package", "process", "lends"), [
    ("NTLM", "NtLmSsp ", True), ("Negotiate", "NtLmSsp ", True),  # NTLM refused it: the same try
    ("Kerberos", "Kerberos", False), ("Negotiate", "User32 ", False),  # another protocol's try
])
def test_only_a_4625_ntlm_refused_lends_a_4776_its_address(tmp_path: Path, package: str, process: str,
                                                            lends: bool) -> None:
    """A member server's 4625 a second before each 4776 gives it its address only when the 4625 says
    NTLM (package or logon process, task CRED6 item 1): before, every 4625 did, whatever its protocol."""
    start, other = BASE + 1800, "10.0.0.77"
    records = [*logons_from_home(), *forged_4776s(start)]
    records += [member_4625(start + 20 * u, f"user{u:02d}", other, 900 + u, package, process) for u in range(ACCOUNTS)]
    path = tmp_path / "logs.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with Journal(tmp_path / "journal.sqlite") as journal:
        assert ingest_paths([path], store=None, journal=journal, progress=False).total.accepted == len(records)
        member = read_attempts(journal.connection, "srv01", [], BASE, start + 3600)
        tries = [a for a in read_attempts(journal.connection, "dc01", [], BASE, start + 3600) if a.failed]
    assert {a.protocol for a in member} == {"ntlm" if lends else package.lower()}
    addressed = with_companion_addresses({"dc01": tries, "srv01": member}, {})["dc01"]
    assert [a.source_ip for a in addressed] == [other if lends else None] * ACCOUNTS


def test_a_4625_that_names_no_protocol_still_lends_its_address() -> None:
    """An MDE row or ArcSight's CEF keeps no package: such a 4625 counts, as every 4625 did before."""
    start = BASE + 1800
    tries = [Attempt(start + 20 * u + 1, f"corp\\user{u:02d}", "failure 0xc000006a", home(u).lower(), None,
                     f"v{u}", VALIDATION_KIND) for u in range(ACCOUNTS)]
    member = [Attempt(start + 20 * u, f"corp\\user{u:02d}", "failure 0xc000006a", None, SPRAYER, f"m{u}",
                      "winsec:logon_failed", None) for u in range(ACCOUNTS)]
    addressed = with_companion_addresses({"dc01": tries, "srv01": member}, {})["dc01"]
    assert [a.source_ip for a in addressed] == [SPRAYER] * ACCOUNTS
