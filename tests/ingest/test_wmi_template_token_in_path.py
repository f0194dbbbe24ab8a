"""A WMI consumer template whose executable's path holds a token is related to its runs (task TREE).

``C:\\Users\\Public\\%TargetInstance.Name%.exe /q`` runs as ``C:\\Users\\Public\\notepad.exe /q``: the
run's image is the token filled, so the templates kept by image never met it.  Such a template is kept
under :data:`ingest.projection_wmi_runs.TOKEN_IN_PATH` and every WMI run is matched against it too.
Through the real pipeline and embedded store (:func:`tests.ingest.parsers.test_windows_variants.ingest_into`).
"""

from __future__ import annotations

import pytest

from tests.ingest.parsers.test_windows_variants import _process, _sysmon, ingest_into
from tests.ingest.parsers.test_windows_wmi import _mof
from tests.ingest.test_wmi_templated_runs import _run

HOST = ("host", "ws-0042")
TEMPLATE = "C:\\Users\\Public\\%TargetInstance.Name%.exe /q"
CONSUMER = {"EventType": "WmiConsumerEvent", "Operation": "Created", "User": "CORP\\adm-x",
            "Name": _mof("Upd"), "Type": "Command Line", "Destination": _mof(TEMPLATE)}
RUN_IMAGE = "C:\\Users\\Public\\notepad.exe"


@pytest.fixture
def ingest(tmp_path):
    yield from ingest_into(tmp_path)


def test_a_run_filling_a_token_in_the_executables_path_ran_the_installed_command(ingest) -> None:
    got = ingest(_sysmon(20, 1, **CONSUMER), _run(2, f"{RUN_IMAGE} /q", image=RUN_IMAGE))
    [(_, installed)] = got.edges("INSTALLED")
    assert (HOST, installed) in got.edges("RAN")  # was: the run never met its install
    assert (HOST, _process(RUN_IMAGE, f"{RUN_IMAGE} /q")) in got.edges("RAN")  # and keeps its own node


def test_a_run_not_from_wmi_or_of_another_folder_is_left_alone(ingest) -> None:
    other = "C:\\ProgramData\\notepad.exe"
    got = ingest(_sysmon(20, 1, **CONSUMER),
                 _run(2, f"{RUN_IMAGE} /q", image=RUN_IMAGE, parent="C:\\Windows\\explorer.exe"),
                 _run(3, f"{other} /q", image=other))
    [(_, installed)] = got.edges("INSTALLED")
    assert (HOST, installed) not in got.edges("RAN")
