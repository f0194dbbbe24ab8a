"""The sensor sees part of the fleet's failed log-ons and every spray try (task CRED5 item 3).

The simulator wrote failures as Windows events only, so the detection's sensor path (Zeek
``ntlm.log``/``kerberos.log`` refusals, and the dedupe of a try both sides recorded) never ran at fleet
scale.  Now a tapped machine's log-ons ask the KDC on the wire (refused ``KDC_ERR_PREAUTH_FAILED``,
granted when the user gets it right) and a sprayer's tries are NTLM in SMB sessions to the DC.  The
runs are real simulations ingested through the pipeline and detected.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from analytics.detect import detect
from analytics.evaluate import evaluate, load_truth
from graphsiem.simulator import simulate
from graphsiem.simulator.fleet import DOMAIN_CONTROLLER_IP
from graphsiem.simulator.sensor_credentials import is_tapped
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.graphsiem.simulator.conftest import event_data, event_id, read_ndjson

HOSTS, DAYS, SEED = 30, 1, 11
FORGING_SPRAY = """\
name: password_spray
label: Password spray writing each victim's own machine name
kind: attack
hosts: {group: workstations, count: 1}
pivot: {type: user}
indicator_types: [user]
activities:
  - name: spray
    schedule: {every: once, day: last, at: "11:40", spread_minutes: 20}
    steps:
      - {action: password_spray, accounts: 40, rounds: 3, round_minutes: 65, found_in_round: 2, workstation: victim}
"""


def _run(out: Path, scenario: str) -> tuple[Path, list, list[dict], list[dict], list[tuple[str, dict]]]:
    simulate(out, hosts=HOSTS, days=DAYS, seed=SEED, extra_scenarios=[scenario])
    network = out / "network"
    ntlm = read_ndjson(network / "ntlm.log") if (network / "ntlm.log").exists() else []
    kerberos = read_ndjson(network / "kerberos.log") if (network / "kerberos.log").exists() else []
    records = []
    for path in sorted((out / "endpoint").glob("*.ndjson")):
        records.extend((path.name.split("-", 1)[0], r) for r in read_ndjson(path))
    return out, load_truth(out / "ground_truth.json"), ntlm, kerberos, records


@pytest.fixture(scope="module")
def spray_run(tmp_path_factory: pytest.TempPathFactory):
    return _run(tmp_path_factory.mktemp("sim-sensor"), "password_spray")


def _detect(out: Path, tmp_path: Path):
    store = EmbeddedStore(tmp_path / "graph")
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([out / "endpoint", out / "network"], store=store, journal=journal, progress=False)
        assert report.total.rejected == 0
        return detect(store, journal=journal)


def test_each_spray_try_is_an_ntlm_record_from_the_sprayer_to_the_dc(spray_run):
    _, truth, ntlm, _, records = spray_run
    sprayer = next(iter(next(e for e in truth if e.name == "password_spray").hosts - {"dc-01"})).upper()
    # the DC's 4625 of each wrong password (its own user's log-ons at the sprayer are no spray tries)
    refused = [event_data(c, r) for c, r in records if event_id(c, r) == 4625
               and event_data(c, r)["WorkstationName"] == sprayer and event_data(c, r)["LogonType"] == "3"]
    seen = [r for r in ntlm if r["hostname"] == sprayer]
    assert seen  # was none: the simulator wrote no sensor record of a failure
    assert {r["id.resp_h"] for r in seen} == {DOMAIN_CONTROLLER_IP} and len({r["id.orig_h"] for r in seen}) == 1
    assert Counter(r["success"] for r in seen) == {False: len(refused), True: 1}  # the password it found


def test_the_sensor_sees_the_tapped_machines_mistypes_only(spray_run):
    _, _, _, kerberos, records = spray_run
    refused = [r for r in kerberos if r.get("error_msg") == "KDC_ERR_PREAUTH_FAILED"]
    assert refused and all(r["request_type"] == "AS" and r["id.resp_h"] == DOMAIN_CONTROLLER_IP for r in refused)
    # a member's own refusal (a local 4625) names the machine and its user
    mistyped = {(event_data(c, r)["WorkstationName"].lower(), event_data(c, r)["TargetUserName"].lower())
                for c, r in records if event_id(c, r) == 4625 and event_data(c, r)["IpAddress"] in ("127.0.0.1", "-")}
    seen = {r["client"].partition("/")[0].lower() for r in refused}
    tapped = {user for host, user in mistyped if is_tapped(host)}
    untapped = {user for host, user in mistyped if not is_tapped(host)}
    assert seen <= tapped and seen and untapped - seen  # a share of the fleet, not all of it


def test_a_try_both_sides_recorded_counts_once(spray_run, tmp_path):
    out, truth, _, _, records = spray_run
    result = _detect(out, tmp_path)
    assert result.stats["credential_network_targets"] == 1  # the DC, whose tries the sensor saw (none before)
    assert result.stats["credential_network_attempts"] == 0  # every sensor record was the DC's try too
    finding = next(c for c in result.clusters if c.credential is not None)
    dc_failures = Counter(event_data(c, r)["TargetUserName"].lower() for c, r in records
                          if event_id(c, r) == 4776 and event_data(c, r)["Status"] != "0x0")
    for row in finding.credential["accounts"]:
        assert row["failures"] <= 2 * dc_failures[row["account"].rpartition("\\")[2]]  # 4776 + 4625, no third
    ranking = [c.to_contract() for c in result.clusters]
    assert evaluate(ranking, truth).ranks["password_spray"] == 1


def test_a_sprayer_writing_each_victims_machine_is_still_found(tmp_path):
    scenario = tmp_path / "password_spray.yaml"
    scenario.write_text(FORGING_SPRAY)
    out, truth, ntlm, _, _ = _run(tmp_path / "sim", str(scenario))
    sprayer = next(iter(next(e for e in truth if e.name == "password_spray").hosts - {"dc-01"}))
    failed = [r for r in ntlm if r["success"] is False]  # only the sprayer fails NTLM in this run
    assert failed and len({r["id.orig_h"] for r in failed}) == 1
    claimed = {r["hostname"] for r in failed}
    assert sprayer.upper() not in claimed and len(claimed) > 10  # a machine name per victim, none its own
    result = _detect(out, tmp_path)
    ranking = [c.to_contract() for c in result.clusters]
    outcome = evaluate(ranking, truth)
    assert outcome.ranks["password_spray"] == 1
    assert outcome.credential[0]["pattern"] == "likely_compromise"
