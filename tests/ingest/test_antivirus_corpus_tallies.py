"""Kramer's quarantines in the Brim ``syslog.log`` say what was found and done (task AVCHK).

The WRCCDC capture's Symantec Endpoint Protection found ``Trojan Horse`` in
``C:\\Windows\\yfHMhijb.exe`` on the DC Kramer twice and quarantined it each time (8 lines:
the sensor logged each datagram 4 times, capture copies of one event).  Before, the
``host DETECTED file`` edge kept only its count (the threat and action were text on the events); now
it tallies them, so the host's page and a cluster's antivirus step name them from the graph.  One host
forms no fan-out cluster (a pivot needs several): the detection is on the host's page and is an
antivirus finding of its own (task AV3), remediated on one host (risk 20).  Read in place from ``$GRAPHSIEM_SAMPLES``, on [embedded] and [neo4j].
"""

from __future__ import annotations

from pathlib import Path

from analytics.detect import detect
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

QUARANTINED = ("file", "c:\\windows\\yfhmhijb.exe")


def test_kramers_quarantines_are_tallied_on_its_page(store: GraphStore, tmp_path: Path, samples_dir: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([samples_dir / "brimdata-zed-sample-data" / "zeek-default" / "syslog.log"],
                              store=store, journal=journal, progress=False)
        store.flush()
        assert report.total.rejected == 0
        (neighbour,) = store.neighbors("host", "kramer", relation_types=["DETECTED"])
        assert neighbour.entity.ref == QUARANTINED
        edge = neighbour.relation
        assert edge.count == 2
        assert edge.tallies == {"threats": {"Trojan Horse": 2}, "av_actions": {"quarantined": 2},
                                "av_products": {"Symantec Endpoint Protection": 2}}
        result = detect(store, journal=journal)
    claimed = [c for c in result.clusters if QUARANTINED in {e.ref for e in c.entities}]
    assert [(c.pivot.ref, c.score, c.hosts) for c in claimed] == [(("antivirus_threat", "threat:trojan horse"), 20.0,
                                                                   ["kramer"])]
