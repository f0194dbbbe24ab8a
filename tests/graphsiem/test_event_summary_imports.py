"""A timeline row's words import no scoring (``graphsiem events`` started in ~11 s, review TL).

:mod:`graphsiem.event_summary` read the failure statuses' meanings from
:mod:`analytics.credential_words`, which imports the explanations and scikit-learn; the
table now lives in the leaf :mod:`analytics.credential_statuses`.  A fresh interpreter shows
what one import pulls in.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = ("import json, sys, {module}; "
         "print(json.dumps(sorted(m for m in ('sklearn', 'analytics.explain', 'numpy') if m in sys.modules)))")


def _loaded_by(module: str) -> list[str]:
    run = subprocess.run([sys.executable, "-c", PROBE.format(module=module)],
                         capture_output=True, text=True, check=True, timeout=300)
    return json.loads(run.stdout)


def test_the_event_summary_and_the_events_command_import_no_scoring() -> None:
    assert _loaded_by("graphsiem.event_summary") == []
    assert "sklearn" not in _loaded_by("graphsiem.cli.events_cmd")


def test_the_credential_words_keep_the_statuses_they_always_gave() -> None:
    from analytics.credential_statuses import STATUS_MEANINGS
    from analytics.credential_words import outcome_meaning

    assert outcome_meaning("failure 0xc000006a") == "wrong password" == STATUS_MEANINGS["0xc000006a"]
    assert outcome_meaning("failure kerberos 0x18") == STATUS_MEANINGS["kerberos 0x18"]
