"""Where the third-party sample corpus is: one rule for every test and benchmark.

``$GRAPHSIEM_SAMPLES`` when set, else ``../shared/datasets`` beside the
checkout (``scripts/test.sh`` sets the variable, falling back to the
workplace's copy).  A plain module, not only a fixture, because several test
modules parametrize over the corpus files at collection time.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def samples_path() -> Path:
    """The sample corpus folder (it may not exist; callers fail clearly if so)."""
    return Path(os.environ.get("GRAPHSIEM_SAMPLES") or REPO_ROOT.parent / "shared" / "datasets").resolve()
