"""The default fleet exercises the graph features the ingest learnt: drivers, SID principals, Zeek logons.

* ``byovd`` (attack): a dozen workstations install ``RTCore64.sys`` from a temporary folder as a
  kernel service within minutes (Sysmon 11 of the drop, System 7045 + Security 4697 of a
  kernel-mode driver): the graph has ``host INSTALLED file`` on exactly those hosts.
* ``vendor_driver`` (benign): the DLP agent's filter driver re-registered every day on every host.
* ``lateral_movement``: the attacker's account registers a boot task whose principal is the
  account's SID; the graph's ``RUN_AS`` is the named user ``corp\\svc-deploy``, learnt from the
  account's 4624s, which carry one ``TargetUserSid`` per account.  Its network logons are also in
  Zeek ``kerberos.log`` and ``ntlm.log`` (JSON and TSV), which the ingest reads as log-ons.

The small default fleet (``small_run``, 30 hosts, 2 days) goes through the real ingest into an
embedded store.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from graphsiem.simulator import simulate
from graphsiem.simulator.scenario import ScenarioError, parse_scenario
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.parsers.task_definitions import parse_task_content
from ingest.pipeline import ingest_paths
from tests.graphsiem.simulator.conftest import computer_name, event_data, event_id

DRIVER = ("file", "c:\\windows\\temp\\rtcore64.sys")
VENDOR_DRIVER = ("file", "c:\\windows\\system32\\drivers\\corpdlpflt.sys")
SVC_DEPLOY = ("user", "corp\\svc-deploy")


def _scenario(truth: dict, name: str) -> dict:
    return next(s for s in truth["scenarios"] if s["name"] == name)


def _short(collector: str, record: dict) -> str:
    return computer_name(collector, record).split(".")[0].lower()


@pytest.fixture(scope="module")
def graph(small_run, tmp_path_factory):
    """The small default fleet's whole output ingested into an embedded store."""
    out, summary = small_run
    root = tmp_path_factory.mktemp("graph-features")
    store = EmbeddedStore(root / "graph")
    with Journal(root / "journal.sqlite") as journal:
        report = ingest_paths([out / "endpoint", out / "network"], store=store, journal=journal, progress=False)
    assert (report.total.received, report.total.rejected) == (summary.total_events, 0)
    yield store
    store.close()


def test_ground_truth_lists_byovd_as_an_attack_pivoting_on_the_installed_driver(truth):
    byovd = _scenario(truth, "byovd")
    assert byovd["kind"] == "attack" and byovd["host_count"] == 12
    assert byovd["pivot"] == {"type": "file", "value": "C:\\Windows\\Temp\\RTCore64.sys"}
    assert {"type": "file", "value": "C:\\Windows\\Temp\\RTCore64.sys", "host_count": 12} in byovd["indicators"]
    assert byovd["window"][0][:10] == truth["detection_window"][0][:10]


def test_byovd_hosts_drop_the_driver_then_install_it_as_a_kernel_service(truth, endpoint_records):
    hosts = set(_scenario(truth, "byovd")["hosts"])
    drops, installs, audits, names = {}, {}, {}, {}
    for collector, record in endpoint_records:
        data, number, host = event_data(collector, record), event_id(collector, record), _short(collector, record)
        if number == 11 and data["TargetFilename"] == "C:\\Windows\\Temp\\RTCore64.sys":
            drops[host] = data["UtcTime"]
        elif number == 7045 and data["ImagePath"] == "\\??\\C:\\Windows\\Temp\\RTCore64.sys":
            installs[host] = data
        elif number == 4697 and data["ServiceFileName"] == "\\??\\C:\\Windows\\Temp\\RTCore64.sys":
            audits[host] = data
        elif number == 1 and data["Image"].endswith("\\sc.exe"):
            names[host] = re.search(r"sc\.exe create (\w+) type= kernel", data["CommandLine"]).group(1)
    assert set(drops) == set(installs) == set(audits) == set(names) == hosts
    for host, data in installs.items():
        assert (data["ServiceType"], data["StartType"], data["AccountName"]) == ("kernel mode driver", "demand start", "")
        assert data["ServiceName"] == names[host] == audits[host]["ServiceName"]  # sc.exe created what 7045 logs
        assert audits[host]["ServiceType"] == "0x1"
    assert len(set(names.values())) == len(hosts)  # a random name per host


def test_the_graph_has_host_installed_file_on_exactly_the_byovd_hosts(graph, truth):
    installed = defaultdict(set)
    for relation in graph.iter_relations("INSTALLED"):
        installed[relation.dst].add(relation.src[1])
    assert installed[DRIVER] == set(_scenario(truth, "byovd")["hosts"])
    assert graph.get_entity(*DRIVER).props.get("service")  # its service name: detection words it a driver


def test_the_vendor_driver_is_installed_every_day_on_every_host(graph, truth, endpoint_records):
    fleet = {h["host"] for h in truth["fleet"]}
    assert set(_scenario(truth, "vendor_driver")["hosts"]) == fleet
    days = defaultdict(set)
    for collector, record in endpoint_records:
        data = event_data(collector, record)
        if event_id(collector, record) == 7045 and data["ServiceName"] == "CorpDlpFlt":
            assert (data["ImagePath"], data["ServiceType"]) == (
                "\\SystemRoot\\System32\\drivers\\corpdlpflt.sys", "file system driver")
            days[_short(collector, record)].add(str(record.get("@timestamp") or record.get("EventTime"))[:10])
    assert set(days) == fleet and all(len(seen) == truth["days"] for seen in days.values())
    hosts = {r.src[1] for r in graph.iter_relations("INSTALLED") if r.dst == VENDOR_DRIVER}
    assert hosts == fleet


def _sids(endpoint_records) -> dict[str, set[str]]:
    """Account (``domain\\name`` lower case) -> every SID a 4624 gave it as its target."""
    sids: dict[str, set[str]] = defaultdict(set)
    for collector, record in endpoint_records:
        if event_id(collector, record) == 4624:
            data = event_data(collector, record)
            sids[f"{data['TargetDomainName']}\\{data['TargetUserName']}".lower()].add(data["TargetUserSid"])
    return sids


def test_4624_target_sids_are_one_per_account_and_the_accounts_sid_everywhere(endpoint_records):
    sids = _sids(endpoint_records)
    assert len(sids) > 10 and all(len(values) == 1 for values in sids.values())
    owners = defaultdict(set)
    for account, values in sids.items():
        owners[next(iter(values))].add(account)
    assert all(len(accounts) == 1 for accounts in owners.values())
    # the SID a 4624 names is the one the account's other events (4698's subject) carry
    subjects = {event_data(c, r)["SubjectUserSid"] for c, r in endpoint_records
                if event_id(c, r) == 4698 and event_data(c, r)["SubjectUserName"] == "svc-deploy"}
    assert subjects == sids["corp\\svc-deploy"]


def test_the_boot_task_names_its_principal_by_the_accounts_sid(truth, endpoint_records):
    servers = set(_scenario(truth, "lateral_movement")["hosts"]) - {
        h["host"] for h in truth["fleet"] if h["group"] != "servers"}
    tasks = {_short(c, r): parse_task_content(event_data(c, r)["TaskContent"]) for c, r in endpoint_records
             if event_id(c, r) == 4698 and "Scheduled Maintenance" in event_data(c, r)["TaskName"]}
    assert set(tasks) == servers and servers
    assert {task.user for task in tasks.values()} == _sids(endpoint_records)["corp\\svc-deploy"]
    assert all(task.user.startswith("S-1-5-21-") for task in tasks.values())


def test_the_task_runs_as_the_named_domain_user_in_the_graph(graph, truth):
    task = [e for e in graph.iter_entities("process") if e.props.get("task") == "\\Microsoft\\Windows\\WindowsUpdate\\Scheduled Maintenance"]
    assert len(task) == 1
    ref = ("process", task[0].key)
    assert {r.dst for r in graph.iter_relations("RUN_AS") if r.src == ref} == {SVC_DEPLOY}
    assert not [e for e in graph.iter_entities("user") if e.key.startswith("s-1-5-21-")]
    installed = {r.src[1] for r in graph.iter_relations("INSTALLED") if r.dst == ref}
    assert installed and installed <= set(_scenario(truth, "lateral_movement")["hosts"])


def test_lateral_movement_logons_are_in_zeek_kerberos_and_ntlm_logs(truth, zeek_records):
    lateral = _scenario(truth, "lateral_movement")
    servers = {h for h in lateral["hosts"] if h.startswith("srv-")}
    kerberos = [r for r in zeek_records["kerberos"] if r["client"] == "svc-deploy/CORP.EXAMPLE"]
    ntlm = zeek_records["ntlm"]
    assert kerberos and all(r["success"] for r in kerberos)
    # the others are users asking the KDC at their own machines (simulator.sensor_credentials): AS only
    assert all(r["request_type"] == "AS" for r in zeek_records["kerberos"] if r["client"] != "svc-deploy/CORP.EXAMPLE")
    tickets = [r for r in kerberos if r["request_type"] == "TGS"]
    assert {r["service"].split("/", 1)[1].split(".")[0] for r in tickets} == servers
    assert {r["service"] for r in kerberos if r["request_type"] == "AS"} == {"krbtgt/CORP.EXAMPLE"}
    assert {(r["domainname"], r["username"]) for r in ntlm} == {("CORP", "svc-deploy")}
    assert {r["server_nb_computer_name"].lower() for r in ntlm} == servers
    assert {r["hostname"].lower() for r in ntlm} == set(lateral["hosts"]) - servers  # the source workstation


def test_the_zeek_logons_alone_give_the_user_logged_on(small_run, zeek_records, tmp_path):
    """Only the network folder: a Kerberos AS request is the user LOGGED_ON the KDC, an NTLM session the
    user LOGGED_ON the server (its address: servers are static, no DHCP names them on the wire).  The
    Kerberos account keeps its realm whole (the ingest's rule), the NTLM one is corp\\svc-deploy."""
    out, _ = small_run
    store = EmbeddedStore(tmp_path / "graph")
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            report = ingest_paths([out / "network"], store=store, journal=journal, progress=False)
        assert report.total.rejected == 0
        logged_on = {(r.src, r.dst) for r in store.iter_relations("LOGGED_ON")}
    finally:
        store.close()
    servers = {("ip", r["id.resp_h"]) for r in zeek_records["ntlm"]}
    assert servers and {(SVC_DEPLOY, ip) for ip in servers} <= logged_on
    # users who got their password right at their own machines log on at the KDC too (sensor_credentials)
    assert {user for user, server in logged_on if server == ("ip", "10.1.0.11") and user[0] == "user"
            and user[1].endswith("\\svc-deploy")} == {_kerberos_user(logged_on)}


def _kerberos_user(logged_on: set) -> tuple[str, str]:
    """The user node the KDC's log-on gave svc-deploy (named by the realm, however the ingest words it)."""
    # the client's host logs on too (task G4): only the user nodes are the account's
    users = {user for user, server in logged_on if server == ("ip", "10.1.0.11") and user[0] == "user"
             and user[1].rpartition("\\")[2] == "svc-deploy"}
    assert len(users) == 1, users
    return next(iter(users))


def test_zeek_tsv_writes_the_logon_logs_with_their_headers_and_they_ingest(tmp_path):
    out = tmp_path / "tsv"
    simulate(out, hosts=24, days=1, seed=3, zeek_tsv=True, scenarios=["lateral_movement"])
    for log in ("kerberos", "ntlm"):
        lines = (out / "network" / f"{log}.log").read_text(encoding="utf-8").splitlines()
        assert lines[4] == f"#path\t{log}" and lines[-1].startswith("#close")
        assert len([line for line in lines if not line.startswith("#")]) >= 3
    store = EmbeddedStore(tmp_path / "graph")
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            report = ingest_paths([out / "network"], store=store, journal=journal, progress=False)
        assert report.total.rejected == 0
        assert _kerberos_user({(r.src, r.dst) for r in store.iter_relations("LOGGED_ON")})
    finally:
        store.close()


def test_an_unknown_logon_package_is_refused_with_its_place():
    document = {"name": "t", "label": "t", "kind": "benign", "hosts": {"group": "any"},
                "activities": [{"schedule": {"every": "once"}, "steps": [{"action": "logon", "package": "digest"}]}]}
    with pytest.raises(ScenarioError, match=r"activities\[0\]\.steps\[0\]\.package: expected one of kerberos, ntlm"):
        parse_scenario(document)
