"""An edge's tallies and signatures keep the most counted labels, not the first ones seen (review R19 F1).

An account validated from 20 one-off workstations, then a spray claimed ``kali`` 5,000 times: the
``VALIDATED_AT`` edge kept the first 20 names for good, and the page said only "5,000 more validations
of other claimed workstations".  The same rule held an ``ALERTED`` edge's signatures.  Both now follow
:func:`graphsiem.model.add_counts` (Misra-Gries): a label with more than 1 in 21 of the observations is
kept whatever came first, its count at most ``dropped / 21`` short.  Both stores, through their real
write paths (Neo4j: the server the fixtures start), and the projection's per-event tally.
"""

from __future__ import annotations

import pytest

from graphsiem.model import SIGNATURE_CAP, TALLY_CAP, Entity, Relation, add_tally
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


@pytest.mark.parametrize("claimed", ["kali", HOSTILE])
def test_a_spray_after_twenty_one_off_workstations_is_kept(store: GraphStore, claimed: str) -> None:
    one_offs = {f"ws-{n:02d}": 1 for n in range(TALLY_CAP)}
    _write(store, [_validations(1, one_offs), _validations(2, {claimed: 5000})])
    [edge] = list(store.iter_relations("VALIDATED_AT"))
    workstations = (edge.tallies or {})["workstations"]
    assert claimed in workstations
    # A lower bound, short by at most dropped / 21; kept and dropped add up to every validation.
    dropped = (edge.tallies_dropped or {})["workstations"]
    assert 5000 - dropped / (TALLY_CAP + 1) <= workstations[claimed] <= 5000
    assert sum(workstations.values()) + dropped == 5000 + TALLY_CAP
    assert edge.tallies["outcomes"] == {"failure 0xc000006a": 5000 + TALLY_CAP}  # under the cap: exact


def test_a_spray_interleaved_with_new_names_is_kept(store: GraphStore) -> None:
    """The guarantee does not depend on order: each batch brings the spray and 20 names never seen."""
    batches = [{**{f"ws-{b}-{n:02d}": 1 for n in range(TALLY_CAP)}, "kali": 30} for b in range(5)]
    _write(store, [_validations(b, counts) for b, counts in enumerate(batches)])
    [edge] = list(store.iter_relations("VALIDATED_AT"))
    workstations, dropped = (edge.tallies or {})["workstations"], (edge.tallies_dropped or {})["workstations"]
    assert "kali" in workstations and workstations["kali"] >= 150 - dropped / (TALLY_CAP + 1)
    assert sum(workstations.values()) + dropped == 5 * (TALLY_CAP + 30)


def test_a_rule_firing_after_twenty_others_keeps_its_signature(store: GraphStore) -> None:
    one_offs = {f"ET SCAN rule {n:02d} (sid {n}, severity 2)": 1 for n in range(SIGNATURE_CAP)}
    heavy = "ET EXPLOIT EternalBlue (sid 2024218, severity 1)"
    _write(store, [_alerts(1, one_offs), _alerts(2, {heavy: 5000})])
    [edge] = list(store.iter_relations("ALERTED"))
    assert heavy in (edge.signatures or {})
    assert 5000 - edge.signatures_dropped / (SIGNATURE_CAP + 1) <= edge.signatures[heavy] <= 5000
    assert sum(edge.signatures.values()) + edge.signatures_dropped == 5000 + SIGNATURE_CAP


@pytest.mark.neo4j
def test_both_stores_keep_the_same_labels_and_counts(embedded_store: GraphStore, neo4j_store: GraphStore) -> None:
    """The Cypher reduce takes the steps of add_counts: same names, same order, same counts."""
    batches = [{f"ws-{n:02d}": 1 + n % 3 for n in range(15)}, {f"ws-{n:02d}": 2 for n in range(10, 30)},
               {"kali": 7, "ws-29": 1, "new": 3}, {f"x-{n}": n for n in range(1, 25)}, {"kali": 60}]
    kept = []
    for store in (embedded_store, neo4j_store):
        _write(store, [_validations(b, counts) for b, counts in enumerate(batches)])
        [edge] = list(store.iter_relations("VALIDATED_AT"))
        kept.append((edge.tallies or {}).get("workstations"))
        kept.append((edge.tallies_dropped or {}).get("workstations"))
    assert kept[0] == kept[2] and kept[1] == kept[3]
    assert "kali" in kept[0]  # 67 of 230: the first names seen do not hold the record


def test_the_projection_tally_keeps_a_spray_seen_one_event_at_a_time() -> None:
    accumulator = Accumulator()
    for n in range(TALLY_CAP):
        accumulator.tally(USER, "VALIDATED_AT", DC, "workstations", f"ws-{n:02d}")
    for _ in range(5000):
        accumulator.tally(USER, "VALIDATED_AT", DC, "workstations", "kali")
    counts, dropped = accumulator.tallies[(USER, "VALIDATED_AT", DC)]
    assert "kali" in counts["workstations"]
    assert counts["workstations"]["kali"] + dropped["workstations"] == 5000 + TALLY_CAP


def test_add_tally_keeps_any_label_over_one_in_cap_plus_one() -> None:
    stored = {f"first-{n:02d}": 1 for n in range(TALLY_CAP)}  # the record is full before it starts
    dropped = 0
    for n in range(2000):  # every 20th observation is the heavy one: 100 of 2,020, over 1 in 21
        dropped += add_tally(stored, {"heavy" if n % 20 == 0 else f"one-off-{n}": 1})
    assert "heavy" in stored
    assert 100 - dropped / (TALLY_CAP + 1) <= stored["heavy"] <= 100
