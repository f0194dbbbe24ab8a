"""A host's timeline: ``GET /v1/entities/host/{name}/events`` reads its journaled events (review T9 F1).

A host whose events name no process, user or address (service-state events,
as PC-HELEN's in the Brim syslog log) had an entity page with nothing on it:
the graph holds aggregated relations only.  The timeline reads the journal,
so every test here runs on both graph stores alike; the store only tells a
host named by other machines' events (an empty timeline) from no host (404).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.conftest import Api

START = 1_790_000_000.0
"""2026-09-21T14:13:20Z."""
HOSTILE_CMD = "cmd.exe /c echo <img src=x onerror=alert(1)> \"&' <script>alert(2)</script>"
SERVICES = ("Multimedia Class Scheduler", "Windows Update", "BITS", "Print Spooler", "WinHTTP Auto-Proxy")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _service_state(ts: float, service: str, state: str = "stopped",
                   computer: str = "PC-QUIET.jerry.land") -> dict[str, Any]:
    """A System 7036 as Winlogbeat ships it: a service entered a state (no process, user or address)."""
    return {"@timestamp": _iso(ts), "message": f"The {service} service entered the {state} state.",
            "winlog": {"computer_name": computer, "event_id": 7036, "channel": "System",
                       "provider_name": "Service Control Manager",
                       "event_data": {"param1": service, "param2": state}}}


def _process(ts: float, host: str, cmd: str) -> dict[str, Any]:
    return {"@timestamp": _iso(ts), "host": {"name": host},
            "event": {"category": "process", "action": "start"},
            "process": {"executable": r"C:\Windows\System32\cmd.exe", "command_line": cmd,
                        "parent": {"executable": r"C:\Windows\explorer.exe"}}}


def _logon_from(ts: float, workstation: str) -> dict[str, Any]:
    """A network logon on dc01 whose client names itself ``workstation`` (a host entity with no event of its own)."""
    return {"@timestamp": _iso(ts),
            "winlog": {"computer_name": "DC01.jerry.land", "event_id": 4624, "channel": "Security",
                       "event_data": {"TargetUserName": "bob", "TargetDomainName": "JERRY", "LogonType": "3",
                                      "WorkstationName": workstation, "IpAddress": "10.0.0.66"}}}


def _ingest(api: Api, records: list[dict[str, Any]]) -> None:
    response = api.post("/v1/events", role="ingest", json=records)
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == 0, response.text
    api.ctx.ingest.catch_up()


def _events(api: Api, host: str, role: str = "analyst", **params: Any) -> Any:
    return api.get(f"/v1/entities/host/{host}/events", role=role, params=params)


def test_a_host_with_only_service_state_events_lists_them_newest_first(api: Api) -> None:
    _ingest(api, [_service_state(START + 60 * n, service) for n, service in enumerate(SERVICES)])
    # the graph has the host and nothing else: its page had no relation to read
    assert api.get("/v1/entities/host/pc-quiet/neighbors", role="analyst").json()["graph"]["edges"] == []
    response = _events(api, "pc-quiet")
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["host"] == "pc-quiet"
    assert page["total"] == 5 and page["total_capped"] is False and page["next_before"] is None
    assert [row["ts"] for row in page["items"]] == [_iso(START + 60 * n).replace("000Z", "Z")
                                                     for n in reversed(range(5))]
    assert {row["kind"] for row in page["items"]} == {"windows:other"}
    assert [row["summary"] for row in page["items"]] == [
        f"The {service} service entered the stopped state." for service in reversed(SERVICES)]
    first = page["items"][0]
    assert first["source"] and first["origin"].startswith("api/") and len(first["id"]) >= 16
    assert first["received_at"] is not None  # a live channel's receipt


def test_pages_walk_every_event_once_even_when_times_tie(api: Api) -> None:
    # seven events, three of them in the same second: the cursor's seq keeps ties apart
    times = [START, START + 10, START + 10, START + 10, START + 20, START + 30, START + 40]
    _ingest(api, [_service_state(ts, f"{SERVICES[n % 5]} {n}") for n, ts in enumerate(times)])
    seen: list[dict[str, Any]] = []
    before = None
    for _ in range(5):
        page = _events(api, "pc-quiet", limit=3, **({"before": before} if before else {})).json()
        assert page["total"] == 7  # of every page: the count does not depend on the cursor
        seen += page["items"]
        before = page["next_before"]
        if before is None:
            break
    assert [len(seen)] == [7] and len({row["id"] for row in seen}) == 7
    assert [row["ts"] for row in seen] == sorted((row["ts"] for row in seen), reverse=True)
    assert before is None


def test_since_until_and_kind_filter_the_page_and_the_count(api: Api) -> None:
    _ingest(api, [_service_state(START + 60 * n, service) for n, service in enumerate(SERVICES)]
            + [_process(START + 90, "PC-QUIET", "cmd.exe /c whoami")])
    middle = _events(api, "pc-quiet", since=_iso(START + 60), until=_iso(START + 180)).json()
    # both ends inclusive: 60, 90 (the process), 120, 180
    assert middle["total"] == 4
    assert [row["ts"] for row in middle["items"]] == [
        _iso(ts).replace("000Z", "Z") for ts in (START + 180, START + 120, START + 90, START + 60)]
    processes = _events(api, "pc-quiet", kind="ecs:event").json()
    assert [row["summary"] for row in processes["items"]] == [
        "cmd.exe /c whoami · parent explorer.exe"] and processes["total"] == 1
    both = api.get("/v1/entities/host/pc-quiet/events?kind=ecs:event&kind=windows:other",
                   role="analyst").json()
    assert both["total"] == 6
    none = _events(api, "pc-quiet", kind="sysmon:process_create").json()
    # a host with no kept clock gap says so with an empty list (ingest.journal_clock_gaps)
    assert none == {"host": "pc-quiet", "items": [], "total": 0, "total_capped": False, "next_before": None,
                    "clock_gaps": []}


@pytest.mark.parametrize("params, field", [
    ({"since": "2026-09-21T14:13:20"}, "since"),  # no zone: it would be read in the server's
    ({"since": _iso(START + 60), "until": _iso(START)}, "until"),
    ({"before": "<img src=x onerror=alert(1)>"}, "before"),
])
def test_a_bad_filter_or_cursor_is_a_422_naming_it(api: Api, params: dict[str, str], field: str) -> None:
    _ingest(api, [_service_state(START, SERVICES[0])])
    response = _events(api, "pc-quiet", **params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == f"query.{field}", error


def test_the_host_name_is_normalised_as_the_ingest_does(api: Api) -> None:
    _ingest(api, [_service_state(START, SERVICES[0], computer="WORKSTATION5.theshire.local")])
    for spelling in ("WORKSTATION5.theshire.local", "workstation5", "Workstation5.", "WORKSTATION5"):
        page = _events(api, spelling).json()
        assert page["host"] == "workstation5" and page["total"] == 1, (spelling, page)


def test_an_unknown_host_is_a_404_and_a_host_with_no_event_of_its_own_is_an_empty_timeline(api: Api) -> None:
    _ingest(api, [_logon_from(START, "KALI")])
    # kali is a host of the graph (it claimed the logon) with no event in the journal
    assert api.get("/v1/entities/host/kali", role="analyst").status_code == 200
    assert _events(api, "KALI").json() == {"host": "kali", "items": [], "total": 0, "total_capped": False,
                                           "next_before": None, "clock_gaps": []}
    assert _events(api, "dc01").json()["total"] == 1
    missing = _events(api, "NOSUCH.jerry.land")
    assert missing.status_code == 404
    error = missing.json()["error"]
    assert error["code"] == "not_found" and error["field"] == "path.name"
    assert error["message"] == ("no host 'NOSUCH.jerry.land' (normalised 'nosuch'): the journal holds no "
                                "event of it and the graph no such host")


def test_attacker_strings_stay_data(api: Api) -> None:
    _ingest(api, [_process(START, "ws-7", HOSTILE_CMD)])
    response = _events(api, "ws-7")
    assert response.headers["content-type"] == "application/json"
    assert response.json()["items"][0]["summary"] == f"{HOSTILE_CMD} · parent explorer.exe"


def test_viewers_and_analysts_read_it_an_ingest_key_does_not(api: Api) -> None:
    _ingest(api, [_service_state(START, SERVICES[0])])
    assert _events(api, "pc-quiet", role="analyst").status_code == 200
    assert _events(api, "pc-quiet", role="ingest").status_code == 403
    assert api.client.get("/v1/entities/host/pc-quiet/events").status_code == 401


def test_a_page_holds_at_most_1000_events_and_a_read_at_most_20_kinds(api: Api) -> None:
    records = [_service_state(START + n, f"Service {n}") for n in range(1001)]
    for first in range(0, 1001, 500):  # the test app's body limit is 256 KiB
        _ingest(api, records[first:first + 500])
    page = _events(api, "pc-quiet", limit=5000).json()  # capped, not refused
    assert len(page["items"]) == 1000 and page["total"] == 1001 and page["next_before"] is not None
    last = _events(api, "pc-quiet", before=page["next_before"]).json()
    assert [row["summary"] for row in last["items"]] == ["The Service 0 service entered the stopped state."]
    kinds = "&".join(f"kind=k{n}" for n in range(21))
    response = api.get(f"/v1/entities/host/pc-quiet/events?{kinds}", role="analyst")
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error", response.text
