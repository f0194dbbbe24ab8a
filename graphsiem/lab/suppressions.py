"""The service's benign verdicts in a lab detection (``Workspace.detect(suppressions=)``).

``graphsiem detect`` and the service apply the triage suppressions kept in the data
directory's ``state.sqlite`` (an analyst's benign verdict on a cluster) to every
detection, so a notebook on the same directory applies them too by default: otherwise
it would list the clusters analysts closed as benign, and its queue would not be the
one the service and the CLI show (review T11 F2).  ``suppressions=False`` detects
without them, as ``graphsiem detect --no-suppressions`` does.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path

from analytics.config import DetectionConfig
from graphsiem.cli.detect_triage import triage_suppressed_members, triage_suppressions


@dataclass(frozen=True)
class TriageSuppressions:
    """What a lab detection did with the data directory's triage suppressions.

    Attributes
    ----------
    held : int
        Suppressions (benign verdicts) the data directory's service state holds.
    applied : bool
        Whether the detection was given them (``False`` with ``suppressions=False``).
    """

    held: int
    applied: bool


def with_triage_suppressions(
    config: DetectionConfig, data_dir: Path, *, apply: bool
) -> tuple[DetectionConfig, TriageSuppressions]:
    """``config`` plus the data directory's triage suppressions (when ``apply``), as ``graphsiem detect`` adds them.

    A config's own ``suppressed`` pivots are kept; each verdict's covered members are
    added as the service records them (a behaviour verdict holds on the hosts it was given on).

    Raises
    ------
    RuntimeError
        ``apply`` and the state file cannot be read: detecting without its verdicts would
        show what analysts closed as benign, so only an explicit ``suppressions=False`` does.

    Examples
    --------
    >>> import tempfile
    >>> config, seen = with_triage_suppressions(DetectionConfig(), Path(tempfile.mkdtemp()), apply=True)
    >>> seen, config.suppressed
    (TriageSuppressions(held=0, applied=True), frozenset())
    """
    try:
        held = triage_suppressions(data_dir)
        members = triage_suppressed_members(data_dir) if apply and held else {}
    except sqlite3.Error as exc:
        if apply:
            raise RuntimeError(
                f"cannot read the triage suppressions in {data_dir / 'state.sqlite'}: {exc} "
                "(detect(suppressions=False) to detect without the service's benign verdicts)"
            ) from exc
        return config, TriageSuppressions(held=0, applied=False)
    if not apply or not held:
        return config, TriageSuppressions(held=len(held), applied=apply)
    # frozenset(): a notebook may pass its own as a tuple or list (detect(suppressed=[...]))
    merged = replace(config, suppressed=frozenset(config.suppressed) | held,
                     suppressed_members={**config.suppressed_members, **members})
    return merged, TriageSuppressions(held=len(held), applied=True)
