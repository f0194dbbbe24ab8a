"""The same ingest projects the same graph into each store (embedded and real Neo4j)."""

from __future__ import annotations

from graphsiem.store import open_store
from ingest.journal import Journal
from ingest.pipeline import ingest_paths


def graph_facts(store) -> tuple:
    relations = sorted((r.src, r.type, r.dst, r.count, sorted(r.evidence)) for r in store.iter_relations())
    sightings = sorted((s.host, s.entity, s.count) for s in store.iter_sightings())
    return relations, sightings


def test_both_stores_receive_the_same_projection(store, fixtures, tmp_path):
    inputs = [fixtures / "ecs_events.ndjson", fixtures / "sensor", fixtures / "concatenated_pretty.json"]
    reference = open_store("embedded", data_dir=tmp_path / "reference")
    results = []
    for index, target in enumerate((reference, store)):
        with Journal(tmp_path / f"journal-{index}.sqlite") as journal:
            report = ingest_paths(inputs, store=target, journal=journal, progress=False)
        assert report.projected["errors"] == 0
        results.append(graph_facts(target))
    reference.close()
    assert results[0] == results[1]
    linked = {n.entity.key for n in store.neighbors("host", "ws-0042", direction="out")}
    assert "198.51.100.77" in linked
    process = next(e for e in store.iter_entities("process") if "decoded_command" in e.props)
    assert process.props["decoded_command"] == "IEX (New-Object)"


def test_the_empire_vbs_stager_is_found_by_its_decoded_text_in_each_store(store, samples_dir, tmp_path):
    """The issue's Empire VBS case end to end: wscript.exe -> powershell.exe, and the stager's decoded
    text (only base64 in its command line) found by the stores' entity search."""
    path = samples_dir / "otrf-security-datasets" / "empire_launcher_vbs_2020-09-04160940.json"
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
    assert report.total.rejected == 0
    hits = store.search_entities("/news.php", entity_type="process")
    stagers = [hit for hit in hits if hit.matched == "decoded_command"]
    assert len(stagers) == 1
    stager = stagers[0].entity
    assert "/news.php" not in stager.value and "-enc" in stager.value.lower()  # the command line hides it
    parents = {n.entity.props.get("name") for n in store.neighbors("process", stager.key, direction="in")
               if n.relation.type == "SPAWNED"}
    assert parents == {"wscript.exe"}
