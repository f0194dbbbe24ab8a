"""One tie-break for an address two hosts held from the same start: the host learnt last (review R19 F2).

The projection (:meth:`IpHostMap.lookup`) took the interval learnt last; the same map reloaded from the
journal read the rows of one start by host name (so a service restart flipped its choice), and the
evidence rows (:mod:`ingest.ipmap_evidence`) took the first host by name: an evidence row could name a
host the projection had not used.  Now all three take the host learnt last: the rows' ``rowid`` is their
learn order (:func:`ingest.ipmap_store.in_learn_order`), read by the load and by the evidence query.  A
real SQLite journal throughout.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsiem.model import Event
from ingest.ipmap import ENDPOINT_SLACK, IpHostMap
from ingest.ipmap_evidence import holders, mapped_hosts
from ingest.journal import Journal

IP = "10.0.0.5"


def _answers(ipmap: IpHostMap, journal: Journal, ts: float) -> tuple[str | None, str | None, list[str]]:
    """The live map's host, the reloaded map's and the evidence row's, for a connection from ``IP`` at ``ts``."""
    event = Event(id="e1", kind="zeek:conn", ts=ts, host=None, source="zeek",
                  fields={"source.ip": IP, "destination.ip": "8.8.8.8"})
    evidence = [h.host for h in mapped_hosts(journal.connection, [event]).get("e1", [])]
    return ipmap.lookup(IP, ts), IpHostMap().load(journal.connection).lookup(IP, ts), evidence


@pytest.mark.parametrize("first, last", [("aa-ws", "zz-ws"), ("zz-ws", "aa-ws")])
def test_two_hosts_in_the_same_second_give_the_one_learnt_last_everywhere(journal: Journal, first: str,
                                                                          last: str) -> None:
    ipmap = IpHostMap()
    ipmap.add_endpoint(IP, first, 1000.0)
    ipmap.add_endpoint(IP, last, 1000.0)
    ipmap.save(journal.connection)
    assert _answers(ipmap, journal, 1000.0) == (last, last, [last])


def test_a_widened_interval_saved_again_keeps_its_place(journal: Journal) -> None:
    """Its row rewritten (a later end) must not make it the latest learnt."""
    ipmap = IpHostMap()
    ipmap.add_endpoint(IP, "zz-ws", 1000.0)
    ipmap.add_endpoint(IP, "aa-ws", 1000.0)
    ipmap.save(journal.connection)
    ipmap.add_endpoint(IP, "zz-ws", 1000.5)  # widens zz-ws's interval: same start, later end
    ipmap.save(journal.connection)
    assert _answers(ipmap, journal, 1000.0) == ("aa-ws", "aa-ws", ["aa-ws"])


def test_an_interval_whose_start_moved_counts_as_learnt_then(journal: Journal) -> None:
    """aa-ws's interval moves back to start with zz-ws's, after zz-ws was learnt: aa-ws is the latest."""
    ipmap = IpHostMap()
    ipmap.add_endpoint(IP, "aa-ws", 1000.0)
    ipmap.save(journal.connection)
    ipmap.add_endpoint(IP, "zz-ws", 999.0)
    ipmap.save(journal.connection)
    ipmap.add_endpoint(IP, "aa-ws", 999.0)  # aa-ws's start moves to zz-ws's
    ipmap.save(journal.connection)
    assert [(i.start, i.host) for i in ipmap.intervals(IP)][:2] == [(999.0 - ENDPOINT_SLACK, "zz-ws"),
                                                                     (999.0 - ENDPOINT_SLACK, "aa-ws")]
    assert _answers(ipmap, journal, 999.0) == ("aa-ws", "aa-ws", ["aa-ws"])


SAVE, RELOAD = ("save", "", 0.0), ("reload", "", 0.0)
observations = st.one_of(
    # half-slack steps: observations of one host touch and move starts; of two hosts, share them
    st.tuples(st.just("endpoint"), st.sampled_from(("aa-ws", "mm-ws", "zz-ws")),
              st.integers(0, 8).map(lambda t: 1000.0 + t * ENDPOINT_SLACK / 2)),
    st.tuples(st.just("lease"), st.sampled_from(("dhcp-1", "dhcp-2")),
              st.integers(0, 8).map(lambda t: 1000.0 - ENDPOINT_SLACK + t * ENDPOINT_SLACK / 2)),
    st.just(SAVE), st.just(RELOAD),
)


@pytest.fixture(scope="module")
def shared_journal(tmp_path_factory: pytest.TempPathFactory):
    with Journal(tmp_path_factory.mktemp("ties") / "journal.sqlite") as journal:
        yield journal


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(observations, max_size=40))
def test_live_reloaded_and_evidence_answers_agree(shared_journal: Journal, sequence: list[tuple]) -> None:
    db = shared_journal.connection
    db.execute("DELETE FROM ip_hosts")
    live, journaled = IpHostMap(), IpHostMap().load(db)
    for kind, host, ts in sequence:
        for ipmap in (live, journaled):
            if kind == "endpoint":
                ipmap.add_endpoint(IP, host, ts)
            elif kind == "lease":
                ipmap.add_lease(IP, host, ts, ENDPOINT_SLACK)
        if kind == "save":
            journaled.save(db)
        elif kind == "reload":
            journaled.save(db)
            journaled = IpHostMap().load(db)  # a restart
    journaled.save(db)
    reloaded = IpHostMap().load(db)
    times = sorted({p + d for i in live.intervals(IP) for p in (i.start, i.end) for d in (-1.0, 0.0, 1.0)})
    found = holders(db, [(IP, ts) for ts in times])
    for ts in times:
        expected = live.lookup(IP, ts)
        assert (journaled.lookup(IP, ts), reloaded.lookup(IP, ts)) == (expected, expected), ts
        assert (found[(IP, ts)][0] if (IP, ts) in found else None) == expected, ts
