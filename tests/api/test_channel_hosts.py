"""The service binds each live channel to the hosts it may speak for (``GRAPHSIEM_CHANNEL_HOSTS``).

A Sysmon record naming ``dc-01`` is sent over a real UDP socket to the running
listener (its channel: ``syslog:127.0.0.1``) or posted to ``/v1/events`` with an
ingest key (``key:<id>``).  From a channel the table binds to other hosts, it is
accepted, journaled and projected (both stores), counted in the answer, but it
teaches neither dc-01's clock nor the address map; from a channel bound to dc-01,
or one the table does not name, it teaches as before.  A table with a bad line
refuses to start, naming the file, the line and the reason.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from graphsiem.api import create_app
from graphsiem.api.state import StateStore
from graphsiem.settings import Settings
from ingest.channel_hosts import UNBOUND_CHANNEL
from ingest.host_clocks import HostClocks
from ingest.journal import Journal
from tests.api.conftest import ROLES, Api, make_settings
from tests.api.syslog_listener_thread import wait_until
from tests.ingest.test_channel_hosts import sysmon_connect, sysmon_process

ADDRESS = "10.9.0.7"


def running_with_table(tmp_path: Path, table: str, **settings: Any) -> tuple[Settings, dict[str, str], str]:
    """Settings whose table (``{ingest}``: the ingest key's id) is written first; the keys and the ingest key's id."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    state = StateStore(data / "state.sqlite")
    made = {role: state.create_key(role=role, name=f"test-{role}") for role in ROLES}
    state.close()
    path = tmp_path / "channels.txt"
    path.write_text(table.format(ingest=made["ingest"][0].id), encoding="utf-8")
    secrets = {role: secret for role, (_, secret) in made.items()}
    return make_settings(data, channel_hosts=path, **settings), secrets, made["ingest"][0].id


def started(settings: Settings, store: Any, keys: dict[str, str]) -> Any:
    store.clear()
    app = create_app(settings, store)
    return Api(app=app, client=TestClient(app, raise_server_exceptions=False), ctx=app.state.ctx, keys=keys)


def dc01_clock(journal: Journal) -> list[float]:
    return [run.offset for run in HostClocks().load(journal.connection).runs.get(("dc-01", "TimeCreated"), [])]


def learnt(api: Api) -> tuple[list[float], list[str]]:
    """dc-01's learnt clock offsets and the addresses the map gives it (the host is in the graph)."""
    host = api.get("/v1/entities/host/dc-01", role="analyst")
    assert host.status_code == 200, host.text  # accepted and projected, whatever its channel
    return dc01_clock(api.ctx.ingest.journal()), [row["ip"] for row in host.json()["address_map"]]


def marks(api: Api) -> list[object]:
    return [row.event.fields.get(UNBOUND_CHANNEL) for row in api.ctx.ingest.journal().iter_events()]


def cee(record: dict[str, Any]) -> bytes:
    return ("<14>1 2020-10-27T12:28:57Z DC-01 nxlog - - - @cee: " + json.dumps(record)).encode()


@pytest.mark.parametrize(("table", "teaches"), [
    ("syslog:127.0.0.1 ws-*\n", False),  # the sender is bound to the workstations: not dc-01's
    ("syslog:127.0.0.0/8 dc-0?\n", True),  # bound (by its network) to dc-01
    ("syslog:10.20.0.5 ws-*\n", True),  # the sender is not in the table: today's trust
])
def test_a_syslog_peer_bound_to_other_hosts_teaches_no_clock_and_no_address(
    store: Any, tmp_path: Path, table: str, teaches: bool,
) -> None:
    settings, keys, _ = running_with_table(tmp_path, table, syslog_udp_port=0, syslog_flush_s=0.05)
    api = started(settings, store, keys)
    with api.client:
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with sender:
            for record in (sysmon_process(), sysmon_connect(address=ADDRESS)):
                sender.sendto(cee(record), ("127.0.0.1", api.app.state.syslog.udp_port))
        accepted = api.ctx.metrics.ingest_records.labels("syslog-udp", "accepted")
        wait_until(lambda: accepted._value.get() >= 2, "both records journaled")
        api.ctx.ingest.catch_up()
        if teaches:
            assert learnt(api) == ([-14400.0], [ADDRESS])
            assert marks(api) == [None, None]
        else:
            assert learnt(api) == ([], [])
            assert marks(api) == ["syslog:127.0.0.1", "syslog:127.0.0.1"]


@pytest.mark.parametrize(("table", "teaches"), [
    ("key:{ingest} ws-*\n", False),
    ("key:{ingest} dc-01\n", True),
    ("key:another ws-*\n", True),
])
def test_an_ingest_key_bound_to_other_hosts_teaches_no_clock_and_no_address(
    store: Any, tmp_path: Path, table: str, teaches: bool,
) -> None:
    settings, keys, key_id = running_with_table(tmp_path, table)
    api = started(settings, store, keys)
    with api.client:
        answer = api.post("/v1/events", role="ingest", json=[sysmon_process(), sysmon_connect(address=ADDRESS)])
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["received"], body["accepted"], body["rejected"]) == (2, 2, 0)
        api.ctx.ingest.catch_up()
        if teaches:
            assert body["unbound_channels"] == []
            assert learnt(api) == ([-14400.0], [ADDRESS])
        else:
            channel = f"key:{key_id}"
            assert body["unbound_channels"] == [{"channel": channel, "records": 2}]
            assert learnt(api) == ([], [])
            assert marks(api) == [channel, channel]


def test_a_table_with_a_bad_line_refuses_to_start_naming_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "channels.txt"
    path.write_text("# shippers\nkey:abc ws-*\nsyslog:10.0.0.300 dc-01\n", encoding="utf-8")
    monkeypatch.setenv("GRAPHSIEM_CHANNEL_HOSTS", str(path))
    with pytest.raises(ValidationError) as caught:
        Settings(data_dir=tmp_path / "data")
    message = str(caught.value)
    assert f"GRAPHSIEM_CHANNEL_HOSTS {path} line 3: 'syslog:10.0.0.300' names no peer address" in message
    monkeypatch.setenv("GRAPHSIEM_CHANNEL_HOSTS", "")
    assert Settings(data_dir=tmp_path / "data").channel_hosts is None
