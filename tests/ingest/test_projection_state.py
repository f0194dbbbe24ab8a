"""The join state (ingest.projection_state): saved, restored, and refused when unreadable."""

from __future__ import annotations

import pytest

from ingest import projection_state
from ingest.projection import Projector
from tests.ingest.test_projection import PS, PS_CMD, ev, process_key
from tests.ingest.test_projection_names import SSL, X509
from tests.ingest.test_projection_network import ZEEK_RECORDS, graph, lease, parsed

SVCHOST = "C:\\Windows\\System32\\svchost.exe"
NETSVCS = SVCHOST + " -k netsvcs -p"
SVCW = "C:\\Users\\Public\\svcw.exe"


def _taught_projector() -> Projector:
    """A projector that has learnt one of each join: process GUID and pid, file id, certificate and server."""
    projector = Projector(lease("192.0.2.10", "ws-10"))
    projector.project([
        ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD,
           process__guid="g-1", process__pid=4242),
        ev("zeek:http", host=None, event_id="h", source__ip="192.0.2.10", destination__ip="198.51.100.1",
           url__full="http://dl.example/p.exe", url__domain="dl.example", zeek__resp_fuids=["Fx"]),
        ev("zeek:files", host=None, event_id="f", source__ip="198.51.100.1", destination__ip="192.0.2.10",
           file__hash__sha256="ef" * 32, zeek__fuid="Fy"),
        parsed(ZEEK_RECORDS["files_is_orig"], "w"),  # an HTTP download waiting for its http record
        parsed(SSL, "s"),
        parsed({**X509, "fingerprint": "99"}, "x"),
        # the first of two parts of a long PowerShell block, waiting for the second
        ev("powershell:script_block", event_id="b1", process__pid=4242, powershell__script_block_text="IEX (New-",
           powershell__script_block_id="blk-1", powershell__message_number=1, powershell__message_total=2),
        # a service install: the names its command was installed as
        ev("windows:service_installed", event_id="i1", service__name="EvilSvcDll", process__executable=SVCHOST,
           process__command_line=NETSVCS),
        # a logon names an account's SID: a task principal given as that SID is the account
        ev("winsec:logon", event_id="l1", user__name="corp\\adm-jdoe", user__id="S-1-5-21-1-2-3-1104"),
        # a host naming its own machine account: its DNS domain (a Kerberos realm) is that NetBIOS domain
        ev("winsec:special_privileges", event_id="m1", host__name__original="WS-10.corp.example",
           user__name="corp\\ws-10$", user__id="S-1-5-18"),
        # a KDC's event: its host is a domain controller (its 4776 accounts are in its domain)
        ev("winsec:kerberos_service_ticket", event_id="k1", user__name="corp.example\\alice"),
        # a WMI consumer whose template WMI fills when it runs: its runs are related to it
        ev("sysmon:wmi_consumer", event_id="c1", wmi__consumer__type="Command Line",
           wmi__consumer__destination=f'"{SVCW} %TargetInstance.ProcessId%"', process__executable=SVCW,
           process__command_line=f"{SVCW} %TargetInstance.ProcessId%"),
        # a process WMI started: it waits for a consumer journaled after it
        ev("sysmon:process_create", event_id="r0", process__executable="C:\\Users\\Public\\upd.exe",
           process__command_line="C:\\Users\\Public\\upd.exe 4242",
           process__parent__executable="C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"),
    ])
    return projector


def test_a_restored_join_state_is_the_state_it_was_taken_from():
    taught = _taught_projector()
    fresh = Projector()
    assert fresh.restore_join_state(taught.join_state())
    for name in projection_state.JOINS:
        assert getattr(fresh, name) == getattr(taught, name), name
        assert getattr(taught, name), f"{name} was not taught: the test would prove nothing"
    assert fresh.join_state() == taught.join_state()


def test_a_restored_projector_joins_what_the_one_it_came_from_would():
    """Later events get the same graph from the original and from a projector restored from its state."""
    later = [
        ev("sysmon:network_connect", event_id="n", process__executable=PS, process__guid="g-1",
           destination__ip="203.0.113.5"),
        ev("powershell:script_block", event_id="p", process__pid=4242, powershell__script_block_text="IEX x"),
        ev("powershell:script_block", event_id="b2", process__pid=4242, powershell__script_block_text="Object)",
           powershell__script_block_id="blk-1", powershell__message_number=2, powershell__message_total=2),
        ev("zeek:files", host=None, event_id="f2", source__ip="198.51.100.1", destination__ip="192.0.2.10",
           file__hash__sha256="ab" * 32, zeek__fuid="Fx"),
        ev("zeek:http", host=None, event_id="h2", source__ip="192.0.2.10", destination__ip="198.51.100.1",
           url__full="http://dl.example/q.exe", url__domain="dl.example", zeek__resp_fuids=["Fy"]),
        parsed(X509, "x2"),
        parsed({**SSL, "cert_chain_fps": ["99"]}, "s2"),
        # names the URL of the download that waited for it (FJ2)
        ev("zeek:http", host=None, event_id="h3", source__ip="192.0.2.10", destination__ip="203.0.113.7",
           url__full="http://dl.example/r.exe", url__domain="dl.example", zeek__resp_fuids=["FJ2"]),
        # the same command installed as another service: both names on the node
        ev("windows:service_installed", event_id="i2", service__name="BITS", process__executable=SVCHOST,
           process__command_line=NETSVCS),
        ev("windows:task_created", event_id="t1", task__name="\\Sync", process__executable=PS,
           process__command_line=PS_CMD, user__name="s-1-5-21-1-2-3-1104"),
        # a Kerberos principal of the learnt realm: corp\\bob
        ev("zeek:kerberos", host=None, event_id="k1", source__ip="192.0.2.10", destination__ip="192.0.2.53",
           user__name="corp.example\\bob", event__outcome="success", kerberos__request_type="AS"),
        # a run of the templated consumer: the host ran the installed command too
        ev("sysmon:process_create", event_id="r1", process__executable=SVCW, process__command_line=f"{SVCW} 4242",
           process__parent__executable="C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"),
    ]
    restored = Projector(lease("192.0.2.10", "ws-10"))
    assert restored.restore_join_state(_taught_projector().join_state())
    expected = graph(_taught_projector().project(later))
    projection = restored.project(later)
    assert graph(projection) == expected
    [installed] = [e for e in projection.entities if e.props.get("service")]
    assert installed.props["services"] == ["BITS", "EvilSvcDll"]
    assert {r.dst for r in projection.relations if r.type == "RUN_AS"} == {("user", "corp\\adm-jdoe")}
    installed = ("process", process_key(SVCW, f"{SVCW} %TargetInstance.ProcessId%"))
    assert ("host", "ws-1") in {r.src for r in projection.relations if r.type == "RAN" and r.dst == installed}
    assert graph(Projector(lease("192.0.2.10", "ws-10")).project(later)) != expected  # the state matters


@pytest.mark.parametrize("state", [
    b"", b"not json", b"[]", b'{"version": 99}', b'{"version": 1}',
    b'{"version": 1, "_processes": [[{"a": 1}, 2]], "_fuid_file": [], "_fuid_url": [],'
    b' "_cert_names": [], "_cert_servers": []}',
])
def test_a_join_state_that_cannot_be_read_changes_nothing(state):
    projector = _taught_projector()
    before = projector.join_state()
    assert projector.restore_join_state(state) is False
    assert projector.join_state() == before
