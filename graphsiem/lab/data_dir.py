"""Whether a workspace's data directory holds anything to read (``graphsiem detect``'s check, for the lab).

``lab.open`` on an existing directory that holds no data makes nothing there
until the workspace writes (``simulate``, ``ingest``) or is asked to
(``create=True``), and a read (``detect``, ``features``, ``baseline``) refuses
with :class:`NothingIngestedError` instead of answering "no clusters" over an
empty window that starts in 1970.
"""

from __future__ import annotations

from pathlib import Path

from graphsiem.cli.arguments import DATA_MARKS


class NothingIngestedError(LookupError):
    """A read in a workspace whose data directory or store holds no data."""


def holds_data(directory: Path) -> bool:
    """Whether an ingest left its marks (the journal or the embedded graph) in ``directory``."""
    return any((directory / mark).exists() for mark in DATA_MARKS)


def refuse_if_empty(directory: Path, sighting_hosts: int | None) -> None:
    """Raise :class:`NothingIngestedError` when there is nothing to read.

    Parameters
    ----------
    directory : Path
        The data directory: it must hold a journal or an embedded graph.
    sighting_hosts : int, optional
        Hosts with sightings in the store (checked when given): none means
        nothing was ingested into it, whatever files the directory holds.

    Examples
    --------
    >>> refuse_if_empty(Path("/"), None)
    Traceback (most recent call last):
    ...
    graphsiem.lab.data_dir.NothingIngestedError: nothing has been ingested in /: it holds no journal.sqlite or graph (ws.simulate() / ws.ingest(...) first, or check data_dir)
    """
    if not holds_data(directory):
        raise NothingIngestedError(
            f"nothing has been ingested in {directory}: it holds no {' or '.join(DATA_MARKS)} "
            "(ws.simulate() / ws.ingest(...) first, or check data_dir)"
        )
    if sighting_hosts is not None and sighting_hosts == 0:
        raise NothingIngestedError(
            f"nothing has been ingested in {directory}: its store holds no sightings "
            "(ws.ingest(...) first; a simulation is ingested by ws.ingest(telemetry))"
        )
