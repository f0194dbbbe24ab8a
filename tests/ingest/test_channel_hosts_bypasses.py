"""Ways around a channel's binding, closed (``ingest.channel_hosts``; review R26 of task CHAN).

A DHCP ACK that names no host is lent to the host its transaction's request named
(``ingest.ipmap_dhcp``): a channel bound to some hosts cannot see which, so its nameless
ACK teaches only when it may speak for every host.  A key the table does not list (a
rotated one) is bound by a ``key:*`` line; a table line written as an IPv4-mapped address
binds the IPv4 peer the listener reports; a host pattern with a domain, which matches no
host name the graph writes, is refused; and an event whose fields are a ``dict`` subclass
(which the pipeline's checks accept) is judged like any other.
"""

from __future__ import annotations

from typing import Any

import pytest

from graphsiem.model import Event
from ingest.channel_hosts import (
    UNBOUND_CHANNEL,
    ChannelBinding,
    ChannelHosts,
    ChannelHostsError,
    mark_unbound,
    parse_channel_hosts,
    syslog_channel,
)
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.pipeline import ingest_records
from ingest.replay import rebuild_ipmap
from tests.ingest.test_channel_hosts import CONNECT_AT, TABLE, clock_runs, holder, ingest_as

ACK_AT = 1603801737.0  # 2020-10-27 12:28:57 UTC


def suricata_dhcp(message_type: str, *, at: str, assigned: str | None = None, name: str | None = None) -> dict[str, Any]:
    """A Suricata EVE DHCP message of transaction 424242 from the client aa:bb:cc:dd:ee:ff."""
    dhcp: dict[str, Any] = {"type": "reply" if message_type == "ack" else "request", "id": 424242,
                            "client_mac": "aa:bb:cc:dd:ee:ff", "dhcp_type": message_type}
    if assigned:
        dhcp["assigned_ip"] = assigned
    if name:
        dhcp["hostname"] = name
    return {"timestamp": at, "event_type": "dhcp", "src_ip": "10.9.0.1", "src_port": 67,
            "dest_ip": "255.255.255.255", "dest_port": 68, "proto": "UDP", "dhcp": dhcp}


REQUEST = suricata_dhcp("request", at="2020-10-27T12:28:50.000000+0000", name="DC-01")
ACK = suricata_dhcp("ack", at="2020-10-27T12:28:57.000000+0000", assigned="10.9.0.7")


def bound(table: ChannelHosts, channel: str | None) -> ChannelBinding:
    """The table's line for ``channel``, which must have one."""
    binding = table.binding(channel)
    assert binding is not None, channel
    return binding


def lease_holder(journal: Journal) -> str | None:
    return IpHostMap().load(journal.connection).lookup("10.9.0.7", ACK_AT + 10)


def test_a_bound_channels_nameless_dhcp_ack_lends_no_address_to_the_host_another_channels_request_named(
    journal: Journal,
) -> None:
    table = parse_channel_hosts("key:sensor *\nkey:ws-shipper ws-*\n")
    # the fleet's sensor logs dc-01's request; a channel bound to ws-* sends an ACK of its transaction
    ingest_records([REQUEST], store=None, journal=journal, channel="key:sensor", channel_hosts=table)
    report = ingest_records([ACK], store=None, journal=journal, channel="key:ws-shipper", channel_hosts=table)
    assert (report.total.received, report.total.accepted, report.total.rejected) == (1, 1, 0)
    assert report.to_dict()["unbound_channels"] == [{"channel": "key:ws-shipper", "records": 1}]
    assert lease_holder(journal) is None
    assert rebuild_ipmap(journal).lookup("10.9.0.7", ACK_AT + 10) is None


def test_a_nameless_dhcp_ack_teaches_from_a_channel_that_may_speak_for_every_host(journal: Journal) -> None:
    table = parse_channel_hosts("key:sensor *\n")
    ingest_records([REQUEST], store=None, journal=journal, channel="key:sensor", channel_hosts=table)
    report = ingest_records([ACK], store=None, journal=journal, channel="key:sensor", channel_hosts=table)
    assert report.to_dict()["unbound_channels"] == []
    assert lease_holder(journal) == "dc-01"


def test_a_key_star_line_binds_every_key_the_table_does_not_list(journal: Journal) -> None:
    table = parse_channel_hosts(TABLE + "key:* pc-*\n")
    assert bound(table, "key:rotated-7f3e").channel == "key:*"
    assert bound(table, "key:ws-shipper").patterns == ("ws-*",)  # a listed key keeps its own line
    report = ingest_as(journal, "key:rotated-7f3e", table=TABLE + "key:* pc-*\n")
    # counted under the key that sent them, not under the table's line
    assert report.to_dict()["unbound_channels"] == [{"channel": "key:rotated-7f3e", "records": 2}]
    assert clock_runs(journal) == {}
    assert holder(journal) is None
    assert all(row.event.fields[UNBOUND_CHANNEL] == "key:rotated-7f3e" for row in journal.iter_events())


def test_a_table_line_written_as_an_ipv4_mapped_address_binds_the_ipv4_peer() -> None:
    table = parse_channel_hosts("syslog:::ffff:10.20.0.5 dc-01\nsyslog:::ffff:10.30.0.0/120 ws-*\n")
    # the listener names a dual-stack peer by its IPv4 address (syslog_channel)
    assert bound(table, syslog_channel("10.20.0.5")).channel == "syslog:10.20.0.5"
    assert bound(table, syslog_channel("::ffff:10.30.0.9")).channel == "syslog:10.30.0.0/24"


@pytest.mark.parametrize("pattern", ["dc-01.corp.local", "*.corp.local", "ws-*.corp"])
def test_a_host_pattern_with_a_domain_is_refused_naming_the_line(pattern: str) -> None:
    with pytest.raises(ChannelHostsError) as caught:
        parse_channel_hosts(f"key:k1 ws-*\nkey:k2 {pattern}\n", origin="table.txt")
    assert str(caught.value).startswith(f"table.txt line 2: {pattern!r} has a domain"), str(caught.value)


def test_an_address_pattern_with_dots_is_still_a_pattern() -> None:
    # a host the graph names by its address (no name known) is written with dots
    assert bound(parse_channel_hosts("key:k1 10.20.1.*\n"), "key:k1").allows("10.20.1.7")


class _Fields(dict):  # type: ignore[type-arg]
    """A parser's fields of its own mapping type: the pipeline's checks take any dict."""


def test_an_event_whose_fields_are_a_dict_subclass_is_judged_too() -> None:
    binding = bound(parse_channel_hosts("key:ws ws-*\n"), "key:ws")
    event = Event("", "sysmon:network_connect", CONNECT_AT, "dc-01", "winlogbeat", _Fields({"host.ip": "10.9.0.7"}))
    assert mark_unbound([event], binding, "key:ws")
    assert event.fields[UNBOUND_CHANNEL] == "key:ws"


def test_a_lease_in_an_event_of_an_allowed_host_is_judged_by_the_leased_host() -> None:
    # the IP map reads a lease before the event's host (IpHostMap.observe): dc-01's lease rides
    # on an event of ws-7, which the channel may speak for
    binding = bound(parse_channel_hosts("key:ws ws-*\n"), "key:ws")
    fields = {"dhcp.assigned_ip": "10.9.0.7", "dhcp.hostname": "dc-01", "dhcp.message_types": ["ACK"]}
    event = Event("", "mde:network_info", ACK_AT, "ws-7", "mde", dict(fields))
    assert mark_unbound([event], binding, "key:ws")
    ipmap = IpHostMap()
    assert not ipmap.observe(event)
    assert ipmap.lookup("10.9.0.7", ACK_AT + 10) is None
    own = Event("", "mde:network_info", ACK_AT, "ws-7", "mde", {**fields, "dhcp.hostname": "ws-7"})
    assert not mark_unbound([own], binding, "key:ws")
