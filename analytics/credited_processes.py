"""Which processes lent a pivot a behaviour: the record the summary and the checks name (task F21).

A cluster whose members are only a domain and an IP can show "encoded PowerShell command" because the
per-host processes that reached its pivot lent it (:func:`analytics.linked_processes.credit_to_pivots`);
its explanation must say which processes: per pivot and behaviour a :class:`CreditedProcesses` (how many
processes on how many hosts, their image names, one example command line and its host), and
:func:`cluster_credits` hands a cluster those of its new members.  Split from
:mod:`analytics.linked_processes` (task SWITCH), which reads the links and credits them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from graphsiem.model import Entity, EntityKey

LINEAGE_CREDIT = "interpreter_lineage"
"""The :class:`CreditedProcesses` entry of the processes that lent a pivot a pair whose child is an interpreter."""
MASQUERADE_CREDITS = ("renamed_copy", "lookalike_image", "misplaced_binary")
"""The entries of a pivot's processes that run under a name not their own (:mod:`analytics.masquerade_credits`):
a step whatever the cluster scored, so :func:`cluster_credits` hands them to every cluster of the pivot."""



@dataclass(slots=True, frozen=True)
class CreditedProcesses:
    """The processes that lent a pivot one behaviour: what a check names so the analyst finds them.

    ``example`` is one of their command lines, the one of the process that reached
    the pivot first (ties: the smaller key), as :func:`analytics.lineage.example_form`
    writes a lineage pair's example (one line, user folders elided, cut short):
    attacker text, data, never markup.  ``example_host`` is that process's host.
    ``reached`` is the pivot as the text names it (``"domain bad.example"``), set
    for a cluster by :func:`cluster_credits`.
    """

    behaviour: str
    pivot: EntityKey
    processes: int
    hosts: int
    images: tuple[str, ...]
    """Distinct image names, the most common first (ties: by name)."""
    command_lines: int
    """Distinct command lines among the processes."""
    example: str | None = None
    example_image: str = "?"
    example_host: str | None = None
    example_decoded: str | None = None
    """The example's decoded PowerShell command (its ``decoded_command`` prop), as the example is kept."""
    reached: str = ""
    source: EntityKey | None = None
    """When the processes fetched the pivot (a new payload) from a source the fleet knew before the window,
    that source: they reached it, not the payload (:mod:`analytics.known_source_downloads`); else ``None``."""
    carried: tuple[tuple[str, str], ...] = ()
    """``(image, command line)`` of the old processes among them (:mod:`analytics.switch_credit`): one node on
    many hosts, so the host findings of what they did on the cluster's hosts are the cluster's, as a process
    member's are (:func:`analytics.host_finding_words.host_finding_clusters`)."""

    @property
    def one_per_host(self) -> bool:
        """Each process on a host of its own, with a command line of its own (a per-host random campaign)."""
        return self.processes == self.hosts == self.command_lines


def cluster_credits(
    credited: Mapping[EntityKey, Mapping[str, CreditedProcesses]],
    members: Sequence[Entity],
    *,
    new_members: Iterable[EntityKey],
    behaviours: Collection[str],
    pair_children: Collection[str] = (),
) -> tuple[CreditedProcesses, ...]:
    """The credited processes behind a cluster's behaviours: those of its new members it shows.

    ``behaviours`` are the cluster's (:attr:`analytics.features.ClusterFacts.behaviours`);
    ``pair_children`` the child images of its new lineage pairs (a :data:`LINEAGE_CREDIT`
    entry counts when its example's image is one).  In new-member order (the pivot first),
    then by behaviour; each with ``reached`` set from the member's type and value.
    """
    values = {e.ref: f"{e.type} {e.value}" for e in members}
    found: list[CreditedProcesses] = []
    for key in new_members:
        for name, entry in sorted(credited.get(key, {}).items()):
            if (name in behaviours or name in MASQUERADE_CREDITS
                    or (name == LINEAGE_CREDIT and entry.example_image in pair_children)):
                found.append(replace(entry, reached=_reached(entry, values.get(key, f"{key[0]} {key[1]}"))))
    return tuple(found)


def _reached(entry: CreditedProcesses, member: str) -> str:
    """What the processes of ``entry`` reached: the cluster's ``member``, or, for processes that fetched the
    payload ``member`` from a known source (:attr:`CreditedProcesses.source`), that source.

    Examples
    --------
    >>> entry = CreditedProcesses("encoded_command", ("file", "f"), 3, 3, ("powershell.exe",), 3)
    >>> _reached(entry, "file a.png"), _reached(replace(entry, source=("ip", "203.0.113.7")), "file a.png")
    ('file a.png', 'ip 203.0.113.7, fetching file a.png')
    """
    if entry.source is None:
        return member
    return f"{entry.source[0]} {entry.source[1]}, fetching {member}"
