"""``--data`` and ``--store`` on a command they mean nothing to are refused with the reason (review U1 #9).

The README says the commands take ``--data`` and ``--store``; ``simulate --data`` and ``evaluate
--store`` exited 2 with argparse's bare "unrecognized arguments".  They still exit 2 (nothing is
written or read), now saying why the option does not apply and where it belongs.
"""

from __future__ import annotations

import pytest

from graphsiem.cli import main

CASES = [
    (["simulate", "--out", "{tmp}/fleet", "--data", "{tmp}/data"], "--data",
     "simulate writes telemetry files into --out", "graphsiem ingest OUT/endpoint OUT/network --data DIR"),
    (["simulate", "--out", "{tmp}/fleet", "--store", "neo4j"], "--store",
     "simulate writes telemetry files into --out", "--store STORE"),
    (["evaluate", "--truth", "t.json", "--clusters", "c.json", "--store", "neo4j"], "--store",
     "it reads two JSON files, --truth and --clusters", "graphsiem detect --data DIR --store STORE --json FILE"),
    (["evaluate", "--truth", "t.json", "--clusters", "c.json", "--data", "{tmp}/data"], "--data",
     "it reads two JSON files", "graphsiem detect"),
    (["events", "--host", "ws-1", "--data", "{tmp}/data", "--store", "neo4j"], "--store",
     "it reads the journal in --data", "no graph store is read"),
    (["rejected", "--data", "{tmp}/data", "--store", "neo4j"], "--store", "it reads the journal in --data", ""),
    (["keys", "list", "--data", "{tmp}/data", "--store", "neo4j"], "--store", "the keys are in --data's state.sqlite",
     ""),
    (["backup", "{tmp}/copy", "--data", "{tmp}/data", "--store", "neo4j"], "--store",
     "a backup copies the data directory", "graphsiem rebuild --store neo4j"),
]


@pytest.mark.parametrize(("argv", "option", "why", "instead"), CASES)
def test_an_option_that_does_not_apply_says_why(argv, option, why, instead, tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main([word.format(tmp=tmp_path) for word in argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"{option} does not apply here: " in err and why in err and instead in err
    assert "unrecognized arguments" not in err
    assert not (tmp_path / "fleet").exists() and not (tmp_path / "data").exists()
