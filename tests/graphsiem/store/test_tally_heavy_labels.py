"""An edge's tallies and signatures keep many candidates, the most counted, and the API shows the top 20.

An account validated from 20 one-off workstations, then a spray claimed ``kali`` 5,000 times: the
``VALIDATED_AT`` edge kept the first 20 names for good (review R19 F1).  S1 made both tallies and an
``ALERTED`` edge's signatures a Misra-Gries counter (:func:`graphsiem.model.add_counts`) capped at 20,
which cost the list on a noisy edge: a scanner firing 25 rules once each listed 1 rule.  Now the store
keeps :data:`~graphsiem.model.TALLY_CAPACITY` (200) labels, exact while no more were seen, any label with
more than 1 in 201 of the observations kept whatever came first; the API shows the
:data:`~graphsiem.model.TALLY_SHOWN` (20) most counted and adds the rest to ``*_dropped``, so shown +
dropped = total (task S3).  Both stores, through their real write paths (Neo4j: the server the fixtures
start), the API's edge JSON and the projection's per-event tally.
"""

from __future__ import annotations

import pytest

from graphsiem.api.services.graph_json import graph_to_json
from graphsiem.model import TALLY_CAPACITY, TALLY_SHOWN, Entity, Relation, add_tally
from graphsiem.store.base import GraphStore
from ingest.projection_accumulator import Accumulator

USER, DC = ("user", "jerry\\alice"), ("host", "dc-1")
ATTACKER, VICTIM = ("ip", "203.0.113.9"), ("ip", "10.0.0.5")
HOSTILE = 'kali"}) MATCH (n) DETACH DELETE n // $cap'
"""A claimed name that would break Cypher built by concatenation: data."""


def _write(store: GraphStore, relations: list[Relation]) -> None:
    store.upsert_entities([Entity(t, k, k) for t, k in {r.src for r in relations} | {r.dst for r in relations}])
    for relation in relations:  # one write each: the store merges the edge across them
        store.upsert_relations([relation])
        store.flush()


def _validations(first: int, counts: dict[str, int]) -> Relation:
    total = sum(counts.values())
    return Relation(USER, "VALIDATED_AT", DC, float(first), float(first), count=total,
                    evidence=[f"e{first}-{n}" for n in range(min(total, 64))],
                    tallies={"workstations": counts, "outcomes": {"failure 0xc000006a": total}})


def _alerts(first: int, counts: dict[str, int]) -> Relation:
    total = sum(counts.values())
    return Relation(ATTACKER, "ALERTED", VICTIM, float(first), float(first), count=total,
                    evidence=[f"a{first}-{n}" for n in range(min(total, 64))], signatures=counts)


def _api_edge(store: GraphStore, center: tuple[str, str], relation_type: str):
    """The edge as the API serves it (the neighbours and subgraph endpoints' JSON)."""
    [edge] = [e for e in graph_to_json(store.subgraph([center], radius=1)).edges if e.type == relation_type]
    return edge


def test_a_scanner_firing_25_rules_once_each_lists_20_and_counts_5(store: GraphStore) -> None:
    rules = [f"ET SCAN rule {n:02d} (sid {2000000 + n}, severity 2)" for n in range(25)]
    _write(store, [_alerts(1, {rule: 1 for rule in rules[:13]}), _alerts(2, {rule: 1 for rule in rules[13:]})])
    [stored] = list(store.iter_relations("ALERTED"))
    assert stored.signatures == {rule: 1 for rule in rules} and stored.signatures_dropped == 0  # exact
    edge = _api_edge(store, ATTACKER, "ALERTED")
    assert [(s.signature, s.alerts) for s in edge.signatures or []] == [(rule, 1) for rule in rules[:TALLY_SHOWN]]
    assert edge.signatures_dropped == 5


def test_the_api_shows_the_most_counted_and_shown_plus_dropped_is_the_total(store: GraphStore) -> None:
    counts = {f"ws-{n:03d}": 1 + n % 7 for n in range(TALLY_CAPACITY - 1)}  # under the capacity: exact
    _write(store, [_validations(1, counts), _validations(2, {"kali": 3, "ws-000": 1})])
    counts = {**counts, "kali": 3, "ws-000": 2}
    [stored] = list(store.iter_relations("VALIDATED_AT"))
    assert (stored.tallies or {})["workstations"] == counts and not (stored.tallies_dropped or {}).get("workstations")
    edge = _api_edge(store, USER, "VALIDATED_AT")
    shown = [(t.label, t.count) for t in (edge.tallies or {})["workstations"]]
    assert shown == sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TALLY_SHOWN]
    assert shown[0][1] == 7 and len(shown) == TALLY_SHOWN
    assert sum(count for _, count in shown) + (edge.tallies_dropped or {})["workstations"] == sum(counts.values())
    assert (edge.tallies or {})["outcomes"][0].count == sum(counts.values())
    assert "outcomes" not in (edge.tallies_dropped or {})  # one label: nothing left out


@pytest.mark.parametrize("claimed", ["kali", HOSTILE])
def test_a_spray_after_a_full_record_of_one_off_workstations_is_kept_and_shown_first(store: GraphStore,
                                                                                    claimed: str) -> None:
    one_offs = {f"ws-{n:03d}": 1 for n in range(TALLY_CAPACITY)}
    _write(store, [_validations(1, one_offs), _validations(2, {claimed: 5000})])
    [edge] = list(store.iter_relations("VALIDATED_AT"))
    workstations = (edge.tallies or {})["workstations"]
    assert claimed in workstations
    # A lower bound, short by at most dropped / 201; kept and dropped add up to every validation.
    dropped = (edge.tallies_dropped or {})["workstations"]
    assert 5000 - dropped / (TALLY_CAPACITY + 1) <= workstations[claimed] <= 5000
    assert sum(workstations.values()) + dropped == 5000 + TALLY_CAPACITY
    assert edge.tallies["outcomes"] == {"failure 0xc000006a": 5000 + TALLY_CAPACITY}  # one label: exact
    served = _api_edge(store, USER, "VALIDATED_AT")
    shown = (served.tallies or {})["workstations"]
    assert shown[0].label == claimed and shown[0].count == workstations[claimed]
    assert sum(t.count for t in shown) + (served.tallies_dropped or {})["workstations"] == 5000 + TALLY_CAPACITY


def test_a_spray_interleaved_with_new_names_is_kept(store: GraphStore) -> None:
    """The guarantee does not depend on order: each batch brings the spray and 200 names never seen."""
    batches = [{**{f"ws-{b}-{n:03d}": 1 for n in range(TALLY_CAPACITY)}, "kali": 30} for b in range(5)]
    _write(store, [_validations(b, counts) for b, counts in enumerate(batches)])
    [edge] = list(store.iter_relations("VALIDATED_AT"))
    workstations, dropped = (edge.tallies or {})["workstations"], (edge.tallies_dropped or {})["workstations"]
    assert "kali" in workstations and workstations["kali"] >= 150 - dropped / (TALLY_CAPACITY + 1)
    assert sum(workstations.values()) + dropped == 5 * (TALLY_CAPACITY + 30)


def test_a_rule_firing_after_a_full_record_keeps_its_signature(store: GraphStore) -> None:
    one_offs = {f"ET SCAN rule {n:03d} (sid {n}, severity 2)": 1 for n in range(TALLY_CAPACITY)}
    heavy = "ET EXPLOIT EternalBlue (sid 2024218, severity 1)"
    _write(store, [_alerts(1, one_offs), _alerts(2, {heavy: 5000})])
    [edge] = list(store.iter_relations("ALERTED"))
    assert heavy in (edge.signatures or {})
    assert 5000 - edge.signatures_dropped / (TALLY_CAPACITY + 1) <= edge.signatures[heavy] <= 5000
    assert sum(edge.signatures.values()) + edge.signatures_dropped == 5000 + TALLY_CAPACITY
    served = _api_edge(store, ATTACKER, "ALERTED")
    assert (served.signatures or [])[0].signature == heavy


@pytest.mark.neo4j
def test_both_stores_keep_and_show_the_same_labels_and_counts(embedded_store: GraphStore,
                                                              neo4j_store: GraphStore) -> None:
    """The Cypher reduce takes the steps of add_counts: same names, same order, same counts, same page."""
    batches = [{f"ws-{n:03d}": 1 + n % 3 for n in range(150)}, {f"ws-{n:03d}": 2 for n in range(100, 260)},
               {"kali": 70, "ws-259": 1, "new": 3}, {f"x-{n}": n % 9 + 1 for n in range(1, 240)}, {"kali": 600}]
    kept, shown = [], []
    for store in (embedded_store, neo4j_store):
        _write(store, [_validations(b, counts) for b, counts in enumerate(batches)])
        [edge] = list(store.iter_relations("VALIDATED_AT"))
        kept.append(((edge.tallies or {}).get("workstations"), (edge.tallies_dropped or {}).get("workstations")))
        served = _api_edge(store, USER, "VALIDATED_AT")
        shown.append(([(t.label, t.count) for t in (served.tallies or {})["workstations"]], served.tallies_dropped))
    assert kept[0] == kept[1] and shown[0] == shown[1]
    assert kept[0][1] and len(kept[0][0]) <= TALLY_CAPACITY  # the record was full: some were taken off
    assert shown[0][0][0][0] == "kali"  # 670 of them: the first names seen do not hold the record


def test_the_projection_tally_keeps_a_spray_seen_one_event_at_a_time() -> None:
    accumulator = Accumulator()
    for n in range(TALLY_CAPACITY):
        accumulator.tally(USER, "VALIDATED_AT", DC, "workstations", f"ws-{n:03d}")
    for _ in range(5000):
        accumulator.tally(USER, "VALIDATED_AT", DC, "workstations", "kali")
    counts, dropped = accumulator.tallies[(USER, "VALIDATED_AT", DC)]
    assert "kali" in counts["workstations"]
    assert sum(counts["workstations"].values()) + dropped["workstations"] == 5000 + TALLY_CAPACITY


def test_add_tally_keeps_any_label_over_one_in_capacity_plus_one() -> None:
    stored = {f"first-{n:03d}": 1 for n in range(TALLY_CAPACITY)}  # the record is full before it starts
    dropped = 0
    for n in range(3000):  # every 100th observation is the heavy one: 30 of 3,200, over 1 in 201
        dropped += add_tally(stored, {"heavy" if n % 100 == 0 else f"one-off-{n}": 1})
    assert "heavy" in stored
    assert 30 - dropped / (TALLY_CAPACITY + 1) <= stored["heavy"] <= 30
    assert sum(stored.values()) + dropped == 3000 + TALLY_CAPACITY


def test_add_tally_is_exact_under_the_capacity() -> None:
    stored: dict[str, int] = {}
    dropped = sum(add_tally(stored, {f"name-{n % TALLY_CAPACITY:03d}": 1 + n % 5}) for n in range(3 * TALLY_CAPACITY))
    assert dropped == 0 and len(stored) == TALLY_CAPACITY
    assert stored == {f"name-{i:03d}": 3 * (1 + i % 5) for i in range(TALLY_CAPACITY)}  # 200 % 5 == 0


def test_the_api_marks_counts_as_lower_bounds_once_the_record_dropped_labels(store: GraphStore) -> None:
    """Past 200 labels a kept count may fall short (task OLD2 #4): each shown entry says "at least"."""
    under = {f"ws-{n:03d}": 2 for n in range(TALLY_CAPACITY)}
    _write(store, [_validations(1, under)])
    exact = _api_edge(store, USER, "VALIDATED_AT")
    assert all(entry.at_least is None for entries in (exact.tallies or {}).values() for entry in entries)
    assert "at_least" not in exact.model_dump(mode="json")["tallies"]["workstations"][0]  # exact: left out
    _write(store, [_validations(2, {"kali": 5000})])
    served = _api_edge(store, USER, "VALIDATED_AT")
    [stored] = list(store.iter_relations("VALIDATED_AT"))
    workstations = (served.tallies or {})["workstations"]
    assert workstations[0].label == "kali" and workstations[0].count < 5000  # the count fell short...
    assert all(entry.at_least is True for entry in workstations)  # ...and the API says so
    assert (stored.tallies_dropped or {})["workstations"] > 0
    # One label only: nothing was dropped, the count is exact and not marked.
    assert [(e.count, e.at_least) for e in (served.tallies or {})["outcomes"]] == [(5000 + 2 * TALLY_CAPACITY, None)]


def test_the_api_marks_alert_counts_as_lower_bounds_once_signatures_were_dropped(store: GraphStore) -> None:
    rules = {f"ET SCAN rule {n:03d} (sid {n}, severity 2)": 3 for n in range(TALLY_CAPACITY)}
    _write(store, [_alerts(1, rules)])
    assert all(s.at_least is None for s in _api_edge(store, ATTACKER, "ALERTED").signatures or [])
    _write(store, [_alerts(2, {"ET EXPLOIT EternalBlue (sid 2024218, severity 1)": 40})])
    served = _api_edge(store, ATTACKER, "ALERTED")
    assert served.signatures and all(s.at_least is True for s in served.signatures)
    assert served.model_dump(mode="json")["signatures"][0]["at_least"] is True
