"""A spray spread over the member servers that finds a password, on a simulated fleet (task CRED7 item 1).

``password_spray`` with ``targets: servers`` (the optional ``password_spray_servers`` scenario): one
workstation tries forty accounts over the fleet's servers, each server checking them itself (4625 type 3,
nothing on the DC or the sensor), and in round two logs on as the account whose password was right (4624
type 3 on its server), an administrator of that server whose session Windows gives special privileges
(4672, same logon id: CRED9).  Detection over the journal reads it as one likely compromise naming that
account, server and privileges, above the seed campaign, and the fleet's users' mistypes call no one else
compromised.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.detect import detect
from analytics.evaluate import evaluate, load_truth
from graphsiem.simulator import simulate
from graphsiem.simulator.credential_events import ADMIN_PRIVILEGES
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.graphsiem.simulator.conftest import (
    computer_name,
    endpoint_lines,
    event_data,
    event_id,
    record_epoch,
)

HOSTS, DAYS, SEED = 60, 2, 7


@pytest.fixture(scope="module")
def spray_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list, list]:
    """``(out_dir, truth, records)`` of a 60-host, 2-day run (5 servers) with the server spray added."""
    out = tmp_path_factory.mktemp("sim-spray-servers")
    simulate(out, hosts=HOSTS, days=DAYS, seed=SEED, extra_scenarios=["password_spray_servers"])
    return out, load_truth(out / "ground_truth.json"), endpoint_lines(out)


def _sprayer(truth: list) -> str:
    entry = next(e for e in truth if e.name == "password_spray_servers")
    return next(host for host in entry.hosts if host.startswith("ws-"))


def _remote_from(collector: str, record: dict, sprayer: str) -> bool:
    """A log-on the sprayer sent over the network (its user's own log-ons at its console are local)."""
    data = event_data(collector, record)
    return data.get("WorkstationName") == sprayer.upper() and data.get("IpAddress") not in ("127.0.0.1", "-", None)


def test_the_servers_log_the_tries_and_the_dc_none(spray_run) -> None:
    out, truth, records = spray_run
    entry = next(e for e in truth if e.name == "password_spray_servers")
    servers = {host for host in entry.hosts if host.startswith("srv-")}
    assert len(servers) == 5
    from_sprayer = [(computer_name(c, r), event_id(c, r), event_data(c, r)) for c, r in records
                    if event_id(c, r) in (4624, 4625) and _remote_from(c, r, _sprayer(truth))]
    assert {name.split(".")[0].lower() for name, _, _ in from_sprayer} == servers
    assert [kind for _, kind, _ in from_sprayer].count(4624) == 1
    sprayed = {value for kind, value in entry.indicators if kind == "user"}
    assert len(sprayed) == 40
    # the DC validates none of the sprayed accounts from the sprayer (its own user's mistypes it does)
    assert not any(event_id(c, r) == 4776 and event_data(c, r).get("Workstation") == _sprayer(truth).upper()
                   and f"corp\\{event_data(c, r)['TargetUserName']}".lower() in sprayed for c, r in records)


def test_detection_reads_the_spread_spray_as_a_likely_compromise_on_the_server_it_logged_on_to(
        spray_run, tmp_path: Path) -> None:
    out, truth, records = spray_run
    [(server, logon)] = [(computer_name(c, r).split(".")[0].lower(), event_data(c, r)) for c, r in records
                         if event_id(c, r) == 4624 and _remote_from(c, r, _sprayer(truth))]
    store = EmbeddedStore(tmp_path / "graph")
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([out / "endpoint", out / "network"], store=store, journal=journal, progress=False)
        assert report.total.rejected == 0
        ranking = [c.to_contract() for c in detect(store, journal=journal).clusters]
    credential = [row for row in ranking if row.get("credential")]
    [finding] = credential  # the users' mistypes make no other finding
    record = finding["credential"]
    assert record["pattern"] == "likely_compromise"  # was password_spray (85): the found password unsaid
    assert [(c["account"], c["host"]) for c in record["compromised"]] == [(f"corp\\{logon['TargetUserName'].lower()}",
                                                                            server)]
    assert record["validators_total"] == 5
    # the account administers that server: its session's 4672 names the privileges (CRED9)
    [broken] = record["compromised"]
    assert broken["privileges"] == list(ADMIN_PRIVILEGES)
    assert broken["privileges_event_id"] in [event["event_id"] for event in finding["evidence"]]
    assert f"that session was given administrator rights on {server} (SeSecurityPrivilege" in finding["explanation"]["summary"]
    assert evaluate(ranking, truth).ranks["password_spray_servers"] == 1


def test_the_found_admin_session_is_given_its_privileges_as_windows_logs_them(spray_run) -> None:
    """A 4672 on the server in the 4624's instant, whose SubjectLogonId is the 4624's TargetLogonId."""
    out, truth, records = spray_run
    [(collector, logon)] = [(c, r) for c, r in records if event_id(c, r) == 4624 and _remote_from(c, r, _sprayer(truth))]
    data = event_data(collector, logon)
    same = [(c, r) for c, r in records if event_id(c, r) == 4672
            and event_data(c, r).get("SubjectLogonId") == data["TargetLogonId"]]
    [(theirs, privileged)] = same
    assert computer_name(theirs, privileged) == computer_name(collector, logon)
    assert record_epoch(theirs, privileged) == record_epoch(collector, logon)
    assert event_data(theirs, privileged)["SubjectUserName"] == data["TargetUserName"]
    assert event_data(theirs, privileged)["PrivilegeList"].split() == list(ADMIN_PRIVILEGES)


def test_an_unknown_target_is_refused_by_name(tmp_path: Path) -> None:
    scenario = tmp_path / "spray.yaml"
    scenario.write_text((Path(simulate.__code__.co_filename).parent / "scenarios" / "password_spray_servers.yaml")
                        .read_text().replace("targets: servers", "targets: server"))
    with pytest.raises(ValueError, match="password_spray: targets must be 'dc' or 'servers', not 'server'"):
        simulate(tmp_path / "out", hosts=10, days=1, seed=1, extra_scenarios=[str(scenario)])
