"""`POST /v1/files` and `/v1/events` answer what a host's syslog text showed: its clock gap against Zeek's capture (task OLDQ #4; kept, in the timeline and /healthz: OLDQ2 #1), German rendered events (OLDQ #5).

The first 200 records of Brim's WRCCDC 2018 ``syslog.log``: kramer's (and three PCs') Windows events, dated by
their headers 76 minutes behind the capture time.  A real app over the real store and journal.
"""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import Api

SYSLOG = "brimdata-zed-sample-data/zeek-default/syslog.log"


def test_the_ingest_answer_names_the_host_its_offset_and_changes_no_time(api: Api, samples_dir: Path) -> None:
    lines = (samples_dir / SYSLOG).read_text(encoding="utf-8").splitlines(keepends=True)
    header = [line for line in lines[:10] if line.startswith("#")]
    body = "".join(header + [line for line in lines if not line.startswith("#")][:200])
    answer = api.post("/v1/files", role="ingest", files={"file": ("syslog.log", body.encode())})
    assert answer.status_code == 200, answer.text
    gaps = {gap["host"]: gap for gap in answer.json()["clock_gaps"]}
    assert "kramer" in gaps, gaps
    kramer = gaps["kramer"]
    assert (kramer["sender"], kramer["sensor"]) == ("10.47.22.25", "zeek")
    assert -76 * 60 - 30 < kramer["offset_s"] < -76 * 60 + 30
    assert "76 min behind zeek's capture time" in kramer["note"]
    # the time is the header's, as written: kramer's first event is at 08:59:54-07:00
    timeline = api.get("/v1/entities/host/kramer/events", params={"limit": 1000}).json()
    events = timeline["items"]
    assert min(event["ts"] for event in events) == "2018-03-24T15:59:54.000Z"
    # task OLDQ2 #1: kept in the journal, the gap is in the host's timeline and in /healthz afterwards
    [kept] = timeline["clock_gaps"]
    assert (kept["host"], kept["sender"], kept["offset_s"]) == ("kramer", "10.47.22.25", kramer["offset_s"])
    assert kept["measured_at"].endswith("Z") and "76 min behind" in kept["note"]
    # /healthz needs no key (review R22): it counts the hosts and names none of them
    health = api.get("/healthz")
    assert health.json()["clock_gap_hosts"] >= 2
    assert "kramer" not in health.text and "10.47.22.25" not in health.text
    other = api.get("/v1/entities/host/pc-helen/events", params={"limit": 1}).json()
    assert [gap["host"] for gap in other["clock_gaps"]] == ["pc-helen"]


def test_the_ingest_answer_counts_german_rendered_windows_events(api: Api) -> None:
    # task OLDQ #5: a German DC's 4625 title with no label after it is not read; the answer says so
    # (OLDQ2 #2: with its labels it is read, and not counted)
    line = ("<13>1 2026-11-30T09:00:00+01:00 DC-01.corp.example EvntSLog - - - Fehler beim Anmelden eines "
            "Kontos.\n<13>1 2026-11-30T09:00:01+01:00 DC-01.corp.example EvntSLog - - - Fehler beim Anmelden "
            "eines Kontos. Antragsteller: Sicherheits-ID: S-1-0-0 Kontoname: - Anmeldetyp: 3\n")
    answer = api.post("/v1/events", role="ingest", content=line.encode(), headers={"Content-Type": "text/plain"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 2
    assert answer.json()["localized_windows_text"] == [{"language": "de", "event_id": 4625, "records": 1}]
