"""The TSV and JSON copies of one Zeek record are one event (review T9 F9, task K3).

Brim ships the same WRCCDC Zeek logs as TSV (``zeek-default``) and as JSON streaming
logs (``zeek-json``), which parse to identical events (``test_zeek_equivalence``).
Event ids used to come from the record's bytes, so ingesting both copies journaled
every event twice and doubled the graph's counts.  A Zeek event's id is now derived
from the record's values in normal form (:func:`ingest.event_ids.content_id`), and the
id the bytes gave becomes its alias, so a journal filled before the change adds
nothing when the same file comes again.

Journals filled before content ids are fixtures made by that release's code
(``fixtures/zeek_copies``); the two releases before it are reproduced by their
behaviour for the syslog records.  Corpus files are read in place from ``$GRAPHSIEM_SAMPLES``.
"""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import orjson
import pytest

from graphsiem.store import open_store
from ingest.event_id_aliases import CONTENT_IDS_KEY, former_ids
from ingest.journal import Journal
from ingest.parsers import zeek
from ingest.pipeline import ingest_paths
from tests.ingest.parsers.test_zeek_corpus import BRIM
from tests.ingest.parsers.test_zeek_syslog_windows_text_corpus import DATAGRAMS, SYSLOG_TSV

TSV = BRIM / "zeek-default"
JSON = BRIM / "zeek-json"
COPIES = Path(__file__).parent / "fixtures" / "zeek_copies"
"""Made-up Zeek logs (TSV) and their JSON copies, and journals the release before content ids made of them."""


def _ingest(paths: list[Path], journal: Journal, store=None):
    return ingest_paths(paths, store=store, journal=journal, progress=False)


def _journaled(journal: Journal) -> int:
    return journal.connection.execute("SELECT count(*) FROM events").fetchone()[0]


# -- the two copies of a log ---------------------------------------------------------------
@pytest.mark.parametrize("first, second", [(TSV, JSON), (JSON, TSV)], ids=["tsv-first", "json-first"])
def test_the_second_copy_of_the_brim_logs_is_all_duplicates(first: Path, second: Path, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    once = _ingest([first], journal)
    # 4,362 records, 1,784 of them syslog capture copies; each syslog datagram adds a Windows event
    assert once.total.rejected == 0 and once.total.events == 4362 - 1784 + 594

    again = _ingest([second], journal)

    assert again.total.received == again.total.accepted == once.total.received
    assert again.total.events == 0
    assert again.total.duplicates == again.total.received
    assert _journaled(journal) == once.total.events


def test_the_graph_counts_each_record_once_whichever_copies_come(tmp_path: Path) -> None:
    """Relation counts and sightings after both copies equal those after the TSV copy alone."""
    graphs = {}
    for name, paths in {"one copy": [TSV], "both copies": [TSV, JSON]}.items():
        data = tmp_path / name.replace(" ", "-")
        store = open_store("embedded", data_dir=data)
        journal = Journal(data / "journal.sqlite")
        _ingest(paths, journal, store)
        relations = Counter({relation.key: relation.count for relation in store.iter_relations()})
        graphs[name] = (relations, store.counts())
        journal.close()
        store.close()
    relations, counts = graphs["one copy"]
    assert sum(relations.values()) > 1000
    assert graphs["both copies"] == (relations, counts)


def test_records_that_differ_in_any_value_stay_distinct(tmp_path: Path) -> None:
    """Logs with and without a uid: a record whose JSON copy differs in one value is a new event."""
    header = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-"]
    dns = header + [
        "#path\tdns", "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tanswers",
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tvector[string]",
        "1521911725.396014\tCa1\t10.0.0.5\t5353\t10.0.0.1\t53\tudp\tevil.example\t1.2.3.4",
        "1521911725.396014\tCa1\t10.0.0.5\t5353\t10.0.0.1\t53\tudp\tevil.example\t1.2.3.5",
    ]
    # x509 has no uid nor connection: its certificate's fields are the record
    x509 = header + [
        "#path\tx509", "#fields\tts\tid\tcertificate.serial\tcertificate.subject",
        "#types\ttime\tstring\tstring\tstring",
        "1521911725.396014\tFa1\t01\tCN=evil.example",
        "1521911725.396014\tFa1\t02\tCN=evil.example",
        "1521911725.396015\tFa1\t02\tCN=evil.example",
    ]
    (tmp_path / "dns.log").write_text("\n".join(dns) + "\n")
    (tmp_path / "x509.log").write_text("\n".join(x509) + "\n")
    json_lines = [
        # the first dns row, as JSON (brim's shape): the same event
        {"_path": "dns", "_write_ts": "2018-03-24T17:15:25.396014Z", "ts": "2018-03-24T17:15:25.396014Z",
         "uid": "Ca1", "id.orig_h": "10.0.0.5", "id.orig_p": 5353, "id.resp_h": "10.0.0.1", "id.resp_p": 53,
         "proto": "udp", "query": "evil.example", "answers": ["1.2.3.4"]},
        # the same, but one more answer: another event
        {"_path": "dns", "ts": "2018-03-24T17:15:25.396014Z", "uid": "Ca1", "id.orig_h": "10.0.0.5",
         "id.orig_p": 5353, "id.resp_h": "10.0.0.1", "id.resp_p": 53, "proto": "udp", "query": "evil.example",
         "answers": ["1.2.3.4", "1.2.3.6"]},
        # the second x509 row with its keys in another order: the same event
        {"certificate.subject": "CN=evil.example", "certificate.serial": "02", "id": "Fa1",
         "ts": 1521911725.396014, "_path": "x509"},
    ]
    (tmp_path / "copies.json").write_bytes(b"\n".join(orjson.dumps(line) for line in json_lines) + b"\n")
    journal = Journal(tmp_path / "journal.sqlite")

    report = _ingest([tmp_path / "dns.log", tmp_path / "x509.log", tmp_path / "copies.json"], journal)

    assert report.total.rejected == 0 and report.total.received == 8
    assert report.total.events == 6 and report.total.duplicates == 2
    kinds = Counter(row[0] for row in journal.connection.execute("SELECT kind FROM events"))
    assert kinds == {"zeek:dns": 3, "zeek:x509": 3}


def test_a_line_repeated_in_a_file_is_one_event_as_before(tmp_path: Path) -> None:
    """Two identical lines are one record written twice (a rotation's overlap): one event, as the bytes gave."""
    lines = [line for line in (TSV / "ssh.log").read_text().splitlines() if not line.startswith("#close")]
    (tmp_path / "ssh.log").write_text("\n".join([*lines, lines[-1]]) + "\n")
    report = _ingest([tmp_path / "ssh.log"], Journal(tmp_path / "journal.sqlite"))
    assert (report.total.received, report.total.events, report.total.duplicates) == (23, 22, 1)


# -- journals filled before content ids ------------------------------------------------------
@pytest.mark.parametrize("scheme", [2, 1])
def test_files_journaled_before_content_ids_add_nothing_again(scheme: int, tmp_path: Path) -> None:
    """Journals made by the release before content ids (HEAD 1082c91, fixtures/zeek_copies/README.md).

    That release journaled the TSV and the JSON copy of each record: 7 records and the Windows
    event of a syslog record, twice.  Ingested again, neither copy adds anything.
    """
    journal = _old_journal(scheme, tmp_path)
    assert _journaled(journal) == 16
    assert former_ids(journal.connection).read

    again = _ingest([COPIES / name for name in ("dns.log", "x509.log", "syslog.log", "copies.json")], journal)

    assert again.total.rejected == 0 and again.total.received == 14
    assert again.total.events == 0 and again.total.duplicates == 14
    assert _journaled(journal) == 16


def test_the_fixture_copies_are_one_event_each_on_a_new_journal(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    tsv = _ingest([COPIES / name for name in ("dns.log", "x509.log", "syslog.log")], journal)
    json = _ingest([COPIES / "copies.json"], journal)
    assert (tsv.total.received, tsv.total.events) == (7, 8)  # a syslog record carries a Windows event
    assert (json.total.received, json.total.events, json.total.duplicates) == (7, 0, 7)


def test_only_a_journal_that_held_events_before_content_ids_looks_up_aliases(tmp_path: Path) -> None:
    """Decided once per journal, when a release with content ids first ingests into it."""
    journal = Journal(tmp_path / "journal.sqlite")
    assert not former_ids(journal.connection).read
    _ingest([COPIES / "dns.log"], journal)
    assert not former_ids(journal.connection).read  # its events all have content ids
    old = _old_journal(2, tmp_path)
    assert former_ids(old.connection).read
    assert old.connection.execute("SELECT value FROM meta WHERE key = ?", (CONTENT_IDS_KEY,)).fetchone() == ("16",)


def test_syslog_records_journaled_by_earlier_releases_add_only_what_they_lacked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A syslog record gives its zeek:syslog event and the Windows event its text carries.

    The release before this session's EvntSLog reading journaled the syslog event under the
    one-event id, the one after it under ``(record, 0)`` and the Windows event under
    ``(record, 1)``: re-ingesting adds nothing the journal holds under any of them.  Both
    releases are reproduced by the parser setting no id (and, for the first, reading no
    Windows event), and by the journal keeping no word of content ids.
    """
    def earlier_release(path: Path) -> Journal:
        journal = Journal(path)
        _ingest([SYSLOG_TSV], journal)
        with journal.connection:
            journal.connection.execute("DELETE FROM meta WHERE key = ?", (CONTENT_IDS_KEY,))
        return journal

    monkeypatch.setattr(zeek, "content_id", lambda *_: "")
    with monkeypatch.context() as one_event_release:
        one_event_release.setattr(zeek, "windows_events_in_zeek_syslog", lambda record, context: [])
        old = earlier_release(tmp_path / "one-event.sqlite")
    several = earlier_release(tmp_path / "several.sqlite")
    assert _journaled(old) == 2378
    everything = _journaled(several)
    monkeypatch.undo()

    assert _ingest([SYSLOG_TSV], several).total.events == 0
    after = _ingest([SYSLOG_TSV], old)
    assert everything == 2 * 2378  # those releases journaled each capture copy's events
    assert after.total.events == DATAGRAMS  # the Windows events only, once per datagram
    assert _ingest([SYSLOG_TSV], old).total.events == 0


def _old_journal(scheme: int, tmp_path: Path) -> Journal:
    path = tmp_path / f"before-content-ids-{scheme}.sqlite"
    with gzip.open(COPIES / f"before_content_ids_scheme{scheme}.sqlite.gz", "rb") as packed:
        path.write_bytes(packed.read())
    return Journal(path)


def test_a_value_the_id_cannot_hold_rejects_its_record_with_the_reason(tmp_path: Path) -> None:
    """A count beyond 64 bits (a forged or corrupt row) is named, and the rows around it are journaled."""
    lines = (COPIES / "dns.log").read_text().splitlines()
    row = lines[8].split("\t")
    row[7] = "99999999999999999999"  # trans_id, a count
    (tmp_path / "dns.log").write_text("\n".join([*lines[:9], "\t".join(row), *lines[9:]]) + "\n")
    journal = Journal(tmp_path / "journal.sqlite")

    report = _ingest([tmp_path / "dns.log"], journal)

    assert (report.total.received, report.total.events, report.total.rejected) == (4, 3, 1)
    ((origin, reason),) = journal.connection.execute("SELECT origin, reason FROM rejected").fetchall()
    assert origin == f"{tmp_path / 'dns.log'}:10"
    assert reason.startswith("zeek:dns record: a value cannot be serialised (Integer exceeds 64-bit range")
