"""An antivirus finding through the service's types: its record validates as the API's ``antivirus``, and a
benign verdict on it records its outcome class, so a worse outcome of the threat later shows (task AV3 #2)."""

from __future__ import annotations

from analytics.antivirus import Detection, FileIdentity
from analytics.antivirus_finding_words import antivirus_finding_clusters
from analytics.antivirus_findings import OUTCOME_KEY, REMEDIATED_ON_MANY, covered_by_verdict
from analytics.config import DetectionConfig
from graphsiem.api.schemas_antivirus import AntivirusRecord
from graphsiem.api.state_verdicts import covered_keys


def _quarantined(host: str) -> Detection:
    path = f"C:\\Users\\{host}\\Downloads\\setup.exe"
    return Detection(host, path.lower(), FileIdentity("", path.lower(), "setup.exe"), path,
                     threats={"PUA:Win32/Presenoker": 1}, actions={"detected": 1, "quarantined": 1},
                     products={"Microsoft Defender Antivirus": 2}, evidence=(f"{host}-1116", f"{host}-1117"))


def test_a_verdict_on_an_antivirus_finding_records_its_class_and_covers_it() -> None:
    (cluster,), _ = antivirus_finding_clusters([_quarantined(f"lt-{i}") for i in range(6)], {}, [],
                                               DetectionConfig(), None)
    data = cluster.to_contract()
    record = AntivirusRecord.model_validate(data["antivirus"])  # the API's schema holds the whole record
    assert record.outcome_class == REMEDIATED_ON_MANY and record.hosts_total == 6
    keys = covered_keys(cluster.pivot.ref, data)
    assert (OUTCOME_KEY, REMEDIATED_ON_MANY) in keys  # was: the members alone
    assert covered_by_verdict(cluster.pivot.ref, REMEDIATED_ON_MANY, {cluster.pivot.ref}, {cluster.pivot.ref: keys})
