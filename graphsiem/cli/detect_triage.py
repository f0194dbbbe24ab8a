"""What the service's triage state does to ``graphsiem detect``: its suppressions and its cluster ids.

The CLI applies the benign verdicts of ``<data>/state.sqlite`` as the service does (task I9), so
both give the same clusters on the same data.  Two things of that state are not the pivot alone
(task F2):

* a benign verdict held is not one that applied: a behaviour verdict covers the hosts it was
  given on (:func:`analytics.clusters.covers_hosts`), so the same pair of kinds on other
  machines is shown.  :func:`suppressions_note` counts the suppressions that removed a cluster
  (``suppressions_applied`` in the detection's stats) and says what became of the others;
* a behaviour pivot's id is one per pair of kinds and process shape, and the service stores each *episode* under
  an id of its own (:mod:`graphsiem.api.behaviour_episodes`).  :func:`service_ids` gives each
  cluster the id the service would store it under, read from the same stored episodes, so the
  id ``detect`` prints is the one ``GET /v1/clusters/{id}`` answers for that cluster, not an
  earlier episode's on other machines.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from graphsiem.model import EntityKey
from ingest.report import printable

STATE_NAME = "state.sqlite"
"""The service state's file in a data directory (:func:`graphsiem.paths.state_path`'s), read
here without making the directory."""


def triage_suppressed_members(data: Path) -> dict[EntityKey, frozenset[EntityKey]]:
    """What each benign verdict covered (the suppressed pivot's cluster members), as the service
    applies it (:func:`graphsiem.api.state_verdicts.suppressed_members`); empty without state."""
    path = data / STATE_NAME
    if not path.is_file():
        return {}
    from graphsiem.api.state import StateStore
    from graphsiem.api.state_verdicts import suppressed_members

    state = StateStore(path)
    try:
        return suppressed_members(state)
    finally:
        state.close()


def triage_suppressions(data: Path) -> frozenset[EntityKey]:
    """The pivots the service's analysts suppressed (benign verdicts), from ``<data>/state.sqlite``.

    The service applies them to every detection; the CLI applies the same, so both give the
    same clusters on the same data.  Empty when the data directory holds no service state.

    Raises
    ------
    sqlite3.Error
        The state file cannot be read.
    """
    path = data / STATE_NAME
    if not path.is_file():
        return frozenset()
    from graphsiem.api.state import StateStore

    state = StateStore(path)
    try:
        return frozenset(state.suppressed_pivots())
    finally:
        state.close()


def suppression_outcome(
    held: frozenset[EntityKey], applied: Iterable[Iterable[str]], clusters: Iterable[dict[str, Any]],
) -> tuple[int, int]:
    """How many of the suppressions ``held`` removed a cluster, and how many pivots of them are shown.

    Parameters
    ----------
    held : frozenset of (type, key)
        The triage suppressions the run was given.
    applied : iterable of [type, key]
        The suppressed pivots whose cluster the run left out (its stats' ``suppressions_applied``).
    clusters : iterable of dict
        The run's clusters (contract dicts with ``pivot``).

    Examples
    --------
    >>> held = frozenset({("file", "a"), ("process", "b"), ("domain", "c")})
    >>> suppression_outcome(held, [["file", "a"], ["url", "from-config"]], [{"pivot": {"type": "process", "key": "b"}}])
    (1, 1)
    """
    removed = held & {(str(kind), str(key)) for kind, key in applied}
    pivots = {(str(c["pivot"]["type"]), str(c["pivot"]["key"])) for c in clusters if c.get("pivot")}
    return len(removed), len(held & pivots)


def suppressions_note(held: int, *, removed: int | None = None, shown: int = 0, ignored: bool = False,
                      other_source: int = 0) -> str:
    """What the output says of the triage suppressions (empty when there are none).

    Parameters
    ----------
    held : int
        Benign verdicts in the service state (suppressed pivots).
    removed : int or None
        How many of them removed a cluster in this run; ``None`` when the run applies none
        (a ``--baseline`` ranking).
    shown : int
        How many of them are the pivot of a cluster shown: a behaviour verdict given on other hosts.
    ignored : bool
        ``--no-suppressions``.
    other_source : int
        How many of the ``shown`` hold only for another source host than the cluster's log-ons came from
        (``source_verdicts_reopened``, :mod:`analytics.lateral_verdicts`).

    Examples
    --------
    >>> suppressions_note(2, removed=2)
    '2 pivots suppressed by triage (benign verdicts in the service state; --no-suppressions to ignore them)'
    >>> suppressions_note(1, ignored=True)
    '--no-suppressions: 1 pivot suppressed by triage ignored'
    >>> suppressions_note(1, removed=0, shown=1)
    '1 benign verdict in the service state removed no cluster: 1 shown on other hosts than it was given on (a behaviour verdict covers only those)'
    >>> suppressions_note(3, removed=1, shown=0)
    '1 pivot suppressed by triage (benign verdicts in the service state; --no-suppressions to ignore them); 2 more benign verdicts removed no cluster: 2 not detected in this window, or part of another cluster'
    >>> suppressions_note(1, removed=0, shown=1, other_source=1)
    '1 benign verdict in the service state removed no cluster: 1 shown from another source host than it was given for (a lateral verdict holds for its source only)'
    >>> suppressions_note(2, removed=None)
    '--baseline: 2 pivots suppressed by triage not applied (a baseline ranking applies no suppressions)'
    """
    if held == 0:
        return ""
    pivots = f"{held} pivot{_s(held)} suppressed by triage"
    if ignored:
        return f"--no-suppressions: {pivots} ignored"
    if removed is None:
        return f"--baseline: {pivots} not applied (a baseline ranking applies no suppressions)"
    parts = []
    if removed:
        parts.append(f"{removed} pivot{_s(removed)} suppressed by triage "
                     "(benign verdicts in the service state; --no-suppressions to ignore them)")
    idle = held - removed
    if idle:
        why = []
        if shown - other_source:
            why.append(f"{shown - other_source} shown on other hosts than "
                       f"{'it was' if shown - other_source == 1 else 'they were'} given on "
                       "(a behaviour verdict covers only those)")
        if other_source:
            why.append(f"{other_source} shown from another source host than "
                       f"{'it was' if other_source == 1 else 'they were'} given for "
                       "(a lateral verdict holds for its source only)")
        if idle - shown:
            why.append(f"{idle - shown} not detected in this window, or part of another cluster")
        verdicts = (f"{idle} more benign verdict{_s(idle)}" if removed
                    else f"{idle} benign verdict{_s(idle)} in the service state")
        parts.append(f"{verdicts} removed no cluster: {', '.join(why)}")
    return "; ".join(parts)


def service_ids(data: Path, clusters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``clusters`` under the ids the service would store them under (:mod:`graphsiem.api.behaviour_episodes`).

    Only a behaviour cluster's id can differ from its pivot's: it is the stored episode's it
    continues, or a new one when the pivot's own id is an episode on other machines.  Without
    service state nothing is stored, and every cluster keeps its pivot's id, as the service's
    first detection would.  The state is opened read-only: nothing is stored.

    Raises
    ------
    sqlite3.Error
        The state file cannot be read.
    """
    # imported here, not with the CLI: numpy and scipy come with them
    from analytics.behaviour_words import is_behaviour
    from graphsiem.api.behaviour_episodes import with_episode_id

    path = data / STATE_NAME
    behaviour = any(is_behaviour((str(c["pivot"]["type"]), str(c["pivot"]["key"])))
                    for c in clusters if c.get("pivot"))
    if not behaviour or not path.is_file():
        return clusters
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        return [with_episode_id(db, cluster) for cluster in clusters]
    finally:
        db.close()


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def carried_verdicts_note(carried: list[dict[str, Any]]) -> str:
    """What ``detect`` says on stderr of benign verdicts it carried to a product's new build (empty when none).

    A carry leaves the new build's cluster out as the judged one's is, yet a trojanised update pushed
    to exactly the judged hosts looks the same (:mod:`analytics.behaviour_verdicts`), so the analyst
    is asked to confirm each, as the page's queue header does.

    Parameters
    ----------
    carried : list of dict
        The detection's ``stats["verdicts_carried"]`` records (pivot, judged_build, build, hosts, judged_hosts).

    Examples
    --------
    >>> print(carried_verdicts_note([{"pivot": ["behaviour", "b (x, shape 0123)"], "judged_build": "sha256 " + "ab" * 32,
    ...                               "build": "sha256 " + "cd" * 32, "hosts": 30, "judged_hosts": 25}]))
    1 benign verdict carried to a new build, its cluster left out: confirm each is the vendor's (--json: detection.stats.verdicts_carried): b (x, shape 0123) sha256 abababababababab… → sha256 cdcdcdcdcdcdcdcd… on 30 hosts (judged on 25)
    >>> carried_verdicts_note([])
    ''
    """
    return _verdicts_note(carried, "carried", "left out: confirm each is the vendor's", "verdicts_carried",
                          lambda record: f" on {record.get('hosts', 0)} hosts (judged on {record.get('judged_hosts', 0)})")


def refused_verdicts_note(refused: list[dict[str, Any]]) -> str:
    """What ``detect`` says on stderr of benign verdicts it did not carry to a new build for its signer (empty when none).

    The new build's cluster is shown although the judged build's verdict was benign: the note says
    why (:mod:`analytics.build_signers`), so the analyst does not take it for a verdict lost.

    Parameters
    ----------
    refused : list of dict
        The detection's ``stats["verdicts_refused"]`` records (a carry's, with ``refused``: why).

    Examples
    --------
    >>> print(refused_verdicts_note([{"pivot": ["behaviour", "b (x, shape 0123)"], "judged_build": "sha256 " + "ab" * 32,
    ...                               "build": "sha256 " + "cd" * 32, "hosts": 30, "judged_hosts": 25,
    ...                               "refused": "signer changed: Contoso Ltd (Valid) → unsigned"}]))
    1 benign verdict not carried to a new build, its cluster shown (--json: detection.stats.verdicts_refused): b (x, shape 0123) sha256 abababababababab… → sha256 cdcdcdcdcdcdcdcd…: signer changed: Contoso Ltd (Valid) → unsigned
    >>> refused_verdicts_note([])
    ''
    """
    return _verdicts_note(refused, "not carried", "shown", "verdicts_refused",
                          lambda record: f": {printable(str(record.get('refused', '')))}")


def _verdicts_note(
    records: list[dict[str, Any]], verb: str, fate: str, key: str, detail: Callable[[dict[str, Any]], str],
) -> str:
    """The note of carry records (:func:`carried_verdicts_note`, :func:`refused_verdicts_note`): how many
    verdicts were ``verb`` to a new build, what became of the cluster (``fate``), the stats ``key`` that
    lists them, then each record's builds (:func:`_builds_phrase`) and its ``detail``; empty when none."""
    if not records:
        return ""
    n = len(records)
    parts = "; ".join(_builds_phrase(record) + detail(record) for record in records)
    return (f"{n} benign verdict{_s(n)} {verb} to a new build, {'its cluster' if n == 1 else 'their clusters'} "
            f"{fate} (--json: detection.stats.{key}): {parts}")


def _builds_phrase(record: dict[str, Any]) -> str:
    """A carry record's pivot and its judged and new builds, each cut: ``pivot judged… → new…``."""
    pivot = record.get("pivot") or ["", ""]
    return (f"{printable(str(pivot[1]))} {printable(str(record.get('judged_build', ''))[:23])}… → "
            f"{printable(str(record.get('build', ''))[:23])}…")
