"""Upsert rules shared by the stores."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsiem.evidence_keep import EVIDENCE_HEAD
from graphsiem.model import EVIDENCE_CAP, Entity, Relation, Sighting
from graphsiem.store.merge import (
    bfs_nodes,
    clean_props,
    coalesce_entities,
    coalesce_relations,
    coalesce_sightings,
    merge_evidence,
)


def test_merge_evidence_subtracts_known_ids_and_caps():
    kept = [f"e{i}" for i in range(EVIDENCE_CAP - 1)]

    added = merge_evidence(kept, ["e0", "new1", "new2"], 3)

    assert added == 2
    # full: the first half stays, the oldest of the recent half made room for the newest
    assert kept[-1] == "new2" and len(kept) == EVIDENCE_CAP
    assert kept[:EVIDENCE_HEAD] == [f"e{i}" for i in range(EVIDENCE_HEAD)] and f"e{EVIDENCE_HEAD}" not in kept


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 150), max_size=EVIDENCE_CAP, unique=True),
    st.lists(st.integers(0, 150), max_size=80),
    st.integers(0, 200),
)
def test_merge_evidence_follows_the_rule_at_every_size(stored, incoming, count):
    """One id, a full list, long lists (a set lookup): each path keeps the ids and count of the rule.

    The reference is the rule written out: each incoming id already kept (or
    already given earlier in the batch) is one observation counted before; the
    unknown ones are appended, and past the cap the first half-cap ids and the
    most recent ones are kept.
    """
    stored_ids, incoming_ids = [f"e{i}" for i in stored], [f"e{i}" for i in incoming]
    expected = list(stored_ids)
    duplicates = 0
    for event_id in incoming_ids:
        if event_id in expected:
            duplicates += 1
        else:
            expected.append(event_id)
    if len(expected) > EVIDENCE_CAP:
        expected = expected[:EVIDENCE_HEAD] + expected[len(expected) - (EVIDENCE_CAP - EVIDENCE_HEAD):]

    added = merge_evidence(stored_ids, incoming_ids, count)

    assert added == max(count - duplicates, 0)
    assert stored_ids == expected


@pytest.mark.parametrize(("props", "reason"), [
    ({"key": "x"}, "reserved"),
    ({"_search_value": "x"}, "reserved"),  # the Neo4j store's search copies are its own
    ({"_search_text_long": "x"}, "reserved"),
    ({"nested": {"a": 1}}, "unsupported value type dict"),
    ({"mixed": [1, "a"]}, "one type"),
])
def test_bad_props_name_the_entity_and_property(props, reason):
    with pytest.raises(ValueError, match=reason) as info:
        clean_props(Entity("host", "ws-1", "ws-1", props))
    assert "host:'ws-1'" in str(info.value)


def test_none_props_are_dropped():
    assert clean_props(Entity("host", "ws-1", "ws-1", {"a": None, "b": 1})) == {"b": 1}


@pytest.mark.parametrize("props", [{"a": "x", "n": 1, "f": 1.5, "b": True}, {"a": ("x", "y")}, {"a": None}])
def test_cleaned_props_are_a_new_dict(props):
    entity = Entity("host", "ws-1", "ws-1", dict(props))

    cleaned = clean_props(entity)
    cleaned["added"] = 1

    assert entity.props == props


def test_coalescing_entities_never_modifies_the_callers_props():
    first = Entity("process", "p", "", {"image": "a.exe"})
    again = Entity("process", "p", "a.exe -x", {"name": "a.exe"})

    (merged,) = coalesce_entities([first, again])

    assert first.props == {"image": "a.exe"} and again.props == {"name": "a.exe"}
    assert (merged.value, merged.props) == ("a.exe -x", {"image": "a.exe", "name": "a.exe"})


def test_coalescing_never_modifies_the_callers_sightings():
    first = Sighting("ws-1", ("process", "p"), 5.0, 6.0, 1)
    again = Sighting("ws-1", ("process", "p"), 1.0, 9.0, 2)
    other = Sighting("ws-2", ("process", "p"), 3.0, 3.0, 1)

    merged = coalesce_sightings([first, again, other])

    assert (first.first_seen, first.last_seen, first.count) == (5.0, 6.0, 1)
    assert [(s.host, s.first_seen, s.last_seen, s.count) for s in merged] == [
        ("ws-1", 1.0, 9.0, 3), ("ws-2", 3.0, 3.0, 1)]


ids = st.lists(st.sampled_from([f"e{i}" for i in range(8)]), min_size=1, max_size=4, unique=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(ids, min_size=1, max_size=6))
def test_coalescing_counts_each_evidence_id_once(batches):
    relations = [Relation(("host", "h"), "RAN", ("process", "p"), 1.0, 1.0, len(b), b)
                 for b in batches]

    (merged,) = coalesce_relations(relations)

    distinct = list(dict.fromkeys(e for b in batches for e in b))
    assert merged.count == len(distinct)
    assert merged.evidence == distinct


def test_bfs_cuts_layers_in_sorted_order():
    graph = {"a": ["c", "b"], "b": ["d"], "c": ["e"]}

    def expand(frontier):
        return [n for f in frontier for n in graph.get(f, [])]

    assert bfs_nodes(["a"], radius=2, limit=10, expand=expand) == ["a", "b", "c", "d", "e"]
    assert bfs_nodes(["a"], radius=2, limit=2, expand=expand) == ["a", "b"]

def test_coalescing_never_modifies_the_callers_relations():
    first = Relation(("host", "h"), "RAN", ("process", "p"), 5.0, 6.0, 1, ["e1"])
    again = Relation(("host", "h"), "RAN", ("process", "p"), 1.0, 9.0, 2, ["e1", "e2"])
    irregular = Relation(("host", "h"), "RAN", ("process", "q"), 1.0, 1.0, 3, ["e1", "e1", "e3"])

    merged = coalesce_relations([first, again, irregular])

    assert (first.first_seen, first.last_seen, first.count, first.evidence) == (5.0, 6.0, 1, ["e1"])
    assert again.evidence == ["e1", "e2"] and irregular.evidence == ["e1", "e1", "e3"]
    assert [(r.first_seen, r.last_seen, r.count, r.evidence) for r in merged] == [
        (1.0, 9.0, 2, ["e1", "e2"]), (1.0, 1.0, 2, ["e1", "e3"])]


@pytest.mark.parametrize("incoming", [["e1"], ["x"], ["x", "e1", "e1", "y"], ["x", "y"]])
def test_merge_evidence_into_a_full_list_counts_only_unknown_ids_and_keeps_the_newest(incoming):
    kept = [f"e{i}" for i in range(EVIDENCE_CAP)]

    before = list(kept)
    added = 10 - sum(event_id in before for event_id in incoming)
    assert merge_evidence(kept, incoming, 10) == added
    fresh = list(dict.fromkeys(event_id for event_id in incoming if event_id not in before))
    # the first half never moves; the new ids are the most recent ones kept
    assert kept == before[:EVIDENCE_HEAD] + (before + fresh)[EVIDENCE_HEAD + len(fresh):]
