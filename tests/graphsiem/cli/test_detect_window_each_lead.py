"""Each host that leads the fleet is said with its own lead, in ``detect``'s note and the
service's detection record (review U1 #7).

On the real corpus the note said "8 hosts (ar-win-dc, mkt01, adfs01, dc01, workstation5 …)
lead the fleet by 5.3 years": the leader's lead given for all, when mkt01 led by 3.1
years, adfs01 by 1.1 and workstation5 by 0.3.  Here ``l1``..``l3`` lead by 5, 4.5 and 4 h
(``tests.graphsiem.cli.window_fleets``); the page's empty queue shows the record's note.
"""

from __future__ import annotations

from graphsiem.cli import main
from graphsiem.store.embedded import EmbeddedStore
from tests.graphsiem.cli.window_fleets import WIDENED_LEAD_H, build_fleet

EACH = "3 hosts lead the fleet by 4 h to 5 h (l1 by 5 h, l2 by 4.5 h, l3 by 4 h)"


def test_detect_says_each_leading_hosts_own_lead(tmp_path, capsys) -> None:
    store = EmbeddedStore(tmp_path / "data" / "graph")
    build_fleet(store, WIDENED_LEAD_H)
    store.close()
    assert main(["detect", "--data", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert EACH in out
    assert "lead the fleet by 5 h (" not in out

