r"""The Brim ``syslog.log``: the domain controller's 50 NTLM validations are on its page (task K2).

Kramer.jerry.land (the DC; ``kramer``) logs 50 Security 4776 as EvntSLog text: 48 for ``guest``,
2 for ``david`` (200 lines: the sensor logged each datagram 4 times, capture copies of one event,
:mod:`ingest.parsers.zeek_syslog_copies`), every one ``Error Code: 0x0``, the client claiming
``WORKSTATION`` (a tool's default) or a random 16-character name, 15 of them.  Two of those names (``yygrhabrvpznn8lb``,
``aidqoudhhrkcn8hy``) are also a 4624's ``Workstation Name`` with the red team's address, and are
hosts of the graph by session 18's rule (``host CLAIMED_AT ip``); the other 13 are named only by
4776, which has no address: they must stay labels of the ``VALIDATED_AT`` edges, never hosts.
4776 names the account without a domain (``guest``); kramer is a domain controller (it logs 4769)
of NetBIOS domain ``JERRY`` (its own ``JERRY\KRAMER$`` logons, before the validations in the file),
so the validated account is ``jerry\guest``, the user kramer's 4624s log on (task Q2).
Read in place from ``$GRAPHSIEM_SAMPLES``, on both stores.
"""

from __future__ import annotations

from pathlib import Path

from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

DC = ("host", "kramer")
GUEST, DAVID = ("user", "jerry\\guest"), ("user", "jerry\\david")
"""The accounts as kramer's 4624s name them (``Account Domain: JERRY``)."""
LOGON_CLAIMS = {"yygrhabrvpznn8lb", "aidqoudhhrkcn8hy"}
"""Random names a 4624 (with an address) also claims: claims, never hosts (16 characters, no NetBIOS name,
review U1 #5; session 18's rule made them hosts)."""


def test_the_dcs_page_shows_the_sprayed_accounts_and_their_claims(store: GraphStore, tmp_path: Path,
                                                                  samples_dir: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([samples_dir / "brimdata-zed-sample-data" / "zeek-default" / "syslog.log"],
                              store=store, journal=journal, progress=False)
    store.flush()
    assert report.total.rejected == 0
    neighbors = {n.entity.ref: n.relation for n in store.neighbors(*DC, relation_types=["VALIDATED_AT"])}
    assert set(neighbors) == {GUEST, DAVID}
    guest, david = neighbors[GUEST], neighbors[DAVID]
    assert (guest.src, guest.dst, guest.count, david.count) == (GUEST, DC, 48, 2)
    assert (guest.tallies or {})["account_domain"] == {"jerry": 48}
    assert (david.tallies or {})["account_domain"] == {"jerry": 2}
    assert (guest.tallies or {})["outcomes"] == {"success": 48}  # every Error Code is 0x0 in this file
    assert (david.tallies or {})["outcomes"] == {"success": 2}
    claimed = {**(guest.tallies or {})["workstations"], **(david.tallies or {})["workstations"]}
    random_names = {name for name in claimed if len(name) == 16}
    assert len(random_names) == 15 and LOGON_CLAIMS <= random_names
    assert (guest.tallies or {})["workstations"]["workstation"] == 34
    assert guest.tallies_dropped is None and david.tallies_dropped is None
    # none of the 15 random names is a host: 4776's are edge tallies, and so are the two 4624 claims
    # (16 characters: no computer has such a name), on the logons' edges to the DC
    hosts = {e.key for e in store.iter_entities("host")}
    assert hosts & random_names == set()
    assert "workstation" not in hosts
    logon_claims: set[str] = set()
    for relation in store.iter_relations("LOGGED_ON"):
        if relation.dst == DC:
            logon_claims |= set((relation.tallies or {}).get("workstations") or {})
    assert LOGON_CLAIMS <= logon_claims
    # one account, one node: the user kramer's 4624s log on is the one it validated (no bare 'guest')
    users = {e.key for e in store.iter_entities("user")}
    assert "guest" not in users and "david" not in users
    logged_on = {r.src: r for r in store.iter_relations("LOGGED_ON") if r.dst == DC}
    assert GUEST in logged_on and DAVID in logged_on
    guest_page = {n.relation.type for n in store.neighbors(*GUEST)}
    assert {"LOGGED_ON", "VALIDATED_AT"} <= guest_page
