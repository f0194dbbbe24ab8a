"""A benign verdict carries to a product's new build only when the new build is signed as the judged one (task BEH3).

The vendor's weekly job runs ``memdiag.exe`` on 30 hosts; the analyst marked week 1's cluster benign.
On day 8 a new build runs on exactly the judged hosts: the vendor's update, or a trojanised update
pushed through the vendor's channel (a supply-chain attack), which the hosts, path, parent and
installer cannot tell apart.  The signer can: where the telemetry says it (Sysmon 7 of the image, kept
on the file of its digest; an ECS process's own), the new build must be signed, valid, by the judged
build's signer, or the carry is refused, the new build is shown and the detection's stats say why
(``verdicts_refused``).  Where no signer is known for either build, the carry stands as before
(``tests/analytics/test_behaviour_new_build_verdict.py``).  End to end, on [embedded] and [neo4j].
"""

from __future__ import annotations

from typing import Any

import pytest

from graphsiem.model import Entity
from tests.analytics.test_behaviour_new_build_verdict import NEW_BUILD, OLD_BUILD
from tests.analytics.vendor_fleet import PRODUCT_HOSTS, Fleet, found_on_day, judged_config

CONTOSO = {"signed": True, "signature": "Contoso Ltd", "signature_status": "Valid"}
UNSIGNED = {"signed": False, "signature_status": "Unavailable"}


def _update(store, tmp_path, judged: dict[str, Any] | None, new: dict[str, Any] | None):
    """Day 1's job judged benign, day 8's new build; each build's file with the signer given (None: no file)."""
    fleet = Fleet(days=9)
    fleet.weekly_job(1, digest=OLD_BUILD)
    fleet.weekly_job(8, digest=NEW_BUILD)
    for digest, signer in ((OLD_BUILD, judged), (NEW_BUILD, new)):
        if signer is not None:
            fleet.entities.append(Entity("file", digest, "C:\\ProgramData\\Vendor\\memdiag.exe",
                                         {"sha256": digest, "name": "memdiag.exe", **signer}))
    fleet.write(store)
    config, job = judged_config(store, tmp_path / "state.sqlite")
    found, result = found_on_day(store, 8, config)
    return found, result, job


def test_a_new_build_signed_by_the_judged_builds_signer_inherits_the_verdict(store, tmp_path):
    found, result, job = _update(store, tmp_path, CONTOSO, CONTOSO)

    assert found == []
    [carried] = result.stats["verdicts_carried"]
    assert (carried["judged_signer"], carried["signer"]) == ("Contoso Ltd (Valid)", "Contoso Ltd (Valid)")
    assert result.stats["verdicts_refused"] == []


@pytest.mark.parametrize(("new", "why"), [
    (UNSIGNED, "signer changed: Contoso Ltd (Valid) → unsigned"),
    ({"signed": True, "signature": "Fabrikam Inc", "signature_status": "Valid"},
     "signer changed: Contoso Ltd (Valid) → Fabrikam Inc (Valid)"),
    ({"signed": True, "signature": "Contoso Ltd", "signature_status": "Expired"},
     "signer changed: Contoso Ltd (Valid) → Contoso Ltd (Expired)"),
    (None, "new build's signer unknown (judged build: Contoso Ltd (Valid))"),
], ids=["unsigned", "another signer", "invalid signature", "signer unknown"])
def test_a_new_build_not_signed_as_the_judged_one_is_shown_and_the_refusal_said(store, tmp_path, new, why):
    found, result, job = _update(store, tmp_path, CONTOSO, new)

    assert [hosts for hosts, _ in found] == [sorted(PRODUCT_HOSTS)]  # was: [] (the trojanised update hidden)
    assert f"(sha256 {NEW_BUILD[:12]})" in found[0][1].pivot.value
    assert result.stats["verdicts_carried"] == []
    [refused] = result.stats["verdicts_refused"]
    assert (refused["pivot"], refused["judged_build"], refused["build"], refused["refused"]) == (
        list(job.pivot.ref), f"sha256 {OLD_BUILD}", f"sha256 {NEW_BUILD}", why)
    assert found[0][1].pivot.props["carry_refused"] == why  # the shown cluster's pivot says it too


def test_a_signed_new_build_of_a_judged_build_with_no_known_signer_is_not_carried(store, tmp_path):
    found, result, _ = _update(store, tmp_path, None, CONTOSO)

    assert [hosts for hosts, _ in found] == [sorted(PRODUCT_HOSTS)]
    [refused] = result.stats["verdicts_refused"]
    assert refused["refused"] == "judged build's signer unknown (new build: Contoso Ltd (Valid))"


def test_with_no_signer_known_for_either_build_the_carry_stands_as_before(store, tmp_path):
    found, result, _ = _update(store, tmp_path, None, None)

    assert found == []
    [carried] = result.stats["verdicts_carried"]
    assert "signer" not in carried and "judged_signer" not in carried
    assert result.stats["verdicts_refused"] == []


def test_an_ecs_process_records_own_signer_counts_as_its_builds(store, tmp_path):
    """Elastic Defend's ``process.code_signature`` is kept on the process: the new build's processes say unsigned."""
    fleet = Fleet(days=9)
    fleet.weekly_job(1, digest=OLD_BUILD)
    fleet.weekly_job(8, digest=NEW_BUILD)
    for entity in fleet.entities:
        if entity.props.get("sha256") in (OLD_BUILD, NEW_BUILD):
            entity.props.update(CONTOSO if entity.props["sha256"] == OLD_BUILD else UNSIGNED)
    fleet.write(store)
    config, _ = judged_config(store, tmp_path / "state.sqlite")

    found, result = found_on_day(store, 8, config)

    assert [hosts for hosts, _ in found] == [sorted(PRODUCT_HOSTS)]
    assert [r["refused"] for r in result.stats["verdicts_refused"]] == ["signer changed: Contoso Ltd (Valid) → unsigned"]
