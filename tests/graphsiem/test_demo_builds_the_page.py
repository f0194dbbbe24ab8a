"""The README's first command ends with a page that opens, or says what to install (review U1 #3).

``make demo`` (scripts/demo.sh -> scripts/main_job.sh) ended with "serve (then
http://127.0.0.1:8000/)", but on a fresh clone ``/`` and ``/docs`` answered 503 "run
scripts/build_web.sh": nothing the README runs built the page.  Each test runs the real
scripts in a copy of the repository's layout without the page's built files (a fresh
clone): with npm the demo builds them; without npm (a PATH that lacks it) it says to
install npm and run scripts/build_web.sh, and promises no page.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENDOR = Path("graphsiem/web/static/vendor")


def _fresh_clone(root: Path) -> Path:
    """The scripts, web/'s package files and the installed .venv, without the built page."""
    (root / "scripts").mkdir(parents=True)
    for name in ("main_job.sh", "demo_page.sh", "build_web.sh"):
        shutil.copy2(REPO / "scripts" / name, root / "scripts" / name)
    (root / "web").mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(REPO / "web" / name, root / "web" / name)
    (root / ".venv").symlink_to(REPO / ".venv")
    return root


def _path_without_npm(tmp_path: Path) -> str:
    """A PATH holding every command of this one but npm and node (a machine without Node.js)."""
    bin_dir = tmp_path / "bin-without-npm"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not Path(folder).is_dir():
            continue
        for tool in Path(folder).iterdir():
            if tool.name not in ("npm", "node", "npx") and not (bin_dir / tool.name).exists():
                (bin_dir / tool.name).symlink_to(tool)
    return str(bin_dir)


def test_the_demo_without_npm_says_what_to_install_and_promises_no_page(tmp_path: Path) -> None:
    root = _fresh_clone(tmp_path / "clone")
    env = {**os.environ, "PATH": _path_without_npm(tmp_path), "GRAPHSIEM_DEMO_HOSTS": "20",
           "GRAPHSIEM_DEMO_DAYS": "1", "GRAPHSIEM_DEMO_DIR": str(tmp_path / "demo")}
    done = subprocess.run([str(root / "scripts" / "main_job.sh")], env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    tail = done.stdout[done.stdout.index("== the analysts' page"):]
    assert "(then http://127.0.0.1:8000/)" not in tail
    assert "it needs npm" in tail and "then run scripts/build_web.sh" in tail
    assert "/ and /docs answer 503" in tail
    assert not (root / VENDOR).exists()


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_the_demos_page_step_builds_the_page_when_npm_is_there(tmp_path: Path) -> None:
    root = _fresh_clone(tmp_path / "clone")
    done = subprocess.run([str(root / "scripts" / "demo_page.sh"), str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert (root / VENDOR / "cytoscape.esm.min.js").is_file()
    assert (root / VENDOR / "swagger-ui-bundle.js").is_file()
    assert f"GRAPHSIEM_DATA={tmp_path / 'data'} .venv/bin/graphsiem serve   (then http://127.0.0.1:8000/)" \
        in done.stdout
