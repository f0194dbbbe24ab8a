"""A busy relation keeps the first half-cap evidence ids and the most recent ones (task UWEB, review U1 #1).

``jerry\\guest VALIDATED_AT kramer`` counted 192 validations but kept the first 64 ids, so the spray's
last six minutes could not be opened.  Each path that appends evidence in the projection keeps both ends.
"""

from __future__ import annotations

from graphsiem.evidence_keep import EVIDENCE_HEAD, EVIDENCE_TAIL
from graphsiem.model import EVIDENCE_CAP, Event
from ingest.projection_accumulator import Accumulator, EventContext

USER, HOST = ("user", "jerry\\guest"), ("host", "kramer")
SPRAY = [f"e{i:03d}" for i in range(192)]


def test_relate_keeps_the_first_and_the_last_ids_of_a_long_run():
    acc = Accumulator()
    for ts, event_id in enumerate(SPRAY):
        acc.relate(USER, "VALIDATED_AT", HOST, float(ts), event_id)

    first, last, count, kept, _ = acc.relations[(USER, "VALIDATED_AT", HOST)]
    assert (first, last, count) == (0.0, 191.0, 192)
    assert kept == SPRAY[:EVIDENCE_HEAD] + SPRAY[-EVIDENCE_TAIL:]


def test_an_events_relation_keeps_the_last_ids_as_relate_does():
    acc = Accumulator()
    for ts, event_id in enumerate(SPRAY):
        event = Event(id=event_id, kind="winsec:credential_validation", ts=float(ts), host="kramer",
                      source="windows", fields={}, origin=f"test:{ts}", raw=None)
        EventContext(acc, event, "kramer", ("kramer",)).rel(USER, "VALIDATED_AT", HOST)

    kept = acc.relations[(USER, "VALIDATED_AT", HOST)][3]
    assert kept == SPRAY[:EVIDENCE_HEAD] + SPRAY[-EVIDENCE_TAIL:]


def test_two_names_joined_by_remap_keep_both_ends_within_the_cap():
    acc = Accumulator()
    placeholder = ("user", "guest")
    for ts, event_id in enumerate(SPRAY[:100]):
        acc.relate(USER, "VALIDATED_AT", HOST, float(ts), event_id)
    for ts, event_id in enumerate(SPRAY[100:], start=100):
        acc.relate(placeholder, "VALIDATED_AT", HOST, float(ts), event_id)

    acc.remap({placeholder: USER})

    kept = acc.relations[(USER, "VALIDATED_AT", HOST)][3]
    assert len(kept) == EVIDENCE_CAP
    assert kept[:EVIDENCE_HEAD] == SPRAY[:EVIDENCE_HEAD]
    assert kept[-1] == SPRAY[-1]  # the run's last event can still be opened
