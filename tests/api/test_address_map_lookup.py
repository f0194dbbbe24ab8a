"""The victim's address leads to its host: search and look-up consult the ingest's IP -> host map (review T9, F5).

The ingest learnt ``192.168.1.41 -> mkt01`` from the LSASS campaign's Zeek
Kerberos log (two requests by the machine account ``MKT01$``), and projected the
address's traffic as the host, so no ``ip`` entity 192.168.1.41 exists: a
search said "No entity matches", the look-up was a bare 404, and the host's
answer named no address.  The map lives in the journal, so every test here runs
on both graph stores alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphsiem.model import epoch_to_iso
from tests.api.conftest import Api

KERBEROS = "otrf-security-datasets/LSASS_campaign_01_zeek/kerberos.log"
VICTIM = "192.168.1.41"
HELD_FROM, HELD_TO = "2023-08-16T03:55:32.357Z", "2023-08-16T05:55:32.429Z"
"""The Kerberos requests by MKT01$ at 04:55:32.357 and .429, each trusted an hour either side."""
DAY = 86_400.0
LEASES_START = datetime(2026, 3, 1, tzinfo=UTC).timestamp()


def _upload_kerberos(api: Api, samples_dir: Path) -> None:
    path = samples_dir / KERBEROS
    with path.open("rb") as handle:
        response = api.post("/v1/files", role="ingest", files={"file": (path.name, handle)})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 10
    api.ctx.ingest.catch_up()


def _lease(host: str, address: str, ts: float) -> dict[str, Any]:
    """A granted lease as Zeek's dhcp.log writes it (JSON)."""
    return {"_path": "dhcp", "ts": ts, "uids": [f"C{int(ts)}"], "client_addr": address, "server_addr": "10.9.255.1",
            "mac": "AA:BB:CC:00:00:01", "host_name": host, "assigned_addr": address, "lease_time": 3600.0,
            "msg_types": ["REQUEST", "ACK"]}


def _ingest(api: Api, records: list[dict[str, Any]]) -> None:
    response = api.post("/v1/events", role="ingest", json=records)
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == 0, response.text
    api.ctx.ingest.catch_up()


def test_search_for_the_victims_address_answers_the_host_it_was(api: Api, samples_dir: Path) -> None:
    _upload_kerberos(api, samples_dir)
    items = api.get("/v1/entities", role="analyst", params={"q": VICTIM}).json()["items"]
    assert [(hit["type"], hit["key"], hit["matched"]) for hit in items] == [("host", "mkt01", "address")]
    assert items[0]["snippet"] == "192.168.1.41 was mkt01 2023-08-16 03:55–05:55 UTC (seen in its own traffic)"
    assert items[0]["addresses"] == [{"ip": VICTIM, "host": "mkt01", "start": HELD_FROM, "end": HELD_TO,
                                      "source": "endpoint"}]
    # Only hosts are found through the map: a search for addresses alone lists none.
    only_ips = api.get("/v1/entities", role="analyst", params={"q": VICTIM, "type": "ip"}).json()
    assert only_ips["items"] == []


def test_lookup_of_a_mapped_address_is_a_404_naming_the_host(api: Api, samples_dir: Path) -> None:
    _upload_kerberos(api, samples_dir)
    for path in (f"/v1/entities/ip/{VICTIM}", f"/v1/entities/ip/{VICTIM}/neighbors"):
        response = api.get(path, role="analyst")
        assert response.status_code == 404, path
        error = response.json()["error"]
        assert error["code"] == "not_found"
        assert error["message"] == (
            "no ip entity with key or value '192.168.1.41'; the address map says 192.168.1.41 was mkt01 "
            "2023-08-16 03:55–05:55 UTC (seen in its own traffic): look up the host instead")
        assert error["details"] == [{"reason": "address held by a host", "field": None, "ip": VICTIM,
                                     "host": "mkt01", "start": HELD_FROM, "end": HELD_TO, "source": "endpoint"}]
    # The host the details name answers, and lists the address.
    host = api.get("/v1/entities/host/mkt01", role="analyst").json()
    assert host["address_map"] == [{"ip": VICTIM, "host": "mkt01", "start": HELD_FROM, "end": HELD_TO,
                                    "source": "endpoint"}]
    assert host["address_map_total"] == 1


def test_an_address_the_map_does_not_know_stays_a_plain_404(api: Api, samples_dir: Path) -> None:
    _upload_kerberos(api, samples_dir)
    response = api.get("/v1/entities/ip/192.168.1.42", role="analyst")
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "field": "path.value", "details": [],
                                        "message": "no ip entity with key or value '192.168.1.42'"}
    assert api.get("/v1/entities", role="analyst", params={"q": "192.168.1.42"}).json()["items"] == []
    # Other entities carry no address map at all.
    user = api.get("/v1/entities", role="analyst", params={"q": "pedro.gustavo", "type": "user"}).json()["items"][0]
    detail = api.get(f"/v1/entities/user/{user['key']}", role="analyst").json()
    assert (detail["address_map"], detail["address_map_total"]) == (None, None)


def test_a_hosts_addresses_are_listed_newest_first_bounded_with_their_total(api: Api) -> None:
    # lab-ws takes a new address each day for 25 days: the answer lists the 20 newest.
    leases = [_lease("lab-ws", f"10.9.0.{day + 1}", LEASES_START + day * DAY) for day in range(25)]
    _ingest(api, leases)
    detail = api.get("/v1/entities/host/lab-ws", role="analyst").json()
    assert detail["address_map_total"] == 25
    listed = detail["address_map"]
    assert [interval["ip"] for interval in listed] == [f"10.9.0.{n}" for n in range(25, 5, -1)]
    newest = listed[0]
    assert (newest["start"], newest["end"], newest["source"]) == (
        epoch_to_iso(LEASES_START + 24 * DAY), epoch_to_iso(LEASES_START + 24 * DAY + 3600.0), "dhcp")


def test_an_address_two_hosts_held_names_both_newest_first(api: Api) -> None:
    # 10.9.0.7 leased to lab-ws, then (two days later) to kiosk-3; searched in its IPv4-mapped
    # IPv6 spelling.  A lease makes the address an entity too: it ranks first, its holders next.
    first, second = LEASES_START, LEASES_START + 2 * DAY
    _ingest(api, [_lease("lab-ws", "10.9.0.7", first), _lease("kiosk-3", "10.9.0.7", second)])
    items = api.get("/v1/entities", role="analyst", params={"q": "::ffff:10.9.0.7"}).json()["items"]
    assert [(hit["type"], hit["key"], hit["matched"], hit["snippet"]) for hit in items] == [
        ("ip", "10.9.0.7", "key", None),
        ("host", "kiosk-3", "address", "10.9.0.7 was kiosk-3 2026-03-03 00:00–01:00 UTC (DHCP lease)"),
        ("host", "lab-ws", "address", "10.9.0.7 was lab-ws 2026-03-01 00:00–01:00 UTC (DHCP lease)"),
    ]
    detail = api.get("/v1/entities/ip/10.9.0.7", role="analyst").json()
    assert [(interval["host"], interval["start"]) for interval in detail["address_map"]] == [
        ("kiosk-3", epoch_to_iso(second)), ("lab-ws", epoch_to_iso(first))]
    assert detail["address_map_total"] == 2
