"""A host's timeline lists the network sensor's events the IP -> host map ties to it (review U2, TL #1).

A Zeek record names addresses, never a host: the projection ties it to the host
the map held for its address at its time.  The timeline read only the events a
host reported, so mkt01 (the LSASS campaign's victim, seen by Zeek alone) had
an empty timeline though its relations showed its connections.  Both graph
stores alike (the timeline reads the journal).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphsiem.model import epoch_to_iso
from tests.api.conftest import Api
from tests.api.test_host_timeline import _iso, _process

CAMPAIGN = "otrf-security-datasets/LSASS_campaign_01_zeek"
VICTIM = "192.168.1.41"
T0 = 1_790_000_000.0
ADDRESS = "10.9.0.5"


def _lease(host: str, address: str, ts: float, hours: float = 1.0) -> dict[str, Any]:
    """A granted lease as Zeek's dhcp.log writes it (JSON)."""
    return {"_path": "dhcp", "ts": ts, "uids": [f"C{int(ts)}{host}"], "client_addr": address,
            "server_addr": "10.9.255.1", "mac": f"AA:BB:CC:00:00:{len(host):02d}", "host_name": host,
            "assigned_addr": address, "lease_time": hours * 3600.0, "msg_types": ["REQUEST", "ACK"]}


def _conn(ts: float, src: str, dst: str = "93.184.216.34") -> dict[str, Any]:
    return {"_path": "conn", "ts": ts, "uid": f"C{ts}", "id.orig_h": src, "id.orig_p": 50000,
            "id.resp_h": dst, "id.resp_p": 443, "proto": "tcp", "conn_state": "SF"}


def _ingest(api: Api, records: list[dict[str, Any]]) -> None:
    response = api.post("/v1/events", role="ingest", json=records)
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == 0, response.text
    api.ctx.ingest.catch_up()


def _all_rows(api: Api, host: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    before = None
    while True:
        page = api.get(f"/v1/entities/host/{host}/events", role="analyst",
                       params={**params, **({"before": before} if before else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        rows += body["items"]
        before = body["next_before"]
        if before is None:
            return rows, body["total"]


def test_the_campaign_victim_seen_by_zeek_alone_has_its_sensor_events(api: Api, samples_dir: Path) -> None:
    for name in ("kerberos.log", "conn.log", "http.log", "files.log"):
        path = samples_dir / CAMPAIGN / name
        with path.open("rb") as handle:
            response = api.post("/v1/files", role="ingest", files={"file": (path.name, handle)})
        assert response.status_code == 200, response.text
    api.ctx.ingest.catch_up()
    rows, total = _all_rows(api, "mkt01", limit=100)
    assert total == len(rows) == len({row["id"] for row in rows}) > 0
    assert {row["tied"] for row in rows} == {"ip_map"}
    assert [row["ts"] for row in rows] == sorted((row["ts"] for row in rows), reverse=True)
    assert {row["source"] for row in rows} == {"zeek"}
    assert {"zeek:conn", "zeek:http", "zeek:kerberos"} <= {row["kind"] for row in rows}
    for row in rows:
        assert row["mapped"] and {m["ip"] for m in row["mapped"]} == {VICTIM}
        assert {m["host"] for m in row["mapped"]} == {"mkt01"}
        assert all(m["start"] <= row["ts"] <= m["end"] for m in row["mapped"])
    # the executable's download (the relations' DOWNLOADED file) is on the timeline: mkt01 received it
    downloads = [row for row in rows if row["kind"] == "zeek:files"]
    assert downloads and all(row["mapped"][0]["mapped_from"] == "dst" for row in downloads)  # the receiver


def test_an_address_leased_to_another_host_at_that_moment_does_not_pull_its_events(api: Api) -> None:
    # ws-a holds the address from T0 for an hour; ws-b is granted it at T0 + 1800 (a later lease wins).
    _ingest(api, [_lease("ws-a", ADDRESS, T0), _lease("ws-b", ADDRESS, T0 + 1800.0),
                  _conn(T0 + 600.0, ADDRESS), _conn(T0 + 2400.0, ADDRESS), _conn(T0 + 7200.0 + 600.0, ADDRESS),
                  _process(T0 + 900.0, "ws-a", "cmd.exe /c whoami"),
                  _process(T0 + 300.0, "ws-a", "cmd.exe /c hostname")])
    rows_a, total_a = _all_rows(api, "ws-a", limit=1)
    # its own events and the sensor's, one order, paged one at a time; the lease's own record is ws-a's too
    assert [(row["ts"], row["kind"], row["tied"]) for row in rows_a] == [
        (epoch_to_iso(T0 + 900.0), "ecs:event", "reported"), (epoch_to_iso(T0 + 600.0), "zeek:conn", "ip_map"),
        (epoch_to_iso(T0 + 300.0), "ecs:event", "reported"), (epoch_to_iso(T0), "zeek:dhcp", "ip_map")]
    assert total_a == 4
    assert rows_a[0]["mapped"] == []
    assert rows_a[1]["mapped"] == [{"host": "ws-a", "mapped_from": "src", "ip": ADDRESS, "source": "dhcp",
                                    "how": "DHCP lease", "start": epoch_to_iso(T0),
                                    "end": epoch_to_iso(T0 + 1800.0)}]
    # the connection at T0 + 2400 was within ws-a's hour, but the address was ws-b's by then
    rows_b, total_b = _all_rows(api, "ws-b", limit=10)
    assert [(row["ts"], row["kind"]) for row in rows_b] == [
        (epoch_to_iso(T0 + 2400.0), "zeek:conn"), (epoch_to_iso(T0 + 1800.0), "zeek:dhcp")]
    assert total_b == 2 and {row["tied"] for row in rows_b} == {"ip_map"}
    # after both leases end, the address is nobody's: the 02:10 connection is on no timeline
    # and the time range and kind filters hold for mapped rows too
    ranged, total = _all_rows(api, "ws-a", since=_iso(T0 + 500.0), until=_iso(T0 + 700.0))
    assert [row["tied"] for row in ranged] == ["ip_map"] and total == 1
    kinds, total = _all_rows(api, "ws-a", kind="zeek:conn")
    assert [row["kind"] for row in kinds] == ["zeek:conn"] and total == 1
