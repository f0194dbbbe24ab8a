"""A full replay rebuilds the IP map's waiting DHCP requests (``dhcp_requests``) from the journal alone.

The IP map persists the named DHCP requests waiting for their ACK beside its
intervals (d621d59).  Replay learns the map again from the journal; a request
row left from before would outlive the journal's event (a journal edit that
removed it) and name a later call's nameless ACK.  The old intervals and
requests are replaced by the rebuilt ones in one transaction.
"""

from __future__ import annotations

import pytest

from ingest.ipmap import IpHostMap
from ingest.replay import replay
from tests.ingest.parsers.test_suricata_dhcp import ack, clients, flow, ingest, request


def _requests(journal) -> list[tuple[str, str]]:
    """The saved requests (the table is made by the first write that needs one)."""
    db = journal.connection
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'dhcp_requests'").fetchone():
        return []
    return db.execute("SELECT transaction_id, host FROM dhcp_requests ORDER BY transaction_id").fetchall()


def test_a_request_removed_from_the_journal_names_no_later_ack(tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, [request()], name="first.json")
    assert _requests(journal) == [("7", "ws-0300")]
    # the journal edited: the request's event removed (a purged source), then the graph rebuilt from it
    journal.connection.execute("DELETE FROM events WHERE kind = 'suricata:dhcp'")
    replay(journal, graph)
    assert _requests(journal) == []
    ingest(tmp_path, journal, graph, [ack(), flow()], name="second.json")  # a new map, loaded from the journal
    assert clients(graph) == {("ip", "10.1.5.5")}


def test_replay_keeps_the_requests_the_journal_holds(tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, [request(), request(xid=8, name="WS-0301")], name="first.json")
    journal.connection.execute("DELETE FROM dhcp_requests WHERE transaction_id = '8'")  # rebuilt from the event
    replay(journal, graph)
    assert _requests(journal) == [("7", "ws-0300"), ("8", "ws-0301")]
    ingest(tmp_path, journal, graph, [ack(), flow()], name="second.json")
    assert clients(graph) == {("host", "ws-0300")}


def test_replay_replaces_the_intervals_of_events_removed_from_the_journal(tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, [request(), ack(), flow()])
    assert [i.host for i in IpHostMap().load(journal.connection).intervals("10.1.5.5")] == ["ws-0300"]
    journal.connection.execute("DELETE FROM events WHERE kind = 'suricata:dhcp'")
    replay(journal, graph)
    assert IpHostMap().load(journal.connection).intervals("10.1.5.5") == []
    assert clients(graph) == {("ip", "10.1.5.5")}


def test_a_rebuild_that_fails_keeps_the_saved_map_whole(tmp_path, journal, graph, monkeypatch) -> None:
    ingest(tmp_path, journal, graph, [request(), ack(), request(xid=8, name="WS-0301")])

    def fail(self, db):
        raise RuntimeError("disk full")  # after the old rows were deleted in the transaction

    monkeypatch.setattr(IpHostMap, "write", fail)
    with pytest.raises(RuntimeError):
        replay(journal, graph)
    monkeypatch.undo()
    assert [i.host for i in IpHostMap().load(journal.connection).intervals("10.1.5.5")] == ["ws-0300"]
    assert _requests(journal) == [("7", "ws-0300"), ("8", "ws-0301")]
    assert not journal.connection.in_transaction
