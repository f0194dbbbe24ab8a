"""Every notebook runs top to bottom, and none is stored with outputs.

Each notebook executes in a fresh kernel of this virtualenv's Python (checked
by a cell the test puts first), with a temporary directory as working
directory; the Neo4j notebook runs against the test session's server, emptied
first.  A cell that raises fails the test with the cell and its traceback.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from analytics.features import SCORED_FEATURES
from graphsiem.store.neo4j_server import Neo4jServer

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
CHECK = REPO_ROOT / "scripts" / "check_notebooks.py"
CELL_TIMEOUT_S = 600


def _params() -> list:
    return [
        pytest.param(path, id=path.stem, marks=[pytest.mark.neo4j] if "neo4j" in path.stem else [])
        for path in NOTEBOOKS
    ]


def _execute(path: Path, cwd: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    # Same interpreter as the tests: a system-wide "python3" kernel would test
    # another environment (or fail to import graphsiem) without saying so.
    probe = f"import sys\nassert sys.prefix == {sys.prefix!r}, sys.prefix"
    notebook.cells.insert(0, nbformat.v4.new_code_cell(probe))
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()
    return notebook


def _images(notebook: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def test_there_are_three_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_tuning.ipynb", "03_neo4j.ipynb"]


@pytest.mark.parametrize("path", _params())
def test_notebook_runs_top_to_bottom(
    path: Path, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRAPHSIEM_DATA", raising=False)
    if "neo4j" in path.stem:
        server: Neo4jServer = request.getfixturevalue("neo4j_server")
        request.getfixturevalue("neo4j_store")  # empties the database
        for name, value in server.environ().items():
            monkeypatch.setenv(name, value)  # the kernel inherits the environment
    executed = _execute(path, tmp_path)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert _images(executed) >= 1, f"{path.name} drew no figure"
    # The notebooks keep their data next to themselves (the working directory).
    assert list(tmp_path.rglob("journal.sqlite"))
    if path.stem == "02_tuning":
        _check_tuning_outputs(executed)
    if path.stem == "03_neo4j":
        _check_neo4j_outputs(executed)


def _output_text(cell: nbformat.NotebookNode) -> str:
    return "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs)


def _check_neo4j_outputs(notebook: nbformat.NotebookNode) -> None:
    """Notebook 03 after review U4 F6: the first contacts read from Neo4j show whole milliseconds
    (lab.timestamps), not the float noise of epoch seconds (10:12:47.904999971)."""
    cells = {c.get("id"): c for c in notebook.cells}
    table = _output_text(cells["cell-12"])
    assert re.search(r"\d{2}:\d{2}:\d{2}\.\d{3}\+00:00", table), table
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{4,}", table), table


def _check_tuning_outputs(notebook: nbformat.NotebookNode) -> None:
    """Notebook 02 after review R6: the feature table right after "the scorer sees
    lab.SCORED_FEATURES" lists those (not the context columns), and the grid shows the
    figures that do not hang on tie-breaks next to the tie-broken decoy count."""
    cells = {c.get("id"): c for c in notebook.cells}
    described = _output_text(cells["cell-07"])
    assert all(name in described for name in SCORED_FEATURES), described
    assert "exclusivity" not in described and "new_member_fraction" not in described
    grid = _output_text(cells["cell-11"])
    assert "expected_decoys_in_top_10" in grid and "risk_margin" in grid, grid


def test_stored_notebooks_have_no_outputs() -> None:
    run = subprocess.run([sys.executable, str(CHECK)], cwd=REPO_ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(NOTEBOOKS)} notebook(s) without stored outputs" in run.stdout


def test_check_names_the_cells_with_outputs(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("1 + 1", execution_count=4, outputs=[
            nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=4)
        ]),
        nbformat.v4.new_code_cell("x = 1"),
    ]
    path = tmp_path / "dirty.ipynb"
    nbformat.write(notebook, path)

    run = subprocess.run([sys.executable, str(CHECK), str(path)], capture_output=True, text=True)
    assert run.returncode == 1
    assert f"{path}: cell 2 has 1 stored output(s)" in run.stderr
    assert f"{path}: cell 2 has execution count 4" in run.stderr
    assert "cell 3" not in run.stderr

    stripped = subprocess.run([sys.executable, str(CHECK), "--strip", str(path)], capture_output=True, text=True)
    assert stripped.returncode == 0
    cleaned = json.loads(path.read_text(encoding="utf-8"))
    assert [c.get("outputs") for c in cleaned["cells"]] == [None, [], []]
    assert subprocess.run([sys.executable, str(CHECK), str(path)], capture_output=True).returncode == 0


def test_check_refuses_a_file_that_is_not_a_notebook(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text("{not json", encoding="utf-8")
    run = subprocess.run([sys.executable, str(CHECK), str(path)], capture_output=True, text=True)
    assert run.returncode == 2
    assert f"{path}: not a readable notebook" in run.stderr
