"""The API's host-finding record keeps ``new_hosts``: the hosts of a partly judged group nobody judged
(HOSTF3 #3; a response model drops a key it does not declare)."""

from __future__ import annotations

from analytics.config import DetectionConfig
from analytics.host_finding_words import host_finding_clusters, verdict_scope
from graphsiem.api.schemas_host_findings import HostFindingRecord
from tests.analytics.test_host_finding_group_verdicts import HOSTS, WINDOW, _journal


def test_the_record_of_a_partly_judged_group_names_its_new_hosts_through_the_api_schema() -> None:
    (judged,) = host_finding_clusters(_journal(HOSTS[:8]), DetectionConfig(), WINDOW, [])[0]
    pivot = ("host", judged.hosts[0])
    members = frozenset([("host", h) for h in judged.hosts] + verdict_scope(judged.host_finding))
    config = DetectionConfig(suppressed=frozenset({pivot}), suppressed_members={pivot: members})
    (found,) = host_finding_clusters(_journal(HOSTS), config, WINDOW, [])[0]
    assert HostFindingRecord.model_validate(found.host_finding).model_dump()["new_hosts"] == ["ws-08", "ws-09"]
