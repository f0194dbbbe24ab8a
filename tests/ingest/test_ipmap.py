"""The time-aware IP -> host map: DHCP leases, endpoint observations, persistence."""

from __future__ import annotations

import pytest

from graphsiem.model import Event
from ingest.ipmap import ENDPOINT_SLACK, IpHostMap
from ingest.pipeline import ingest_paths


def dhcp(ts: float, ip: str, host: str, lease: float | None = 3600.0) -> Event:
    fields = {"dhcp.assigned_ip": ip, "dhcp.hostname": host}
    if lease is not None:
        fields["dhcp.lease_seconds"] = lease
    return Event(id="", kind="zeek:dhcp", ts=ts, host=None, source="zeek", fields=fields)


@pytest.mark.parametrize(
    ("ts", "expected"),
    [(999.0, None), (1000.0, "ws-1"), (5000.0, "ws-1"), (5200.5, None), (9000.0, None)],
)
def test_leases_map_an_ip_only_within_their_time(ts, expected):
    ipmap = IpHostMap()
    ipmap.observe(dhcp(1000.0, "10.0.0.5", "ws-1"))
    ipmap.observe(dhcp(1600.0, "10.0.0.5", "ws-1"))  # a renewal extends the lease to 5200
    assert ipmap.lookup("10.0.0.5", ts) == expected
    assert len(ipmap) == 1


def test_a_moved_address_ends_the_previous_lease():
    ipmap = IpHostMap()
    ipmap.add_lease("10.0.0.5", "ws-1", 0.0, 1000.0)
    ipmap.add_lease("10.0.0.5", "ws-2", 500.0, 1000.0)
    assert ipmap.lookup("10.0.0.5", 400.0) == "ws-1"
    assert ipmap.lookup("10.0.0.5", 600.0) == "ws-2"
    assert ipmap.intervals("10.0.0.5")[0].end == 500.0


def test_lease_without_length_lasts_a_day():
    ipmap = IpHostMap()
    ipmap.observe(dhcp(0.0, "10.0.0.9", "WS-9.corp.example", lease=None))
    assert ipmap.lookup("10.0.0.9", 86000.0) == "ws-9"
    assert ipmap.lookup("10.0.0.9", 90000.0) is None


def connect(ts: float, host: str, source: str, destination: str, **fields: str) -> Event:
    """A Sysmon 3 event as the Windows parser makes it; ``host.ip`` only when given."""
    return Event(id="", kind="sysmon:network_connect", ts=ts, host=host, source="nxlog",
                 fields={"source.ip": source, "destination.ip": destination, **fields})


def test_endpoint_connections_map_their_local_address_around_their_time():
    ipmap = IpHostMap()
    assert ipmap.observe(connect(10_000.0, "ws-3", "10.0.0.7", "203.0.113.1", **{"host.ip": "10.0.0.7"}))
    assert ipmap.lookup("10.0.0.7", 10_000.0 + ENDPOINT_SLACK - 1) == "ws-3"
    assert ipmap.lookup("10.0.0.7", 10_000.0 + ENDPOINT_SLACK + 1) is None
    assert ipmap.lookup("203.0.113.1", 10_000.0) is None


@pytest.mark.parametrize("local", ["10.0.0.8", "198.51.100.3"])
def test_the_local_address_is_host_ip_whichever_side_sysmon_wrote_it(local):
    # HFDC01 writes an inbound RPC connection with its own address as source
    event = connect(0.0, "srv-1", "198.51.100.3", "10.0.0.8", **{"network.direction": "inbound", "host.ip": local})
    ipmap = IpHostMap()
    assert ipmap.observe(event)
    other = "10.0.0.8" if local == "198.51.100.3" else "198.51.100.3"
    assert ipmap.lookup(local, 0.0) == "srv-1" and ipmap.lookup(other, 0.0) is None


@pytest.mark.parametrize("direction", ["inbound", "outbound", None])
def test_nothing_is_learnt_when_the_local_address_is_not_known(direction):
    fields = {"network.direction": direction} if direction else {}
    ipmap = IpHostMap()
    assert not ipmap.observe(connect(0.0, "srv-1", "198.51.100.3", "10.0.0.8", **fields, **{"host.ip_unknown": True}))
    assert len(ipmap) == 0


@pytest.mark.parametrize(("direction", "local"), [("outbound", "198.51.100.3"), ("inbound", "10.0.0.8")])
def test_an_event_journaled_before_the_local_side_rule_keeps_the_rule_of_then(direction, local):
    """A replay of an older journal (no host.ip, no host.ip_unknown) rebuilds the map it had."""
    ipmap = IpHostMap()
    assert ipmap.observe(connect(0.0, "srv-1", "198.51.100.3", "10.0.0.8", **{"network.direction": direction}))
    assert ipmap.lookup(local, 0.0) == "srv-1"


@pytest.mark.parametrize("local", ["127.0.0.1", "::1", "srv-1", ["10.0.0.8"], ""])
def test_loopback_names_and_non_addresses_are_not_learnt(local):
    ipmap = IpHostMap()
    assert not ipmap.observe(connect(0.0, "srv-1", "10.0.0.9", "10.0.0.8", **{"host.ip": local}))
    assert len(ipmap) == 0


def test_map_persists_in_the_journal_database(journal):
    ipmap = IpHostMap()
    ipmap.add_lease("10.0.0.5", "ws-1", 0.0, 100.0)
    assert ipmap.save(journal.connection) == 1
    assert ipmap.save(journal.connection) == 0  # nothing changed since
    again = IpHostMap().load(journal.connection)
    assert again.lookup("10.0.0.5", 50.0) == "ws-1"


def test_written_intervals_stay_unsaved_until_the_callers_commit(journal):
    ipmap = IpHostMap()
    ipmap.add_lease("10.0.0.5", "ws-1", 0.0, 100.0)
    db = journal.connection
    db.execute("BEGIN IMMEDIATE")
    assert ipmap.write(db) == ["10.0.0.5"]
    db.execute("ROLLBACK")  # the caller's transaction failed: nothing was saved
    assert IpHostMap().load(db).lookup("10.0.0.5", 50.0) is None
    assert ipmap.save(db) == 1  # still marked changed, so the next save writes it
    assert IpHostMap().load(db).lookup("10.0.0.5", 50.0) == "ws-1"
    db.execute("BEGIN IMMEDIATE")
    written = ipmap.write(db)  # nothing changed since: nothing to write
    db.execute("COMMIT")
    ipmap.saved(written)
    assert written == [] and ipmap.save(db) == 0


def test_saving_merges_with_intervals_another_writer_saved(journal):
    first, second = IpHostMap(), IpHostMap()
    first.add_lease("10.0.0.5", "ws-1", 0.0, 100.0)
    second.add_lease("10.0.0.5", "ws-1", 500.0, 100.0)  # learnt by another process meanwhile
    first.save(journal.connection)
    second.save(journal.connection)
    merged = IpHostMap().load(journal.connection)
    assert merged.lookup("10.0.0.5", 50.0) == "ws-1" and merged.lookup("10.0.0.5", 550.0) == "ws-1"


def test_rows_saved_by_earlier_versions_load_and_save_unchanged(journal):
    """The table is the one earlier versions wrote (no migration): rows in any order load, and a save
    writes only what changed."""
    rows = [
        ("10.0.0.6", 0.0, 100.0, "laptop-verylongname01", "endpoint"),
        ("10.0.0.5", 1500.0, 8700.0, "ws-2", "endpoint"),
        ("10.0.0.5", 0.0, 1000.0, "ws-1", "dhcp"),
        ("10.0.0.6", 0.0, 100.0, "laptop-verylong", "endpoint"),
        ("10.0.0.5", 1000.0, 2000.0, "ws-2", "dhcp"),
    ]
    db = journal.connection
    db.executemany("INSERT INTO ip_hosts (ip, start, end, host, source) VALUES (?, ?, ?, ?, ?)", rows)
    ipmap = IpHostMap().load(db)
    assert [ipmap.lookup("10.0.0.5", t) for t in (500.0, 1000.0, 5000.0, 9000.0)] == ["ws-1", "ws-2", "ws-2", None]
    assert ipmap.lookup("10.0.0.6", 50.0) == "laptop-verylongname01"  # the NetBIOS name gives way
    ipmap.add_lease("10.0.0.5", "ws-3", 9000.0, 100.0)
    assert ipmap.save(db) == 1
    assert sorted(db.execute("SELECT ip, start, end, host, source FROM ip_hosts")) == sorted(
        [*rows, ("10.0.0.5", 9000.0, 9100.0, "ws-3", "dhcp")])


def test_a_watch_answers_like_the_map():
    ipmap = IpHostMap()
    ipmap.add_lease("10.0.0.5", "ws-1", 1000.0, 600.0)
    watch = ipmap.watch()
    assert [watch.lookup("10.0.0.5", t) for t in (900.0, 1200.0)] == [None, "ws-1"]
    assert watch.lookup(None, 1200.0) is None and not watch.changed


@pytest.mark.parametrize(
    ("change", "is_changed"),
    [
        (lambda m: m.add_lease("10.0.0.5", "ws-2", 5000.0, 600.0), False),  # after every lookup
        (lambda m: m.add_lease("10.0.0.9", "ws-2", 1000.0, 600.0), False),  # another IP
        (lambda m: m.add_lease("10.0.0.5", "ws-1", 1000.0, 600.0), False),  # the same lease again
        (lambda m: m.add_lease("10.0.0.5", "ws-1", 1500.0, 600.0), True),  # a renewal over t=1550
        (lambda m: m.add_lease("10.0.0.5", "ws-2", 1100.0, 60.0), True),  # moved: ends ws-1's lease at 1100
        (lambda m: m.add_endpoint("10.0.0.7", "ws-3", 2000.0), True),  # an IP looked up when unknown
        (lambda m: m.add_endpoint("10.0.0.7", "ws-3", 2000.0 + 3 * ENDPOINT_SLACK), False),  # ... but far later
    ],
)
def test_a_watch_notices_changes_that_reach_the_times_it_looked_up(change, is_changed):
    ipmap = IpHostMap()
    ipmap.add_lease("10.0.0.5", "ws-1", 1000.0, 600.0)
    watch = ipmap.watch()
    watch.lookup("10.0.0.5", 1200.0)
    watch.lookup("10.0.0.5", 1550.0)
    watch.lookup("10.0.0.7", 2000.0)
    change(ipmap)
    assert watch.changed is is_changed


def test_a_renewal_that_moves_a_start_reorders_the_intervals_at_once():
    """The latest start wins at once, not after some later change re-sorts the intervals.

    The list this map kept before was sorted only when an interval was added:
    the renewal below left ws-2's interval after ws-1's though it now started
    first, so t=7000 answered ws-2 until an unrelated observation re-sorted
    the list (and the map loaded from the journal answered ws-1 all along).
    """
    ipmap = IpHostMap()
    ipmap.add_endpoint("10.0.0.5", "ws-1", 10_000.0)  # [6400, 13600]
    ipmap.add_lease("10.0.0.5", "ws-2", 8000.0, 600.0)  # [8000, 8600]; ws-1's now ends at 8000
    ipmap.add_lease("10.0.0.5", "ws-2", 5000.0, 3100.0)  # merged: [5000, 8600], before ws-1's [6400, 8000]
    assert [(i.start, i.host) for i in ipmap.intervals("10.0.0.5")] == [(5000.0, "ws-2"), (6400.0, "ws-1")]
    watch = ipmap.watch()
    assert watch.lookup("10.0.0.5", 7000.0) == "ws-1"  # ws-1's interval started last
    ipmap.add_endpoint("10.0.0.5", "ws-3", 50_000.0)  # far from t=7000: changes no answer there
    assert not watch.changed and ipmap.lookup("10.0.0.5", 7000.0) == "ws-1"


def test_a_save_keeps_a_cut_made_after_the_last_one(journal):
    """Saving merges rows other writers saved, not the map's own rows as they were: the cut stays.

    Fails before: the second save merged ws-1's saved [0, 1000] back over its
    cut [0, 500], so the address answered ws-1 again after ws-2's lease ended.
    """
    ipmap = IpHostMap()
    ipmap.add_lease("10.0.0.5", "ws-1", 0.0, 1000.0)
    ipmap.save(journal.connection)
    ipmap.add_lease("10.0.0.5", "ws-2", 500.0, 100.0)  # the address moved: ws-1's lease ends at 500
    ipmap.save(journal.connection)
    for answering in (ipmap, IpHostMap().load(journal.connection)):
        assert [answering.lookup("10.0.0.5", t) for t in (400.0, 550.0, 800.0)] == ["ws-1", "ws-2", None]


def test_an_unwatched_watch_hears_no_more_changes():
    ipmap = IpHostMap()
    watch = ipmap.watch()
    watch.lookup("10.0.0.5", 1200.0)
    ipmap.unwatch(watch)
    ipmap.add_lease("10.0.0.5", "ws-1", 1000.0, 600.0)
    assert not watch.changed


def test_observe_all_learns_what_observe_learns_event_by_event():
    events = [
        dhcp(0.0, "10.0.0.5", "ws-1"),
        Event(id="", kind="sysmon:process_create", ts=1.0, host="ws-2", source="x",
              fields={"source.ip": "10.0.0.6"}),  # an endpoint event that is no connection: nothing
        Event(id="", kind="sysmon:network_connect", ts=2.0, host="ws-3", source="x",
              fields={"source.ip": "10.0.0.7", "destination.ip": "203.0.113.1", "host.ip": "10.0.0.7"}),
        Event(id="", kind="sysmon:network_connect", ts=2.5, host="ws-3", source="x",
              fields={"source.ip": "10.0.0.10", "destination.ip": "203.0.113.1",
                      "host.ip_unknown": True}),  # the local side not told: nothing
        Event(id="", kind="sysmon:network_connect", ts=3.0, host="", source="x",
              fields={"source.ip": "10.0.0.9", "host.ip": "10.0.0.9"}),  # no host name: nothing
        Event(id="", kind="zeek:kerberos", ts=4.0, host=None, source="zeek",
              fields={"source.hostname": "WS-4$", "source.ip": "10.0.0.8"}),
        Event(id="", kind="zeek:conn", ts=5.0, host=None, source="zeek", fields={"source.ip": "10.0.0.1"}),
        Event(id="", kind="edr:network", ts=6.0, host="ws-5", source="x",  # any endpoint parser's own end
              fields={"source.ip": "10.0.0.11", "destination.ip": "203.0.113.1", "host.ip": "10.0.0.11"}),
        Event(id="", kind="edr:network", ts=6.5, host="ws-5", source="x",  # not this connection's end
              fields={"source.ip": "10.0.0.13", "destination.ip": "203.0.113.1", "host.ip": "10.0.0.12"}),
        Event(id="", kind="suricata:dhcp", ts=7.0, host=None, source="suricata",
              fields={"dhcp.assigned_ip": "10.0.0.14", "dhcp.hostname": "ws-6", "dhcp.message_types": ["OFFER"]}),
        dhcp(8.0, "10.0.0.15", "iphone"),
    ]
    one_by_one = IpHostMap()
    learnt = sum(one_by_one.observe(event) for event in events)
    together = IpHostMap()
    assert together.observe_all(events) == learnt == 4
    for ip in ("10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.10", "10.0.0.11", "10.0.0.12",
               "10.0.0.13", "10.0.0.14", "10.0.0.15"):
        assert together.intervals(ip) == one_by_one.intervals(ip)
    assert together.lookup("10.0.0.8", 4.0) == one_by_one.lookup("10.0.0.8", 4.0) is not None


# The corpus files with Sysmon 3 events, and every IP -> host the map may learn from each.
# Sysmon writes inbound connections with the local end as source or destination:
# HFDC01 172.18.39.5:135 -> HR001 172.18.39.106:53118, MORDORDC dns.exe
# 172.18.38.5:53 -> WORKSTATION5 172.18.39.5:63162, IEWIN7 10.0.2.18:445 <- 10.0.2.19.
CORPUS_IP_HOSTS = {
    "otrf-security-datasets/empire_enable_rdp_2019-05-18203650.json": {
        "172.18.39.5": {"hfdc01"}, "fe80::e086:822b:9735:45c8": {"hfdc01"},
        "172.18.39.106": {"hr001"}, "172.18.39.105": {"it001"},
    },
    "otrf-security-datasets/empire_launcher_vbs_2020-09-04160940.json": {
        "172.18.38.5": {"mordordc"}, "172.18.39.5": {"workstation5"},
    },
    "otrf-security-datasets/cmd_bitsadmin_download_psh_script_2020-10-2302365189.json": {
        "192.168.2.5": {"workstation5"},  # not the SSDP group 239.255.255.250
    },
    "evtx-attack-samples/Lateral Movement/LM_sysmon_psexec_smb_meterpreter.evtx": {"10.0.2.18": {"iewin7"}},
    "evtx-attack-samples/Lateral Movement/LM_wmiexec_impacket_sysmon_whoami.evtx": {"10.0.2.18": {"iewin7"}},
}


# host CONNECTED ip: the peer, never the host's own address (it was, with the old rule)
CORPUS_PEERS = {
    "otrf-security-datasets/empire_enable_rdp_2019-05-18203650.json": (
        ("hfdc01", "172.18.39.106"), ("hfdc01", "172.18.39.5")),
    "otrf-security-datasets/empire_launcher_vbs_2020-09-04160940.json": (
        ("mordordc", "172.18.39.5"), ("mordordc", "172.18.38.5")),
    "evtx-attack-samples/Lateral Movement/LM_sysmon_psexec_smb_meterpreter.evtx": (
        ("iewin7", "10.0.2.19"), ("iewin7", "10.0.2.18")),
}


@pytest.mark.parametrize("name", sorted(CORPUS_IP_HOSTS))
def test_corpus_ip_hosts_name_the_machine_that_holds_the_address(name, corpus, journal, graph):
    ingest_paths([corpus / name], store=graph, journal=journal, progress=False)
    learnt: dict[str, set[str]] = {}
    for ip, host in journal.connection.execute("SELECT ip, host FROM ip_hosts"):
        learnt.setdefault(ip, set()).add(host)
    assert learnt == CORPUS_IP_HOSTS[name]
    if name in CORPUS_PEERS:
        peer, own = CORPUS_PEERS[name]
        # (host, other end) of its connections: outbound ones run from the host, inbound from the peer
        connected = {(r.src[1], r.dst[1]) if r.src[0] == "host" else (r.dst[1], r.src[1])
                     for r in graph.iter_relations("CONNECTED") if "host" in (r.src[0], r.dst[0])}
        assert peer in connected and own not in connected


@pytest.mark.parametrize(
    ("full_names", "answer"),
    [
        # the one full name beginning with the account holds the address at that time: joined
        ([("10.0.0.6", "laptop-verylongname01")], "laptop-verylongname01"),
        # the only known name beginning with it, but on another address: no evidence it is that machine
        # (an AD computer without an agent may share the prefix), and no join the map could undo later
        ([("10.0.0.9", "laptop-verylongname01")], "laptop-verylong"),
    ],
    ids=["same-address-same-time", "unique-prefix-elsewhere"],
)
def test_a_truncated_name_joins_only_the_full_name_holding_its_address(full_names, answer):
    """Audit M16 without overlap: a fleet-wide unique-prefix join is not made (``docs/fields.md``)."""
    ipmap = IpHostMap()
    for ip, name in full_names:
        ipmap.add_endpoint(ip, name, 1000.0)
    ipmap.add_endpoint("10.0.0.6", "laptop-verylong", 1000.0)
    assert ipmap.lookup("10.0.0.6", 1000.0) == answer


def test_two_hosts_sharing_a_netbios_prefix_stay_two_at_their_shared_address():
    """Which of the two the machine account ``ACCOUNTING-SRV-$`` is cannot be told: neither."""
    ipmap = IpHostMap()
    ipmap.add_endpoint("10.0.0.6", "accounting-srv-01", 1000.0)
    ipmap.add_endpoint("10.0.0.6", "accounting-srv-02", 1000.0)
    ipmap.add_endpoint("10.0.0.6", "accounting-srv-", 1000.0)  # ACCOUNTING-SRV-$: either machine
    assert ipmap.lookup("10.0.0.6", 1000.0) == "accounting-srv-"
