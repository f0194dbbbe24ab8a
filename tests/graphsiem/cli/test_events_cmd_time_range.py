"""``graphsiem events --since/--until`` (task TL #2) and the sensor rows the IP -> host map ties to the host (TL #1).

The API and the page filtered a host's timeline by time; the CLI could not.  The
options are read as the API reads its query values (ISO-8601 or epoch seconds, a
zone required) and refused with the same reasons, exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphsiem.cli import main
from tests.graphsiem.cli.test_events_cmd import _ingested

LEASE = ('{"_path": "dhcp", "ts": 1790000000.0, "uids": ["C1"], "client_addr": "10.9.0.5", "server_addr": '
         '"10.9.255.1", "mac": "aa:bb:cc:00:00:01", "host_name": "PC-QUIET", "assigned_addr": "10.9.0.5", '
         '"lease_time": 86400.0, "msg_types": ["REQUEST", "ACK"]}\n')
CONN = ('{{"_path": "conn", "ts": {ts}, "uid": "C{n}", "id.orig_h": "10.9.0.5", "id.orig_p": 50000, '
        '"id.resp_h": "203.0.113.9", "id.resp_p": 443, "proto": "tcp"}}\n')


def _listed(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["events", "--host", "pc-quiet", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_since_and_until_filter_the_listing_and_its_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _ingested(tmp_path)  # Spooler events at 14:00 .. 14:04, a command line at 15:00
    capsys.readouterr()
    page = _listed(capsys, "--data", str(data), "--since", "2026-09-21T14:01:00Z", "--until", "2026-09-21T16:03:00+02:00")
    assert [row["ts"] for row in page["items"]] == ["2026-09-21T14:03:00.000Z", "2026-09-21T14:02:00.000Z",
                                                    "2026-09-21T14:01:00.000Z"]
    assert page["total"] == 3
    # epoch seconds, as the API takes them
    assert _listed(capsys, "--data", str(data), "--since", "1790002800")["total"] == 1
    # the next page's command keeps the range
    assert main(["events", "--host", "pc-quiet", "--data", str(data), "--limit", "1",
                 "--since", "2026-09-21T14:01:00Z"]) == 0
    older = capsys.readouterr().out.splitlines()[-1]
    assert older.startswith("older: graphsiem events --host pc-quiet") and "--since 2026-09-21T14:01:00Z" in older


@pytest.mark.parametrize("args, reason", [
    (["--since", "2026-09-21T14:01:00"], "graphsiem events: --since needs a time zone (e.g. 2026-11-20T09:00:00Z or +02:00)\n"),
    (["--until", "yesterday"], "graphsiem events: --until: Input should be a valid datetime or date, input is too "
                               "short (got 'yesterday')\n"),
    (["--since", "2026-09-21T15:00:00Z", "--until", "2026-09-21T14:00:00Z"],
     "graphsiem events: --until is before --since: no event can match\n"),
])
def test_a_bad_time_is_exit_2_naming_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                args: list[str], reason: str) -> None:
    data = _ingested(tmp_path)
    capsys.readouterr()
    assert main(["events", "--host", "pc-quiet", "--data", str(data), *args]) == 2
    assert capsys.readouterr().err == reason


def test_sensor_rows_of_the_hosts_address_are_listed_and_marked(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "zeek.ndjson"
    records.write_text(LEASE + "".join(CONN.format(ts=1790000000.0 + 60 * n, n=n) for n in (1, 2)), encoding="utf-8")
    data = tmp_path / "data"
    assert main(["ingest", str(records), "--data", str(data)]) == 0
    capsys.readouterr()
    page = _listed(capsys, "--data", str(data))
    assert [(row["kind"], row["tied"]) for row in page["items"]] == [
        ("zeek:conn", "ip_map"), ("zeek:conn", "ip_map"), ("zeek:dhcp", "ip_map")]
    assert main(["events", "--host", "pc-quiet", "--data", str(data), "--since", "2026-09-21T14:14:00Z"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "pc-quiet: 2 of 2 event(s), newest first"
    assert lines[1].startswith("2026-09-21T14:15:20.000Z  zeek:conn (by IP map)  ")
