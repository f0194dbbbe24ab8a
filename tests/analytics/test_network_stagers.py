"""The network_stager rule (analytics.network_stagers) on a journal of our own making: an executable fetched
over HTTP from a bare address, then TLS to that address on another port, is a finding on the host the IP
map names; a named server, a callback on 443, a callback to another address or too late are not."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from analytics.network_stagers import network_stager_hits

CLIENT, SERVER, T0 = "192.168.1.41", "10.0.5.13", 1_692_158_048.0


def journal(tmp_path: Path, rows: list[tuple[str, str, float, dict]], *, mapped: bool = True) -> sqlite3.Connection:
    db = sqlite3.connect(tmp_path / "journal.sqlite")
    db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT, kind TEXT, ts REAL, host TEXT, fields BLOB)")
    db.execute("CREATE TABLE ip_hosts (ip TEXT, start REAL, end REAL, host TEXT, source TEXT)")
    db.executemany("INSERT INTO events (id, kind, ts, host, fields) VALUES (?, ?, ?, NULL, ?)",
                   [(i, k, t, orjson.dumps(f)) for i, k, t, f in rows])
    if mapped:
        db.execute("INSERT INTO ip_hosts VALUES (?, ?, ?, 'mkt01', 'endpoint')", (CLIENT, T0 - 3600, T0 + 3600))
    return db


def ends(port: int, server: str = SERVER) -> dict:
    return {"zeek.id.orig_h": CLIENT, "zeek.id.resp_h": server, "zeek.id.resp_p": port}


def download(host: str | None = None, server: str = SERVER) -> list[tuple[str, str, float, dict]]:
    request = {"zeek.uid": "C1", **ends(80, server), "zeek.resp_mime_types": ["application/x-dosexec"]}
    if host:
        request["zeek.host"] = host
    return [("http-1", "zeek:http", T0, request),
            ("files-1", "zeek:files", T0, {"zeek.uid": "C1", "zeek.source": "HTTP", **ends(80, server),
                                            "zeek.mime_type": "application/x-dosexec", "zeek.seen_bytes": 7168})]


def tls(port: int = 8080, server: str = SERVER, after: float = 26.0) -> tuple[str, str, float, dict]:
    return (f"ssl-{port}-{after}", "zeek:ssl", T0 + after, {"zeek.uid": "C2", **ends(port, server)})


def test_exe_from_a_bare_address_then_tls_to_it_on_8080_is_a_hit_on_the_mapped_host(tmp_path: Path):
    hits = network_stager_hits(journal(tmp_path, [*download(), tls(), tls(after=37.0)]), T0 - 60, T0 + 3600)
    assert [(h.host, h.rule, h.event_id, h.subject) for h in hits] == [("mkt01", "network_stager", "files-1",
                                                                         f"{SERVER}:8080")]
    assert "7168 bytes" in hits[0].detail and "2 TLS or long session(s)" in hits[0].detail


def test_an_unmapped_client_is_named_by_its_address(tmp_path: Path):
    hits = network_stager_hits(journal(tmp_path, [*download(), tls()], mapped=False), T0 - 60, T0 + 3600)
    assert [h.host for h in hits] == [CLIENT]


def test_an_address_written_as_host_counts_as_bare(tmp_path: Path):
    hits = network_stager_hits(journal(tmp_path, [*download(host=f"{SERVER}:80"), tls()]), T0 - 60, T0 + 3600)
    assert len(hits) == 1


def test_a_long_plain_connection_counts_as_a_session(tmp_path: Path):
    conn = ("conn-1", "zeek:conn", T0 + 30, {**ends(4444), "zeek.duration": 300.0})
    assert len(network_stager_hits(journal(tmp_path, [*download(), conn]), T0 - 60, T0 + 3600)) == 1


def test_near_misses_are_no_hit(tmp_path: Path):
    cases = {
        "named server": [*download(host="downloads.vendor.example"), tls()],
        "callback on 443": [*download(), tls(port=443)],
        "callback elsewhere": [*download(), tls(server="10.0.5.99")],
        "callback too late": [*download(), tls(after=3600.0)],
        "short plain connection": [*download(), ("conn-1", "zeek:conn", T0 + 30, {**ends(4444), "zeek.duration": 2.0})],
        "no callback": download(),
    }
    for number, (name, rows) in enumerate(cases.items()):
        folder = tmp_path / str(number)
        folder.mkdir()
        assert network_stager_hits(journal(folder, rows), T0 - 60, T0 + 7200) == [], name



def _ssh_session_after(client: str) -> list[tuple[str, str, float, dict]]:
    """``client`` fetches the executable, then holds an SSH session to the server for 75 s."""
    ssh = ("conn-ssh", "zeek:conn", T0 + 30.0, {"zeek.uid": "C3", **ends(22), "zeek.duration": 75.0})
    return [(i, k, t, {**f, "zeek.id.orig_h": client}) for i, k, t, f in [*download(), ssh]]


def test_an_outside_client_the_map_does_not_place_is_no_host(tmp_path: Path):
    """Bots fetching an executable by address from our public server, then holding an SSH session to it,
    made a host finding naming each bot's address (red team T15 finding 4); a fleet address stays one."""
    (tmp_path / "out").mkdir()
    (tmp_path / "in").mkdir()
    outside = network_stager_hits(journal(tmp_path / "out", _ssh_session_after("198.51.100.7"), mapped=False),
                                  T0 - 60, T0 + 3600)
    inside = network_stager_hits(journal(tmp_path / "in", _ssh_session_after(CLIENT), mapped=False), T0 - 60, T0 + 3600)
    assert (outside, [h.host for h in inside]) == ([], [CLIENT])
