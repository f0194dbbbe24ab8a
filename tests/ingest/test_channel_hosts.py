"""A live channel bound to its hosts teaches nothing about another host (``ingest.channel_hosts``).

A forged Sysmon record naming a host other than the ones its channel is bound to
moves neither that host's clock (``ingest.host_clocks``), nor the IP map
(``ingest.ipmap``, live and on rebuild), nor a sensor clock gap
(``ingest.sensor_clock_gaps``); it is still accepted and journaled, marked with
its channel, and counted per channel.  A channel bound to that host, a channel
not in the table, and files (no channel) teach as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest.channel_hosts import (
    UNBOUND_CHANNEL,
    ChannelHostsError,
    channel_hosts_from_environment,
    parse_channel_hosts,
    read_channel_hosts,
    syslog_channel,
)
from ingest.host_clocks import HostClocks
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records
from ingest.pipeline_lines import ingest_lines
from ingest.replay import rebuild_ipmap

SYSMON = "Microsoft-Windows-Sysmon/Operational"
CONNECT_AT = 1603801737.069  # 2020-10-27 12:28:57.069 UTC
TABLE = """
# channel            hosts it may speak for
key:ws-shipper       ws-*
key:dc-shipper       dc-01 dc-02
syslog:10.20.0.0/24  dc-0?
"""


def sysmon_process(host: str = "DC-01.corp.local") -> dict[str, Any]:
    """A Sysmon 1 whose collector wrote local time (UTC-4) as UTC: it teaches ``host`` a -04:00 clock."""
    return {"EventID": 1, "Channel": SYSMON, "Hostname": host, "TimeCreated": "2020-10-27T08:28:57.070Z",
            "UtcTime": "2020-10-27 12:28:57.069", "Image": "C:\\Tools\\x.exe", "ProcessId": "10164",
            "ProcessGuid": "{1b8c4b5e-1111-2222-3333-444455556666}", "CommandLine": "x.exe"}


def sysmon_connect(host: str = "DC-01.corp.local", address: str = "10.9.0.7") -> dict[str, Any]:
    """A Sysmon 3 from ``address``: it claims the address for ``host`` an hour either side."""
    return {"EventID": 3, "Channel": SYSMON, "Hostname": host, "TimeCreated": "2020-10-27T12:28:57.070Z",
            "UtcTime": "2020-10-27 12:28:57.069", "Image": "C:\\Tools\\x.exe", "ProcessId": "10164",
            "ProcessGuid": "{1b8c4b5e-1111-2222-3333-444455556666}", "Protocol": "tcp", "Initiated": "true",
            "SourceIp": address, "SourcePort": "50000", "DestinationIp": "203.0.113.9", "DestinationPort": "443"}


def clock_runs(journal: Journal) -> dict[tuple[str, str], list[float]]:
    return {key: [run.offset for run in runs] for key, runs in HostClocks().load(journal.connection).runs.items()}


def holder(journal: Journal, address: str = "10.9.0.7") -> str | None:
    return IpHostMap().load(journal.connection).lookup(address, CONNECT_AT)


def ingest_as(journal: Journal, channel: str | None, table: str | None = TABLE) -> Any:
    return ingest_records([sysmon_process(), sysmon_connect()], store=None, journal=journal, channel=channel,
                          channel_hosts=None if table is None else parse_channel_hosts(table))


# -- the table ------------------------------------------------------------------


def test_the_table_binds_keys_and_syslog_peers_by_address_or_network() -> None:
    table = parse_channel_hosts(TABLE + "syslog:10.20.0.9 fw-*\n")
    assert table.binding("key:ws-shipper").allows("ws-0042")
    assert not table.binding("key:ws-shipper").allows("dc-01")
    assert table.binding("syslog:10.20.0.5").allows("dc-01")
    # an address's own line is narrower than its network's
    assert table.binding("syslog:10.20.0.9").patterns == ("fw-*",)
    assert table.binding(syslog_channel("::ffff:10.20.0.5")).channel == "syslog:10.20.0.0/24"
    assert table.binding("syslog:10.21.0.5") is None and table.binding("key:other") is None
    assert table.binding(None) is None


@pytest.mark.parametrize(("line", "reason"), [
    ("key:k1", "line 3: no hosts after the channel"),
    ("peer:10.0.0.1 dc-01", "line 3: 'peer:10.0.0.1' is no channel: syslog:<peer address or network> or key:<key id>"),
    ("syslog:10.0.0.300 dc-01", "line 3: 'syslog:10.0.0.300' names no peer address or network"),
    ("syslog:10.0.0.1/24 dc-01", "line 3: 'syslog:10.0.0.1/24' names no peer address or network"),
    ("key:k1 dc/01", "line 3: 'dc/01' is not a host name or pattern"),
    ("key: dc-01", "line 3: 'key:' names no key id"),
    ("key:ws-shipper dc-01", "line 3: key:ws-shipper is bound on an earlier line too"),
])
def test_a_bad_line_is_an_error_naming_the_line_and_the_reason(line: str, reason: str) -> None:
    with pytest.raises(ChannelHostsError) as caught:
        parse_channel_hosts("# comment\nkey:ws-shipper ws-*\n" + line + "\n", origin="table.txt")
    assert str(caught.value).startswith(f"table.txt {reason}"), str(caught.value)
    assert repr(line) in str(caught.value)


def test_the_file_is_named_by_the_variable_and_an_unreadable_one_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "channels.txt"
    path.write_text(TABLE, encoding="utf-8")
    assert channel_hosts_from_environment({"GRAPHSIEM_CHANNEL_HOSTS": str(path)}) is not None
    assert channel_hosts_from_environment({}) is None
    path.write_text("key:k1\n", encoding="utf-8")
    with pytest.raises(ChannelHostsError, match=rf"GRAPHSIEM_CHANNEL_HOSTS {path} line 1: no hosts"):
        read_channel_hosts(path)
    with pytest.raises(ChannelHostsError, match="cannot read"):
        read_channel_hosts(tmp_path / "missing.txt")


# -- the learners, through the pipeline --------------------------------------------


def test_a_bound_channel_speaking_for_another_host_teaches_neither_its_clock_nor_its_address(
    journal: Journal,
) -> None:
    report = ingest_as(journal, "key:ws-shipper")
    # still accepted, journaled and counted: received = accepted + rejected
    assert (report.total.received, report.total.accepted, report.total.rejected) == (2, 2, 0)
    assert report.to_dict()["unbound_channels"] == [{"channel": "key:ws-shipper", "records": 2}]
    assert clock_runs(journal) == {}
    assert holder(journal) is None
    marks = [row.event.fields.get(UNBOUND_CHANNEL) for row in journal.iter_events()]
    assert marks == ["key:ws-shipper", "key:ws-shipper"]
    # graphsiem rebuild learns the map again from the journal: the marked event still teaches nothing
    assert rebuild_ipmap(journal).lookup("10.9.0.7", CONNECT_AT) is None


@pytest.mark.parametrize("channel", ["key:dc-shipper", "key:not-in-the-table", None])
def test_a_channel_bound_to_the_host_one_not_in_the_table_and_a_file_teach_as_before(
    journal: Journal, channel: str | None,
) -> None:
    report = ingest_as(journal, channel)
    assert report.total.accepted == 2
    assert report.to_dict()["unbound_channels"] == []
    assert clock_runs(journal) == {("dc-01", "TimeCreated"): [-14400.0]}
    assert holder(journal) == "dc-01"
    assert all(UNBOUND_CHANNEL not in row.event.fields for row in journal.iter_events())


def test_without_a_table_every_channel_keeps_todays_trust(journal: Journal) -> None:
    ingest_as(journal, "key:ws-shipper", table=None)
    assert clock_runs(journal) == {("dc-01", "TimeCreated"): [-14400.0]}
    assert holder(journal) == "dc-01"


def test_a_forged_record_first_does_not_spend_the_hosts_own_clock_observation(journal: Journal) -> None:
    # the learner samples one record a minute per host: a refused one, first in the listener's
    # batch, must not take the turn of dc-01's own record of the same minute
    own = {**sysmon_process(), "ProcessId": "10165", "ProcessGuid": "{1b8c4b5e-1111-2222-3333-444455556667}"}
    lines = [f"<14>1 2020-10-27T12:28:57Z DC-01 nxlog - - - @cee: {json.dumps(record)}"
             for record in (sysmon_process(), own)]
    report = ingest_lines(lines, origin="syslog-udp/1", store=None, journal=journal, received_at=CONNECT_AT,
                          channels=["syslog:10.30.0.9", "syslog:10.20.0.5"],
                          channel_hosts=parse_channel_hosts(TABLE + "syslog:10.30.0.9 ws-*\n"))
    assert report.to_dict()["unbound_channels"] == [{"channel": "syslog:10.30.0.9", "records": 1}]
    assert clock_runs(journal) == {("dc-01", "TimeCreated"): [-14400.0]}


def test_a_record_cannot_claim_the_mark_for_itself(journal: Journal) -> None:
    # a channel bound to the host: a record naming the field itself is not believed
    record = {**sysmon_connect(), UNBOUND_CHANNEL: "key:someone-else"}
    ingest_records([record], store=None, journal=journal, channel="key:dc-shipper",
                   channel_hosts=parse_channel_hosts(TABLE))
    assert holder(journal) == "dc-01"


SYSLOG = "brimdata-zed-sample-data/zeek-default/syslog.log"


def test_sensor_clock_gaps_are_learnt_only_for_the_hosts_the_channel_speaks_for(
    samples_dir: Path, journal: Journal,
) -> None:
    # Brim's WRCCDC syslog.log through a key bound to the pc-* hosts: kramer's gap is no one's to teach
    report = ingest_paths([samples_dir / SYSLOG], store=None, journal=journal, progress=False,
                          channel="key:pcs", channel_hosts=parse_channel_hosts("key:pcs pc-*\n"))
    hosts = {gap["host"] for gap in report.to_dict()["clock_gaps"]}
    assert {"pc-helen", "pc-newman", "pc-susan"} <= hosts
    assert "kramer" not in hosts
    kramer = [row.event for row in journal.iter_events() if row.event.host == "kramer"]
    assert kramer and all(event.fields[UNBOUND_CHANNEL] == "key:pcs" for event in kramer)
    assert report.unbound_channels["key:pcs"] >= len(kramer)
    kept = {host for (host,) in journal.connection.execute("SELECT DISTINCT host FROM sensor_clock_gaps")}
    assert "kramer" not in kept and "pc-helen" in kept
