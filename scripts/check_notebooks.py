#!/usr/bin/env python3
"""Fail when a notebook carries stored outputs or execution counts.

Notebooks are committed clean: outputs hold data (host names, command lines)
and churn every diff, and a stale output can hide a notebook that no longer
runs.  The notebook test executes them; this check keeps the stored copies
clean.

    python scripts/check_notebooks.py            # every *.ipynb tracked by git
    python scripts/check_notebooks.py a.ipynb    # these files
    python scripts/check_notebooks.py --strip    # clear outputs and counts in place

Exit status: 0 when clean (or after ``--strip``), 1 when a notebook carries
outputs, 2 when a file cannot be read as a notebook.  Standard library only,
so it runs before the notebooks extra is installed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def tracked_notebooks(root: Path = REPO_ROOT) -> list[Path]:
    """Every ``*.ipynb`` in the git index under ``root``."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--", "*.ipynb"], cwd=root, capture_output=True, check=True
    ).stdout.decode()
    return [root / name for name in listing.split("\0") if name]


def problems(notebook: dict, name: str) -> list[str]:
    """Human-readable findings for one parsed notebook (empty when clean).

    Examples
    --------
    >>> problems({"cells": [{"cell_type": "code", "execution_count": 3, "outputs": []}]}, "nb")
    ['nb: cell 1 has execution count 3']
    """
    found = []
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            found.append(f"{name}: cell {number} has {len(cell['outputs'])} stored output(s)")
        if cell.get("execution_count") is not None:
            found.append(f"{name}: cell {number} has execution count {cell['execution_count']}")
    return found


def strip(notebook: dict) -> dict:
    """The notebook with every code cell's outputs and execution count cleared."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: every tracked *.ipynb)")
    parser.add_argument("--strip", action="store_true", help="clear outputs and execution counts in place")
    args = parser.parse_args(argv)
    paths = args.paths or tracked_notebooks()
    dirty, unreadable = [], []
    for path in paths:
        try:
            notebook = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            unreadable.append(f"{path}: not a readable notebook: {exc}")
            continue
        found = problems(notebook, str(path))
        if found and args.strip:
            # nbformat's layout (1-space indent, trailing newline) so a strip is a minimal diff.
            path.write_text(json.dumps(strip(notebook), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"stripped {path}")
        elif found:
            dirty += found
    for line in unreadable + dirty:
        print(line, file=sys.stderr)
    if unreadable:
        return 2
    if dirty:
        print("clear them with: python scripts/check_notebooks.py --strip", file=sys.stderr)
        return 1
    print(f"{len(paths)} notebook(s) without stored outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
