"""``graphsiem ingest --internal-network CIDR`` (task K4, item 3).

``detect`` took networks for its run, ``ingest`` read only ``GRAPHSIEM_INTERNAL_NETWORKS``:
a university that declared its ``/16`` on the command line had its firewall's host names
beside its own addresses read as DNS names at ingest, so the IP map never learnt its
workstations.  Through the real CLI entry point: the option declares the networks for the
ingest, is checked as detect's is (no network wider than a /8), names public space at start,
and leaves the process's networks as they were.
"""

from __future__ import annotations

import logging
import sqlite3

from graphsiem.cli import main
from graphsiem.internal_networks import INTERNAL_NETWORKS_ENV
from graphsiem.store.embedded import EmbeddedStore
from ingest.normalize_ip import is_internal

ADDRESS = "130.59.1.20"
CEF = ("<134>Mar  1 10:00:02 fw01 CEF:0|Example Corp|Edge Firewall|2.1|200|Allowed download|3|"
       f"src={ADDRESS} spt=50432 dst=198.51.100.7 dpt=80 shost=WS-0042.uni.example "
       "request=http://cdn-img.example/payload.exe fname=payload.exe rt=Mar 01 2024 10:00:02 UTC\n")


def _requests(data) -> set[tuple[tuple[str, str], str]]:
    store = EmbeddedStore(data / "graph")
    try:
        return {(r.src, r.dst[0]) for r in store.iter_relations("REQUESTED")}
    finally:
        store.close()


def _ip_map(data) -> list[tuple[str, str]]:
    """The journal's IP -> host intervals (address, host), read on a connection of its own."""
    db = sqlite3.connect(data / "journal.sqlite")
    try:
        return sorted(db.execute("SELECT ip, host FROM ip_hosts"))
    finally:
        db.close()


def test_a_declared_network_makes_the_devices_host_name_a_fleet_machine(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(INTERNAL_NETWORKS_ENV, raising=False)
    log = tmp_path / "devices.log"
    log.write_text(CEF, encoding="utf-8")

    assert main(["ingest", str(log), "--data", str(tmp_path / "plain"), "--year", "2024", "--no-progress"]) == 0
    assert main(["ingest", str(log), "--data", str(tmp_path / "declared"), "--year", "2024", "--no-progress",
                 "--internal-network", "130.59.0.0/16", "--internal-network", "10.20.0.0/16"]) == 0
    capsys.readouterr()

    # undeclared, the name beside an outside address is a DNS name and the address made the request
    assert (("host", "ws-0042"), "url") not in _requests(tmp_path / "plain")
    # declared, the workstation did, and the IP map learnt its address
    assert (("host", "ws-0042"), "url") in _requests(tmp_path / "declared")
    assert _ip_map(tmp_path / "plain") == []
    assert _ip_map(tmp_path / "declared") == [(ADDRESS, "ws-0042")]
    assert not is_internal(ADDRESS)  # the ingest's networks were its own, not the process's from then on


def test_a_network_wider_than_a_slash_8_is_refused_before_anything_is_read(tmp_path, capsys):
    log = tmp_path / "devices.log"
    log.write_text(CEF, encoding="utf-8")

    code = main(["ingest", str(log), "--data", str(tmp_path / "data"), "--internal-network", "130.59.0.0/16",
                 "--internal-network", "0.0.0.0/0"])

    assert code == 2
    assert "graphsiem ingest: --internal-network: '0.0.0.0/0' is wider than a /8" in capsys.readouterr().err
    assert not (tmp_path / "data" / "journal.sqlite").exists()


def test_a_public_network_is_named_at_start(tmp_path, monkeypatch, caplog, capsys):
    monkeypatch.delenv(INTERNAL_NETWORKS_ENV, raising=False)
    log = tmp_path / "devices.log"
    log.write_text(CEF, encoding="utf-8")
    caplog.set_level(logging.WARNING, logger="graphsiem.internal_networks")

    assert main(["ingest", str(log), "--data", str(tmp_path / "data"), "--year", "2024", "--no-progress",
                 "--internal-network", "185.199.108.0/22", "--internal-network", "10.20.0.0/16"]) == 0

    warned = [r.getMessage() for r in caplog.records if r.name == "graphsiem.internal_networks"]
    assert len(warned) == 1 and warned[0].startswith("--internal-network: 185.199.108.0/22 is public address space")


def test_detect_ingests_its_paths_with_the_networks_it_declares(tmp_path, monkeypatch, capsys):
    # `graphsiem detect PATHS --internal-network X` ingests PATHS first: the networks must be in
    # force for that ingest too, or the run's own input is read as if they were undeclared
    monkeypatch.delenv(INTERNAL_NETWORKS_ENV, raising=False)
    log = tmp_path / "devices.log"
    log.write_text(CEF, encoding="utf-8")

    assert main(["detect", str(log), "--data", str(tmp_path / "declared"),
                 "--internal-network", "130.59.0.0/16"]) == 0
    capsys.readouterr()

    assert (("host", "ws-0042"), "url") in _requests(tmp_path / "declared")
    assert _ip_map(tmp_path / "declared") == [(ADDRESS, "ws-0042")]
    assert not is_internal(ADDRESS)
