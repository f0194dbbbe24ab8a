"""Sysmon 3: which end of a connection is the event's own host (``host.ip``), and the PTR name."""

from __future__ import annotations

import pytest

from graphsiem.model import Event
from ingest.parsers.base import ParseContext
from ingest.parsers.windows import parsers

NXLOG = next(parser for parser in parsers() if parser.name == "nxlog")


def _sysmon_3(source: str, destination: str, initiated: str | None, computer: str = "HFDC01.shire.com",
              **extra: str) -> Event:
    """A flat (NXLog) Sysmon 3 record: ``source``/``destination`` are ``ip:port[/hostname]``."""
    record = {"Hostname": computer, "EventID": 3, "Channel": "Microsoft-Windows-Sysmon/Operational",
              "UtcTime": "2019-05-18 19:36:00.000", "Image": "C:\\Windows\\System32\\svchost.exe",
              "ProcessId": "880", "Protocol": "tcp", **extra}
    if initiated is not None:
        record["Initiated"] = initiated
    for side, text in (("Source", source), ("Destination", destination)):
        address, _, hostname = text.partition("/")
        ip, _, port = address.rpartition(":")
        record[f"{side}Ip"], record[f"{side}Port"] = ip, port
        record[f"{side}Hostname"] = hostname or "-"
    [event] = NXLOG.parse(record, ParseContext(origin="fixture:1"))
    return event


@pytest.mark.parametrize(
    ("source", "destination", "initiated", "local"),
    [
        # 1. the side named as the computer, whatever Initiated says the roles are
        ("172.18.39.5:135/HFDC01.shire.com", "172.18.39.106:53118/HR001", "false", "172.18.39.5"),
        ("172.18.39.5:49667/HFDC01.shire.com", "172.18.39.106:53120/HR001", "false", "172.18.39.5"),
        ("172.18.39.106:53120/HR001", "172.18.39.5:49667/hfdc01", "false", "172.18.39.5"),
        ("172.18.39.5:57638/HFDC01.shire.com", "172.18.39.102:5985", "true", "172.18.39.5"),
        ("172.18.39.5:57638/HFDC01", "172.18.39.102:5985", "true", "172.18.39.5"),  # short name
        ("172.18.39.5:57638/hfdc01.shire.com.", "172.18.39.102:5985", "true", "172.18.39.5"),
        # 2. no name: the source of an initiated connection, else the listening end
        ("172.18.38.5:53", "172.18.39.5:63162", "false", "172.18.38.5"),  # MORDORDC dns.exe
        ("172.18.38.6:53725", "172.18.38.5:135", "false", "172.18.38.5"),
        ("172.18.39.5:50694", "104.40.17.153:443", "true", "172.18.39.5"),
        ("172.18.39.5:50694", "104.40.17.153:443", "1", "172.18.39.5"),
        # ... and both ends named as the computer: the rule's side, or the one address
        ("::1:63704/HFDC01", "::1:389/HFDC01", "false", "::1"),
        ("127.0.0.1:49162/HFDC01", "127.0.0.1:49163/HFDC01", "false", "127.0.0.1"),
        ("10.0.0.1:50001/HFDC01", "10.0.0.2:50002/HFDC01", "true", "10.0.0.1"),
        # 3. cannot be told
        ("172.18.38.6:53726", "172.18.38.5:49674", "false", None),  # both ports ephemeral
        ("172.18.38.6:445", "172.18.38.5:135", "false", None),  # both ports listening
        ("172.18.38.6:53726", "172.18.38.5:135", None, None),  # no Initiated
        ("10.0.0.1:50001/HFDC01", "10.0.0.2:50002/HFDC01", "false", None),
        # a name (a PTR its owner writes) that contradicts the roles proves nothing
        ("172.18.39.5:50000", "198.51.100.66:443/HFDC01", "true", None),
        ("172.18.39.5:50000/-", "198.51.100.66:443/hfdc01.shire.com", "true", None),
        # when only a name decides, an outside address that names our computer is a crafted
        # PTR (the review's case: it mapped the attacker's IP to hfdc01), not our address
        ("198.51.100.66:50123/HFDC01", "172.18.39.5:49667", "false", None),
        ("198.51.100.66:50123/hfdc01.", "172.18.39.5:49667", "false", None),
        ("172.18.39.5:50123/HFDC01", "172.18.39.7:49667", "false", "172.18.39.5"),  # an internal one is
        # a name of another domain is another machine, not this one
        ("172.18.39.5:135", "198.51.100.66:53118/HFDC01.evil.example", "false", "172.18.39.5"),
        ("172.18.39.5:50000", "198.51.100.66:53118/HFDC01.evil.example", "false", None),
        # a group address is never the host's (SSDP: the group is the listening end)
        ("239.255.255.250:1900", "127.0.0.1:61629", "false", None),
        ("0.0.0.0:1900", "10.0.0.7:61629", "false", None),
    ],
)
def test_host_ip_is_the_local_end(source: str, destination: str, initiated: str | None, local: str | None) -> None:
    event = _sysmon_3(source, destination, initiated)
    assert event.fields.get("host.ip") == local
    # "not told" is said, so the IP map can tell it from an event journaled before the rule
    assert event.fields.get("host.ip_unknown", False) is (local is None)
    # the ends stay as Sysmon wrote them
    assert event.fields["source.ip"] + ":" + str(event.fields["source.port"]) == source.partition("/")[0]


def test_sides_are_kept_as_written_and_direction_follows_initiated() -> None:
    event = _sysmon_3("172.18.39.5:135/HFDC01.shire.com", "172.18.39.106:53118/HR001", "false")
    fields = event.fields
    assert (fields["source.ip"], fields["source.port"]) == ("172.18.39.5", 135)
    assert (fields["destination.ip"], fields["destination.port"]) == ("172.18.39.106", 53118)
    assert fields["network.direction"] == "inbound"


def test_no_host_ip_without_the_chosen_address() -> None:
    event = _sysmon_3("not-an-ip:50000", "104.40.17.153:443", "true")
    assert "source.ip" not in event.fields and "host.ip" not in event.fields


@pytest.mark.parametrize(
    ("hostname", "ptr"),
    [("Login.MicrosoftOnline.com.", "login.microsoftonline.com"), ("HR001", "hr001"), ("-", None),
     ("bad name!", None), ("203.0.113.250", None)],
)
def test_destination_hostname_is_a_ptr_name_not_a_domain(hostname: str, ptr: str | None) -> None:
    event = _sysmon_3("10.0.0.7:50000", "203.0.113.250:443/" + hostname, "true")
    assert event.fields.get("destination.ptr") == ptr
    assert "destination.domain" not in event.fields


@pytest.mark.parametrize(
    ("hostname", "ptr"),
    [("scanner.Evil.example.", "scanner.evil.example"), ("HR001", "hr001"), ("-", None), ("bad name!", None)],
)
def test_source_hostname_is_a_ptr_name_too(hostname: str, ptr: str | None) -> None:
    # an inbound connection: the source is the remote peer, whose owner writes its reverse name
    event = _sysmon_3("198.51.100.9:50000/" + hostname, "172.18.39.5:3389/HFDC01.shire.com", "false")
    assert event.fields.get("source.ptr") == ptr
    assert "source.domain" not in event.fields
