#!/usr/bin/env bash
# Install the open-source peers that benchmarks/bench_peers.py compares GraphSIEM with,
# each in its own directory under .cache/peers/ (git-ignored), NEVER into the project's .venv.
#
# Beagle (yampelo/beagle, PyPI `pybeagle` 1.0.5, May 2019) pins its whole tree to 2019
# releases (numpy 1.16.2, pandas 0.24.2, lxml 4.3.3, grpcio 1.20.0rc3, networkx 2.3rc3) that
# have wheels for CPython 3.7 and none for 3.11, so it gets a Python 3.7 venv: PYTHON37, else
# pyenv's 3.7, else `python3.7` on PATH. About 1 minute, ~250 MB.
#
# The other peers are not installed (why: benchmarks/bench_peers.py's docstring).
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=.cache/peers

python37="${PYTHON37:-}"
if [ -z "$python37" ]; then
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.7*/bin/python3.7 "$(command -v python3.7 || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then python37="$candidate"; break; fi
    done
fi
if [ -z "$python37" ]; then
    echo "peers_install: Beagle needs CPython 3.7 (its pinned numpy/pandas/lxml have no newer wheels);" >&2
    echo "  set PYTHON37=/path/to/python3.7 (e.g. from pyenv, or 'uv python install 3.7')" >&2
    exit 1
fi

if [ ! -x "$PEERS/beagle/venv/bin/python" ] || ! "$PEERS/beagle/venv/bin/python" -c "import beagle" 2>/dev/null; then
    mkdir -p "$PEERS/beagle"
    "$python37" -m venv "$PEERS/beagle/venv"
    "$PEERS/beagle/venv/bin/pip" install -q pybeagle==1.0.5
fi
"$PEERS/beagle/venv/bin/python" -c "import beagle, networkx; print('beagle ok, networkx', networkx.__version__)"
