"""Task principals and service accounts given as an account's SID are the account's user node.

A scheduled task's ``<UserId>`` (4698, MDE ``TaskContent``) or a 4697 ``ServiceAccount`` may be a
domain SID (``S-1-5-21-...-1104``); the account's logons name it ``corp\\adm-jdoe``.  The projection
learns SID -> name from events that carry both (4624 ``TargetUserSid``, 4672 and 4688
``SubjectUserSid``, an ECS successful authentication or process start's ``user.id``), fleet-wide,
in its join state; a principal seen before any of them keeps its SID node.  Records go through the real pipeline, journal and embedded store.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ingest import projection_endpoint
from tests.ingest.parsers.test_mde_persistence import TASK_JSON, row
from tests.ingest.parsers.test_windows_persistence import SERVICE_4697, TASK_4698, TASK_XML
from tests.ingest.parsers.test_windows_variants import _winlogbeat, ingest_into
from tests.ingest.test_projection_variants import one_record_per_call

SID = "S-1-5-21-3623811015-3361044348-30300820-1104"
ACCOUNT = ("user", "corp\\adm-jdoe")
BY_SID = ("user", SID.lower())


@pytest.fixture
def ingest(tmp_path):
    yield from ingest_into(tmp_path)


def _record(event_id: int, data: dict[str, Any], record_id: int, host: str = "WS-0042",
            channel: str = "Security") -> dict[str, Any]:
    record = _winlogbeat(event_id, data, channel=channel, record_id=record_id)
    record["winlog"]["computer_name"] = f"{host}.corp.example.com"
    return record


def _logon(record_id: int, sid: str = SID, name: str = "adm-jdoe", host: str = "DC01") -> dict[str, Any]:
    return _record(4624, {"TargetUserSid": sid, "TargetUserName": name, "TargetDomainName": "CORP",
                          "LogonType": "3", "IpAddress": "-"}, record_id, host)


def _task(record_id: int, user_id: str = SID, host: str = "WS-0042") -> dict[str, Any]:
    return _record(4698, {**TASK_4698, "TaskContent": TASK_XML.replace("S-1-5-18", user_id)}, record_id, host)


def _run_as(got) -> set:
    return {user for _, user in got.edges("RUN_AS")}


def test_a_task_principal_given_as_a_sid_is_the_account_a_logon_on_another_host_named(ingest) -> None:
    got = ingest(_logon(1), _task(2))
    assert _run_as(got) == {ACCOUNT}
    assert BY_SID[1] not in got.entities("user")
    assert got.events[0].fields["user.id"] == SID


@pytest.mark.parametrize("teacher", [
    {"event_id": 4672, "data": {"SubjectUserSid": SID, "SubjectUserName": "adm-jdoe", "SubjectDomainName": "CORP",
                                "PrivilegeList": "SeDebugPrivilege"}},
    {"event_id": 4688, "data": {"SubjectUserSid": SID, "SubjectUserName": "adm-jdoe", "SubjectDomainName": "CORP",
                                "TargetUserSid": "S-1-0-0", "TargetUserName": "-", "TargetDomainName": "-",
                                "NewProcessName": "C:\\Windows\\System32\\cmd.exe", "NewProcessId": "0x1a0",
                                "ProcessId": "0x10", "CommandLine": "cmd.exe"}},
], ids=["4672", "4688"])
def test_a_service_account_given_as_a_sid_is_learnt_from_the_subject_of_4672_and_4688(ingest, teacher) -> None:
    service = _record(4697, {**SERVICE_4697, "ServiceAccount": SID}, 2)
    got = ingest(_record(teacher["event_id"], teacher["data"], 1), service)
    installed = {process for _, process in got.edges("INSTALLED")}
    assert {(process, user) for process, user in got.edges("RUN_AS") if process in installed} == {
        (process, ACCOUNT) for process in installed}
    assert BY_SID[1] not in got.entities("user")


def test_an_mde_task_of_a_sid_principal_is_the_account_windows_logons_named(ingest) -> None:
    definition = {**TASK_JSON, "Principals": {"Principal": {"id": "Author", "UserId": SID}}}
    mde = row("ScheduledTaskCreated", {"TaskName": "\\Sync", "TaskContent": json.dumps(definition)})
    got = ingest(_logon(1), mde)
    assert _run_as(got) == {ACCOUNT}


def test_a_task_seen_before_any_logon_of_its_account_keeps_the_sid_node_and_the_next_is_named(ingest) -> None:
    got = ingest(_task(1), _logon(2), _task(3, host="WS-0043"))
    assert _run_as(got) == {BY_SID, ACCOUNT}  # the first install stays on the SID's node (journal order)
    assert [s.host for s in got.store.hosts_of(*BY_SID)] == ["ws-0042"]  # only where the early task was


def test_a_failed_logon_teaches_no_name(ingest) -> None:
    """4625 names what was typed; an attacker's guess must not rename the account's SID."""
    failed = _record(4625, {"TargetUserSid": SID, "TargetUserName": "guess", "TargetDomainName": "CORP",
                            "LogonType": "3", "Status": "0xc000006d", "SubStatus": "0xc000006a"}, 1)
    got = ingest(_logon(2), failed, _task(3))
    assert _run_as(got) == {ACCOUNT}


def _ecs(category: str, outcome: str | None = None, event_type: str = "start", name: str = "adm-jdoe",
         sid: str = SID) -> dict[str, Any]:
    """An ECS record (Elastic Agent's Windows mapping) of ``category`` whose account is ``name``/``sid``."""
    event: dict[str, Any] = {"category": [category], "type": [event_type], "code": "4624"}
    if outcome is not None:
        event["outcome"] = outcome
    record: dict[str, Any] = {"@timestamp": "2025-01-01T00:00:00Z", "event": event, "host": {"name": "DC01"},
                              "user": {"name": name, "domain": "CORP", "id": sid}}
    if category == "process":
        record["process"] = {"pid": 4100, "executable": "C:\\Windows\\System32\\cmd.exe", "name": "cmd.exe"}
        event["code"] = "4688"
    return record


def _installed_run_as(got) -> set:
    """The users the installed commands run as (an ECS process event's own RUN_AS left out)."""
    installed = {process for _, process in got.edges("INSTALLED")}
    return {user for process, user in got.edges("RUN_AS") if process in installed}


@pytest.mark.parametrize("teacher", [_ecs("authentication", "success"), _ecs("process")],
                         ids=["ecs-logon", "ecs-process-start"])
def test_an_ecs_logon_or_process_start_teaches_its_sid_name(ingest, teacher) -> None:
    got = ingest(teacher, _task(2))
    assert got.events[0].kind == "ecs:event"
    assert _installed_run_as(got) == {ACCOUNT}
    assert BY_SID[1] not in got.entities("user")


@pytest.mark.parametrize("teacher", [
    _ecs("authentication", "failure", name="guess"),
    _ecs("authentication", None, name="guess"),  # an outcome not said is no success
    _ecs("authentication", "unknown", name="guess"),
    _ecs("process", event_type="end", name="guess"),
    _ecs("iam", "success", event_type="change", name="guess"),  # an account's change names another's SID
], ids=["failure", "no-outcome", "unknown", "process-end", "iam-change"])
def test_an_ecs_event_that_is_no_successful_logon_or_process_start_teaches_nothing(ingest, teacher) -> None:
    got = ingest(_logon(1), teacher, _task(3))
    assert _installed_run_as(got) == {ACCOUNT}


def test_the_sid_names_are_bounded(ingest, monkeypatch) -> None:
    monkeypatch.setattr(projection_endpoint, "_SID_LIMIT", 4)
    others = [_logon(n, sid=f"S-1-5-21-1-2-3-{2000 + n}", name=f"user{n}") for n in range(2, 8)]
    # the oldest names go past the bound: the first account's SID is no longer known when its task comes
    got = ingest(_logon(1), *others, _task(9))
    assert _run_as(got) == {BY_SID}
    got = ingest(*others, _logon(1), _task(9))
    assert _run_as(got) == {ACCOUNT}


def test_a_sid_named_across_ingest_calls_is_the_replayed_graph(embedded_store, tmp_path) -> None:
    """SID -> name is join state: one record per call makes the graph one replay makes."""
    live, rebuilt = one_record_per_call(embedded_store, tmp_path, [_logon(1), _task(2)])
    assert {dst for _, kind, dst in live["relations"] if kind == "RUN_AS"} == {ACCOUNT}
    for part in ("counts", "entities", "relations", "sightings"):
        assert live[part] == rebuilt[part], part
