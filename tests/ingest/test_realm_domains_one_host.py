r"""One endpoint cannot poison the Kerberos realm -> NetBIOS domain map (review RV2, items 4 and 5).

An endpoint's telemetry is its own to write, ``host.name.original`` included.  Before the two-host
rule one forged SYSTEM 4688 was enough to (a) map another forest's realm into the home NetBIOS
domain, (b) mark a genuine mapping conflicted for good, (c) set a wrong mapping by being first; and
(5) 4,100 forged realms evicted a conflict so a forged claim could then map the realm.  Each
scenario here goes through the projector with parsed Winlogbeat/Zeek records, as the review's
scripts did (:mod:`tests.ingest.test_realm_domains` holds the records).
"""

from __future__ import annotations

import logging

import pytest

from ingest import projection_realms
from ingest.projection import Projector
from ingest.realm_domains import CANDIDATE_LIMIT
from tests.ingest.test_realm_domains import (
    REALM_USER,
    SECOND_WORKSTATION,
    TS,
    WINDOWS_USER,
    events,
    kerberos_users,
    system_process,
    tgt,
    two_hosts,
    zeek_as,
)

PARTNER_ADMIN = zeek_as(TS, client="administrator/PARTNER.LOCAL")


def test_a_forged_host_of_another_forest_does_not_merge_its_users_into_the_home_domain() -> None:
    """(a) ``EVIL.partner.local`` as ``THESHIRE\\EVIL$``: partner.local\\administrator stays itself."""
    projector = Projector(realm_domains={})
    projector.project(events(*two_hosts()))  # the home realm, learnt honestly
    projector.project(events(system_process("EVIL.partner.local", "THESHIRE")))
    assert kerberos_users(projector, PARTNER_ADMIN) == {("user", "partner.local\\administrator")}


def test_two_forged_computer_names_of_another_forest_do_not_merge_its_users_into_the_home_domain(
        caplog: pytest.LogCaptureFixture) -> None:
    """One endpoint writing ``EVIL1.partner.local`` and ``EVIL2.partner.local`` as ``THESHIRE\\EVIL1$``/``EVIL2$``
    (two computer names: the two-host rule counts them as two hosts) maps nothing: ``theshire`` is none of
    ``partner.local``'s own labels, so the realm is kept whole for good, and a warning names it (task OLD2 #1)."""
    projector = Projector(realm_domains={})
    projector.project(events(*two_hosts()))  # the home realm, learnt honestly
    with caplog.at_level(logging.WARNING, logger="ingest.projection_realms"):
        projector.project(events(*two_hosts(first="EVIL1.partner.local", second="EVIL2.partner.local", record_id=5)))
    assert kerberos_users(projector, PARTNER_ADMIN) == {("user", "partner.local\\administrator")}
    assert kerberos_users(projector, zeek_as(TS + 5)) == {WINDOWS_USER}  # the home realm is unchanged
    [warning] = [record.getMessage() for record in caplog.records if "partner.local" in record.getMessage()]
    assert "'theshire'" in warning and "GRAPHSIEM_REALM_DOMAINS" in warning
    # Genuine partner hosts naming it PARTNER afterwards do not map it either: kept whole, as a conflict
    projector.project(events(*two_hosts("PARTNER", first="P1.partner.local", second="P2.partner.local", record_id=9)))
    assert kerberos_users(projector, zeek_as(TS + 9, client="administrator/PARTNER.LOCAL")) == {
        ("user", "partner.local\\administrator")}


def test_a_realm_maps_to_its_own_label_from_two_hosts() -> None:
    projector = Projector(realm_domains={})
    projector.project(events(*two_hosts("PARTNER", first="P1.partner.local", second="P2.partner.local")))
    assert kerberos_users(projector, PARTNER_ADMIN) == {("user", "partner\\administrator")}


def test_one_forged_dissenting_host_does_not_undo_a_genuine_mapping() -> None:
    """(b) One ``EVIL.theshire.local`` as ``MORDOR\\EVIL$`` changes nothing, now or after more genuine evidence."""
    projector = Projector(realm_domains={})
    projector.project(events(*two_hosts()))
    projector.project(events(system_process("EVIL.theshire.local", "MORDOR")))
    assert kerberos_users(projector, zeek_as(TS + 10)) == {WINDOWS_USER}
    projector.project(events(system_process("WS7.theshire.local", record_id=7)))
    assert kerberos_users(projector, zeek_as(TS + 20)) == {WINDOWS_USER}


def test_a_forged_claim_first_does_not_set_the_mapping_and_the_genuine_hosts_do() -> None:
    """(c) The forged MORDOR claim comes before any genuine host: the realm maps to theshire, not mordor."""
    projector = Projector(realm_domains={})
    projector.project(events(system_process("EVIL.theshire.local", "MORDOR")))
    assert kerberos_users(projector, zeek_as(TS)) == {REALM_USER}
    projector.project(events(*two_hosts(record_id=2)))
    assert kerberos_users(projector, zeek_as(TS + 1)) == {WINDOWS_USER}


def test_flooding_forged_realms_does_not_evict_a_conflict() -> None:
    """(5) A realm two hosts each gave two names stays whole after 4,100 forged realms and a forged claim."""
    projector = Projector(realm_domains={})
    projector.project(events(*two_hosts(), *two_hosts("MORDOR", first="M1.theshire.local",
                                                      second="M2.theshire.local", record_id=3)))
    assert kerberos_users(projector, zeek_as(TS)) == {REALM_USER}
    flood = [system_process(f"h{i}.r{i}.example", "X", record_id=10 + i) for i in range(4100)]
    projector.project(events(*flood))
    projector.project(events(system_process("EVIL.theshire.local", "MORDOR", record_id=9999)))
    assert kerberos_users(projector, zeek_as(TS + 2)) == {REALM_USER}
    assert len(projector._realm_domains) <= projection_realms.REALM_LIMIT


def test_flooding_forged_realms_does_not_evict_a_learnt_mapping() -> None:
    projector = Projector(realm_domains={})
    projector.project(events(*two_hosts()))
    projector.project(events(*(system_process(f"h{i}.r{i}.example", "X", record_id=10 + i) for i in range(4100))))
    assert kerberos_users(projector, zeek_as(TS + 2)) == {WINDOWS_USER}


def test_a_mapping_is_learnt_from_the_second_distinct_host_not_the_same_host_twice() -> None:
    projector = Projector(realm_domains={})
    projector.project(events(system_process(record_id=1), system_process(record_id=2)))  # WORKSTATION5 twice
    assert kerberos_users(projector, tgt()) == {REALM_USER}
    projector.project(events(system_process(SECOND_WORKSTATION, record_id=3)))
    assert kerberos_users(projector, tgt()) == {WINDOWS_USER}


def test_a_conflict_needs_two_dissenting_hosts() -> None:
    projector = Projector(realm_domains={})
    projector.project(events(*two_hosts()))
    projector.project(events(system_process("ROGUE.theshire.local", "MORDOR", record_id=3),
                             system_process("ROGUE.theshire.local", "MORDOR", record_id=4)))
    assert kerberos_users(projector, tgt()) == {WINDOWS_USER}  # one host, twice: still one host
    projector.project(events(system_process("ROGUE2.theshire.local", "MORDOR", record_id=5)))
    assert kerberos_users(projector, tgt()) == {REALM_USER}


def test_one_host_naming_many_domains_does_not_keep_the_genuine_name_out() -> None:
    """The realm's names are bounded; a name one host gave makes room for a new one."""
    projector = Projector(realm_domains={})
    projector.project(events(system_process()))  # the genuine first host
    forged = [system_process("EVIL.theshire.local", f"FAKE{n}", record_id=10 + n) for n in range(CANDIDATE_LIMIT + 2)]
    projector.project(events(*forged))
    assert len(projector._realm_domains["theshire.local"]) == CANDIDATE_LIMIT
    projector.project(events(*two_hosts(first="WS8.theshire.local", second="WS9.theshire.local", record_id=30)))
    assert kerberos_users(projector, tgt()) == {WINDOWS_USER}


def test_a_full_table_of_decided_realms_learns_no_new_realm_and_says_so(monkeypatch: pytest.MonkeyPatch,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(projection_realms, "REALM_LIMIT", 3)
    projector = Projector(realm_domains={})
    decided = [record for n in range(3)  # each named as its own label (a learnt name must be: task OLD2 #1)
               for record in two_hosts(f"SITE{n}", first=f"A.site{n}.example", second=f"B.site{n}.example",
                                       record_id=10 * n)]
    projector.project(events(*decided))
    with caplog.at_level(logging.WARNING, logger="ingest.projection_realms"):
        projector.project(events(*two_hosts()))
    assert kerberos_users(projector, tgt()) == {REALM_USER}  # not learnt: kept whole
    assert set(projector._realm_domains) == {"site0.example", "site1.example", "site2.example"}
    assert kerberos_users(projector, zeek_as(client="bob/SITE0.EXAMPLE")) == {("user", "site0\\bob")}
    assert [record.getMessage() for record in caplog.records if "not learnt" in record.getMessage()] == [
        "the learnt Kerberos realm map holds 3 decided realms: new realms ('theshire.local' first) are not "
        "learnt and stay whole; name them in GRAPHSIEM_REALM_DOMAINS"]

