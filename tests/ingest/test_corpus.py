"""The whole sample corpus through the real pipeline into the embedded store.

Every file of ``$GRAPHSIEM_SAMPLES`` (default ``../shared/datasets``) is read in
place: the counts add up per file, rejections stay under 1% per telemetry
file, only non-telemetry files are skipped, and the attack stories of the
datasets are visible in the graph.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from graphsiem.store import open_store
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.projection import Projector


def documented_records(corpus: Path) -> dict[str, int]:
    """The corpus README's "records" column: file (relative to the corpus) -> record count.

    Read from the README's file table rather than copied here, so that every
    telemetry file the corpus documents is checked, and a file added to the
    corpus with its count is checked too.
    """
    counts = {}
    for line in (corpus / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].startswith("`") and cells[3].isdigit():
            counts[cells[0].strip("`")] = int(cells[3])
    return counts


NOT_TELEMETRY = {"README.md", "SHA256SUMS", "LICENSE", "info.yml"}


@pytest.fixture(scope="module")
def ingested(corpus: Path, tmp_path_factory):
    data = tmp_path_factory.mktemp("corpus")
    store = open_store("embedded", data_dir=data)
    journal = Journal(data / "journal.sqlite")
    report = ingest_paths([corpus], store=store, journal=journal, progress=False)
    yield report, store, journal, corpus
    journal.close()
    store.close()


def relative(report_path: str, corpus: Path) -> str:
    return Path(report_path).relative_to(corpus).as_posix()


def test_every_file_is_read_or_skipped_as_non_telemetry(ingested):
    report, _, _, corpus = ingested
    every_file = {p.relative_to(corpus).as_posix() for p in corpus.rglob("*") if p.is_file()}
    assert {relative(p, corpus) for p in report.files} == every_file
    assert {Path(f.path).name for f in report.skipped} == NOT_TELEMETRY


def test_counts_add_up_per_file_per_format_and_in_total(ingested):
    report, _, journal, _ = ingested
    for item in [*(f.counts for f in report.files.values()), *report.formats.values(), report.total]:
        assert item.received == item.accepted + item.rejected
    assert sum(f.counts.received for f in report.files.values()) == report.total.received
    assert sum(c.received for c in report.formats.values()) == report.total.received
    assert journal.counts()["events"] == report.total.events
    assert journal.counts()["rejected"] == report.total.rejected


def test_rejections_stay_under_one_percent_per_telemetry_file(ingested):
    report, _, _, corpus = ingested
    for f in report.files.values():
        if not f.skipped:
            assert f.counts.received > 0, f.path
            assert f.counts.rejected < 0.01 * f.counts.received, (relative(f.path, corpus), f.counts)


def test_received_matches_the_documented_record_count_for_every_file(ingested):
    report, _, _, corpus = ingested
    documented = documented_records(corpus)
    telemetry = {relative(p, corpus) for p, f in report.files.items() if not f.skipped}
    assert set(documented) == telemetry  # every file read is documented, and the other way round
    received = {name: report.files[str(corpus / name)].counts.received for name in documented}
    assert received == documented


def test_every_format_of_the_corpus_is_detected(ingested):
    report, _, _, _ = ingested
    detected = {name for name, counts in report.formats.items() if counts.accepted}
    assert {"winlogbeat", "nxlog", "sentinel", "evtx_json", "zeek", "suricata", "syslog"} <= detected


def test_herpaderping_yields_the_chain_that_launches_mimikatz(ingested):
    _, store, _, _ = ingested
    (herpaderping,) = [
        e for e in store.iter_entities("process")
        if e.props.get("name") == "processherpaderping.exe" and "mimikatz.exe" in e.value
    ]
    around = store.neighbors("process", herpaderping.key, relation_types=["SPAWNED", "RAN"], limit=50)
    parents = {n.entity.props.get("name") for n in around if n.relation.dst == herpaderping.ref
               and n.relation.type == "SPAWNED"}
    children = {n.entity.value for n in around if n.relation.src == herpaderping.ref}
    ran_on = {n.entity.key for n in around if n.relation.type == "RAN"}
    assert "cmd.exe" in parents
    assert any("wardog.exe" in child for child in children)
    assert ran_on == {"workstation5"}


def test_empire_vbs_yields_wscript_spawning_powershell_with_a_searchable_stager(ingested):
    _, store, _, _ = ingested
    hits = []
    for wscript in store.iter_entities("process"):
        if wscript.props.get("name") != "wscript.exe":
            continue
        for n in store.neighbors("process", wscript.key, direction="out", relation_types=["SPAWNED"]):
            if n.entity.props.get("name") == "powershell.exe":
                hits.append(n.entity)
    decoded = [p.props.get("decoded_command", "") for p in hits]
    assert any("downloaddata" in d.lower() and "$t='/" in d for d in decoded)
    searchable = [e for e in store.iter_entities("process")
                  if "frombase64string" in e.props.get("decoded_command", "").lower()]
    assert {e.key for e in hits} & {e.key for e in searchable}


def test_lsass_zeek_links_the_victim_host_to_the_attacker_ip_and_its_downloads(corpus, tmp_path, fixtures):
    store = open_store("embedded", data_dir=tmp_path)
    with Journal(tmp_path / "journal.sqlite") as journal:
        # the victim's address comes from a DHCP lease (this project's own fixture):
        # the corpus has no dhcp.log; MKT01 is 192.168.1.41 per the dataset description
        ingest_paths([corpus / "otrf-security-datasets" / "LSASS_campaign_01_zeek",
                      fixtures / "corpus" / "mkt01_dhcp.json"], store=store, journal=journal,
                     progress=False)
    out = store.neighbors("host", "mkt01", direction="out", limit=500)
    targets = {(n.relation.type, n.entity.type, n.entity.key) for n in out}
    assert ("CONNECTED", "ip", "10.0.5.13") in targets
    # http.log has no request line: no URL is made up; the stager is a download from the address
    assert not {key for rel, kind, key in targets if rel == "REQUESTED" and kind == "url"}
    downloads = {key for rel, kind, key in targets if rel == "DOWNLOADED" and kind == "file"}
    assert any(store.get_entity("file", key).props.get("sender") == "10.0.5.13" for key in downloads)
    assert "mkt01" in {h.host for h in store.hosts_of("ip", "10.0.5.13")}
    store.close()


def test_brim_tsv_and_json_copies_journal_each_event_once(ingested):
    """The JSON copy of a Zeek log read after its TSV copy gives the same events, with the same
    ids (tests/ingest/test_zeek_content_ids.py): every one of its records is a duplicate."""
    report, _, journal, corpus = ingested
    sides: dict[str, Counter] = {"zeek-default": Counter(), "zeek-json": Counter()}
    for item in journal.iter_events():
        event = item.event
        for side, counter in sides.items():
            if f"/brimdata-zed-sample-data/{side}/" in event.origin:
                counter[event.kind] += 1
    assert sum(sides["zeek-default"].values()) > 3000  # 4,362 records, 1,784 of them syslog capture copies
    assert sides["zeek-json"] == Counter()
    json_files = [f.counts for path, f in report.files.items() if "/brimdata-zed-sample-data/zeek-json/" in path]
    assert len(json_files) == 12
    assert sum(c.duplicates for c in json_files) == sum(c.received for c in json_files) > 4000
    assert sum(c.events for c in json_files) == 0


def test_slips_eve_gives_five_thousand_received(ingested):
    report, _, _, corpus = ingested
    counts = report.files[str(corpus / "stratosphere-slips" / "test6-malicious.suricata.json")].counts
    assert counts.received == 5000 and counts.accepted + counts.rejected == 5000


def test_sensor_urls_use_the_server_port_and_sensor_entities_are_related(ingested):
    """EVE records sent server -> client build URLs with the server's port, not the
    client's ephemeral one, and every URL, domain and IP the sensor rule makes is in a
    relation (SNI, certificate names, unmapped clients' DNS and URLs used to be orphans)."""
    _, store, journal, _ = ingested
    urls = {e.key for e in store.iter_entities("url")}
    assert {"http://hax.lol/lol.js", "http://www.microsoft.com/"} <= urls
    assert not [u for u in urls if u.startswith(("http://hax.lol:", "http://www.microsoft.com:",
                                                 "http://download.cdn.mozilla.net:"))]
    related = {end for r in store.iter_relations() for end in (tuple(r.src), tuple(r.dst))}
    stored = {(e.type, e.key) for kind in ("url", "domain", "ip") for e in store.iter_entities(kind)}
    # what the sensor rule alone makes of the host-less events (no IP map: the store may
    # have mapped some addresses to hosts, hence the intersection with what it holds)
    sensor = Projector().project(item.event for item in journal.iter_events() if item.event.host is None)
    made = {(e.type, e.key) for e in sensor.entities if e.type in ("url", "domain", "ip")} & stored
    assert len(made) > 1000
    assert sorted(made - related) == []
    # the LSASS campaign's meterpreter certificate names its server
    assert any(r.src == ("domain", "prosacco.sons.com") and r.dst == ("ip", "10.0.5.13")
               for r in store.iter_relations("RESOLVES_TO"))
