"""A downloaded file's origin address: ``file SERVED_BY ip``, from every endpoint source alike.

MDE's ``DeviceFileEvents`` give the address a file came from (``FileOriginIP``) beside its
URL (``FileOriginUrl``); Sysmon 15's Zone.Identifier gives only the URL (``HostUrl``), whose
host may be that address.  A payload fetched by many hosts from one bare, rare address has
no domain: the address is then its only origin, and it must be in the file's cluster.

Through the real parsers, projector, pipeline, embedded store and detection; the MDE rows are
made here, in the advanced hunting shape of ``tests/ingest/parsers/fixtures/mde``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from analytics.detect import detect
from graphsiem.model import Event
from graphsiem.store.embedded import EmbeddedStore
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.mde import MdeParser
from ingest.parsers.windows import parsers as windows_parsers
from ingest.pipeline import ingest_records
from ingest.projection import Projector

ORIGIN = "203.0.113.66"
PAYLOAD = "5f0c3b2a19e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2918070605040302010aa"
POWERSHELL = "c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe"


def file_row(host: str, when: datetime, **columns: Any) -> dict[str, Any]:
    """A ``DeviceFileEvents`` ``FileCreated`` row: PowerShell wrote ``update.png`` on ``host``."""
    return {
        "Timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
        "DeviceId": f"dev-{host}", "DeviceName": f"{host}.corp.example.com", "ActionType": "FileCreated",
        "FileName": "update.png", "FolderPath": "C:\\Users\\user\\AppData\\Local\\Temp\\update.png",
        "SHA256": PAYLOAD, "FileOriginUrl": None, "FileOriginReferrerUrl": None, "FileOriginIP": None,
        "InitiatingProcessFileName": "powershell.exe", "InitiatingProcessFolderPath": POWERSHELL,
        "InitiatingProcessId": 7144, "InitiatingProcessCommandLine": "powershell.exe -nop -w hidden",
        "InitiatingProcessAccountDomain": "corp", "InitiatingProcessAccountName": "user",
        "ReportId": 1, **columns,
    }


def process_row(host: str, when: datetime, image: str, report_id: int) -> dict[str, Any]:
    """A ``DeviceProcessEvents`` ``ProcessCreated`` row: explorer started ``image`` on ``host``."""
    name = image.rsplit("\\", 1)[-1]
    return {
        "Timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
        "DeviceId": f"dev-{host}", "DeviceName": f"{host}.corp.example.com", "ActionType": "ProcessCreated",
        "FileName": name, "FolderPath": image, "ProcessId": 4000 + report_id % 1000,
        "ProcessCommandLine": f'"{image}"', "AccountDomain": "corp", "AccountName": "user",
        "InitiatingProcessFileName": "explorer.exe", "InitiatingProcessFolderPath": "c:\\windows\\explorer.exe",
        "InitiatingProcessId": 4012, "InitiatingProcessCommandLine": "explorer.exe",
        "InitiatingProcessAccountDomain": "corp", "InitiatingProcessAccountName": "user",
        "ReportId": report_id,
    }


WHEN = datetime(2024, 3, 5, 10, 20, 3, tzinfo=UTC)


def mde_event(row: dict[str, Any]) -> Event:
    (event,) = MdeParser().parse(row, ParseContext(origin="test"))
    return event


def projected(events: list[Event]) -> set[tuple[tuple[str, str], str, tuple[str, str]]]:
    projection = Projector(IpHostMap()).project(events)
    return {(r.src, r.type, r.dst) for r in projection.relations}


FILE = ("file", PAYLOAD)
HOST = ("host", "ws-0042")


# -- parser and projection ----------------------------------------------------------------

def test_an_origin_address_without_a_url_is_a_download_served_by_that_address():
    event = mde_event(file_row("ws-0042", WHEN, FileOriginIP=ORIGIN))
    assert event.kind == "sysmon:file_stream_create" and event.fields["file.origin.ip"] == ORIGIN
    relations = projected([event])
    assert {(HOST, "DOWNLOADED", FILE), (FILE, "SERVED_BY", ("ip", ORIGIN))} <= relations


def test_an_origin_address_beside_a_url_adds_the_address_to_the_url_and_its_domain():
    event = mde_event(file_row("ws-0042", WHEN, FileOriginUrl="http://cdn-img.example/update.png",
                               FileOriginIP="2001:DB8:0:0::66"))
    relations = projected([event])
    assert {(FILE, "SERVED_BY", ("url", "http://cdn-img.example/update.png")),
            (FILE, "SERVED_BY", ("ip", "2001:db8::66")),
            (("url", "http://cdn-img.example/update.png"), "ON", ("domain", "cdn-img.example"))} <= relations


def test_a_url_whose_host_is_an_address_makes_that_address_the_origin():
    event = mde_event(file_row("ws-0042", WHEN, FileOriginUrl=f"http://{ORIGIN}:8080/update.png"))
    assert (FILE, "SERVED_BY", ("ip", ORIGIN)) in projected([event])


def test_sysmon_15_of_a_bare_address_url_gives_the_same_origin_as_mde():
    """Zone.Identifier has no address of its own: its HostUrl's host is the one MDE calls FileOriginIP."""
    record = {"winlog": {
        "channel": "Microsoft-Windows-Sysmon/Operational", "event_id": "15", "record_id": "7",
        "computer_name": "ws-0042.corp.example.com",
        "event_data": {"UtcTime": "2024-03-05 10:20:03.004", "ProcessId": "7144", "Image": POWERSHELL,
                       "TargetFilename": "C:\\Users\\user\\AppData\\Local\\Temp\\update.png:Zone.Identifier",
                       "Hash": f"SHA256={PAYLOAD.upper()}",
                       "Contents": f"[ZoneTransfer]  ZoneId=3  HostUrl=http://{ORIGIN}/update.png  "}},
        "@timestamp": "2024-03-05T10:20:03.004Z"}
    winlogbeat = next(p for p in windows_parsers() if p.name == "winlogbeat")
    (event,) = winlogbeat.parse(record, ParseContext(origin="test"))
    assert event.kind == "sysmon:file_stream_create"
    relations = projected([event])
    served = {dst for src, kind, dst in relations if kind == "SERVED_BY"}
    assert ("ip", ORIGIN) in served and ("url", f"http://{ORIGIN}/update.png") in served


def test_only_an_address_of_another_machine_is_an_origin():
    """Loopback, unspecified, link-local (the cloud metadata service), multicast and malformed origins
    name no other machine: a write, no download, no ip.

    One row per host, beside a genuine origin on ws-0001, so the test says what the rule keeps too.
    """
    origins = {"ws-0001": ORIGIN, "ws-0002": "127.0.0.1", "ws-0003": "::1", "ws-0004": "0.0.0.0",
               "ws-0005": "not-an-address", "ws-0007": "169.254.169.254", "ws-0008": "fe80::1",
               "ws-0009": "224.0.0.251", "ws-0006": None}
    events = [mde_event(file_row(host, WHEN, FileOriginIP=origin, ReportId=n))
              for n, (host, origin) in enumerate(origins.items())]
    assert [e.kind for e in events][-1] == "sysmon:file_create"  # no origin column at all: Sysmon 11
    relations = projected(events)
    assert {dst for _, _, dst in relations if dst[0] == "ip"} == {("ip", ORIGIN)}
    assert {src for src, kind, _ in relations if kind == "DOWNLOADED"} == {("host", "ws-0001")}
    assert {kind for _, kind, dst in relations if dst == FILE} == {"WROTE", "DOWNLOADED"}


# -- the cluster ---------------------------------------------------------------------------

FLEET = [f"ws-{n:04d}" for n in range(150)]
CAMPAIGN = FLEET[10:75]  # 65 hosts
ORDINARY = ("C:\\Program Files\\Mozilla Firefox\\firefox.exe", "C:\\Windows\\System32\\notepad.exe")


def fleet_rows() -> list[dict[str, Any]]:
    """Three ordinary days on 150 hosts, then 65 of them fetch one payload from a bare address within minutes."""
    start = WHEN - timedelta(days=3)
    rows: list[dict[str, Any]] = []
    for day in range(4):
        for index, host in enumerate(FLEET):
            for image in ORDINARY:
                rows.append(process_row(host, start + timedelta(days=day, minutes=index), image, len(rows)))
    for index, host in enumerate(CAMPAIGN):
        rows.append(file_row(host, WHEN + timedelta(seconds=5 * index), FileOriginIP=ORIGIN, ReportId=len(rows)))
    return rows


def test_a_payload_from_one_rare_address_shows_the_address_in_its_cluster(tmp_path):
    store = EmbeddedStore(tmp_path / "graph")
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            report = ingest_records(fleet_rows(), store=store, journal=journal)
        assert report.total.rejected == 0
        result = detect(store)
        cluster = next(c for c in result.clusters if FILE in {entity.ref for entity in c.entities})
        assert sorted(cluster.hosts) == CAMPAIGN
        assert ("ip", ORIGIN) in {entity.ref for entity in cluster.entities}
    finally:
        store.close()
