"""A pivot's one-host processes that run under a name not their own: renamed copies and look-alike names.

A renamed copy of ``powershell.exe`` (MITRE ATT&CK T1036.003) or a program named ``svchοst.exe``
with a Greek ``ο`` (T1036.005) is a check step of its cluster
(:mod:`analytics.renamed_binaries`).  That step read only the cluster's members, and a
campaign that gives every host its own command line leaves its processes out of them (each is
on one host: :mod:`analytics.linked_processes`): the copies that reached the campaign's domain
went unnamed.  So the processes linked to each candidate pivot are read here too, and those
that masquerade are kept as a credit entry of the pivot (:data:`RENAMED_CREDIT`,
:data:`LOOKALIKE_CREDIT`), handed to every cluster the pivot is a new member of as its
behaviours' credits are (:func:`analytics.credited_processes.cluster_credits`).

Unlike a behaviour, one process is enough: a renamed ``powershell.exe`` that reached the
campaign's domain on one host is a lead, and the entry is a step, never a scored feature, so it
moves no cluster's risk.  Processes on two hosts or more are left out, as the credit leaves
them out: they are in the incidence, and a member's copy is named from the members.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, MutableMapping
from dataclasses import dataclass

from analytics.credited_processes import MASQUERADE_CREDITS, CreditedProcesses
from analytics.image_lookalikes import imitated_binary
from analytics.lineage import example_form, image_file_name
from analytics.linked_processes import PivotLinks, ProcessHosts
from analytics.misplaced_binaries import misplaced_binary
from analytics.original_names import STEP_NAMED, renamed_from
from analytics.system_roots import DEFAULT_DRIVE, SystemDrives
from graphsiem.model import Entity, EntityKey

RENAMED_CREDIT, LOOKALIKE_CREDIT, MISPLACED_CREDIT = MASQUERADE_CREDITS
"""The entries: renamed copies of a watched binary, images named with look-alike characters (or
misspelt: :mod:`analytics.image_typosquats`), and Windows processes run from outside their folder
(:mod:`analytics.misplaced_binaries`)."""


@dataclass(slots=True, frozen=True)
class MasqueradeCredit(CreditedProcesses):
    """The processes of one pivot that are renamed copies of (or imitate) ``original``.

    ``images`` are their names on disk, ``example_path`` the example's image path and
    ``example_original_name`` its PE ``OriginalFileName`` as the event gave it (attacker text,
    both); ``other_binaries`` the binaries the pivot's other such processes are copies of.
    """

    original: str = ""
    example_path: str | None = None
    example_original_name: str | None = None
    other_binaries: tuple[str, ...] = ()
    example_drive: str = DEFAULT_DRIVE
    """The system drive of the example's host (:mod:`analytics.system_roots`): its path is judged against it."""


def masquerade_of(process: Entity, system_drive: str = DEFAULT_DRIVE) -> tuple[str, str] | None:
    """``(entry, binary)`` when ``process`` runs under a name not its own, else ``None``.

    A look-alike image name comes first: it is the more specific finding (a copy of
    ``powershell.exe`` saved as ``pоwershell.exe`` is both, and reads as the real one); a
    Windows process under its own name in another folder comes last, judged against the
    ``system_drive`` of the host that ran it.

    Examples
    --------
    >>> masquerade_of(Entity("process", "a", "svcupd.exe -x", {"image": "C:\\\\P\\\\svcupd.exe",
    ...                                                        "original_file_name": "PowerShell.EXE"}))
    ('renamed_copy', 'powershell.exe')
    >>> masquerade_of(Entity("process", "b", "svch\\u03bfst.exe -k", {"image": "C:\\\\P\\\\svch\\u03bfst.exe"}))
    ('lookalike_image', 'svchost.exe')
    >>> masquerade_of(Entity("process", "d", "svchost.exe -k", {"image": "C:\\\\Users\\\\Public\\\\svchost.exe"}))
    ('misplaced_binary', 'svchost.exe')
    >>> masquerade_of(Entity("process", "c", "chrome.exe --type=renderer"))
    """
    name = written_name(process)
    imitation = imitated_binary(name)
    if imitation is not None:
        return LOOKALIKE_CREDIT, imitation.imitates
    original = renamed_from(name, process.props.get("original_file_name"), STEP_NAMED)
    if original is not None:
        return RENAMED_CREDIT, original
    misplaced = misplaced_binary(process.props.get("image"), system_drive)
    return None if misplaced is None else (MISPLACED_CREDIT, misplaced.binary)


def written_name(process: Entity) -> str:
    """The file name of a process's image as written (case and look-alike characters kept: what a step quotes).

    Examples
    --------
    >>> written_name(Entity("process", "a", "x", {"image": "C:\\\\Users\\\\Public\\\\SvcUpd.exe"}))
    'SvcUpd.exe'
    """
    image = process.props.get("image")
    if isinstance(image, str) and image:
        return image.replace("/", "\\").rsplit("\\", 1)[-1]
    return image_file_name(process.value, process.props)


def masquerade_credits(
    links: PivotLinks, processes: Mapping[EntityKey, Entity], *,
    shared_processes: Collection[EntityKey], hosts: ProcessHosts | None = None,
    system_drives: SystemDrives | None = None,
) -> dict[EntityKey, dict[str, MasqueradeCredit]]:
    """Pivot -> entry -> its one-host linked processes that masquerade (:func:`masquerade_of`).

    Parameters
    ----------
    links : PivotLinks
        The processes that reached each candidate pivot in the window.
    processes : mapping
        Process entities by key (their props carry ``image`` and ``original_file_name``).
    shared_processes : collection of EntityKey
        Processes on two hosts or more: left out (they are in the incidence).
    hosts : ProcessHosts, optional
        The window's host of each process (without it, no host is counted or named).
    system_drives : SystemDrives, optional
        Each host's system drive (:func:`analytics.system_roots.learn_system_drives`; without it, ``C:``).

    Examples
    --------
    >>> copies = {("process", f"c{i}"): Entity("process", f"c{i}", f"svcupd.exe -c {i}",
    ...           {"image": "C:\\\\Users\\\\Public\\\\svcupd.exe", "original_file_name": "PowerShell.EXE"}) for i in range(3)}
    >>> links = PivotLinks({("domain", "d"): {key: 50.0 + i for i, key in enumerate(copies)}})
    >>> found = masquerade_credits(links, copies, shared_processes=set())[("domain", "d")]["renamed_copy"]
    >>> found.processes, found.original, found.images, found.example
    (3, 'powershell.exe', ('svcupd.exe',), 'svcupd.exe -c 0')
    """
    where = hosts or ProcessHosts()
    drives = system_drives or SystemDrives()
    found: dict[EntityKey, dict[str, MasqueradeCredit]] = {}
    for pivot, linked in links.processes.items():
        groups: dict[str, list[tuple[float, EntityKey, str]]] = {}
        for key, linked_at in linked.items():
            process = processes.get(key)
            if process is None or key in shared_processes:
                continue
            masquerade = masquerade_of(process, drives.drive_of(where.host_of(key)))
            if masquerade is not None:
                groups.setdefault(masquerade[0], []).append((linked_at, key, masquerade[1]))
        entries = {entry: _credit(pivot, entry, shown, processes, where, drives) for entry, shown in sorted(groups.items())}
        if entries:
            found[pivot] = entries
    return found


def _credit(pivot: EntityKey, entry: str, shown: list[tuple[float, EntityKey, str]],
            processes: Mapping[EntityKey, Entity], hosts: ProcessHosts, drives: SystemDrives) -> MasqueradeCredit:
    """The entry of ``shown`` (``(linked_at, process, binary)``): the most common binary's processes."""
    binaries = Counter(binary for _, _, binary in shown)
    original = min(binaries, key=lambda b: (-binaries[b], b))
    # the example is the strongest evidence first: a two-letter misspelling only when no other is there
    mine = sorted((t, key) for t, key, binary in shown if binary == original)
    mine.sort(key=lambda linked: _is_weaker(processes[linked[1]]))
    names = Counter(written_name(processes[key]) for _, key in mine)
    lines = {key: str(processes[key].props.get("command_line") or processes[key].value) for _, key in mine}
    first = processes[mine[0][1]]
    original_name = first.props.get("original_file_name")
    return MasqueradeCredit(
        behaviour=entry,
        pivot=pivot,
        processes=len(mine),
        hosts=len({h for _, key in mine if (h := hosts.host_of(key)) is not None}),
        images=tuple(sorted(names, key=lambda name: (-names[name], name))),
        command_lines=len(set(lines.values())),
        example=example_form(lines[first.ref]),
        example_image=written_name(first),
        example_host=hosts.host_of(first.ref),
        original=original,
        example_path=str(first.props.get("image") or written_name(first)),
        example_original_name=str(original_name) if original_name is not None else None,
        other_binaries=tuple(sorted(b for b in binaries if b != original)),
        example_drive=drives.drive_of(hosts.host_of(first.ref)),
    )


def _is_weaker(process: Entity) -> bool:
    """Whether ``process`` masquerades by a two-letter misspelling only (``scvhosts.exe``: the weakest reading)."""
    imitation = imitated_binary(written_name(process))
    return imitation is not None and imitation.two_letters


def add_masquerade_credits(
    credited: MutableMapping[EntityKey, dict[str, CreditedProcesses]], links: PivotLinks,
    processes: Mapping[EntityKey, Entity], *, shared_processes: Collection[EntityKey], hosts: ProcessHosts | None = None,
    system_drives: SystemDrives | None = None,
) -> None:
    """Add each pivot's :func:`masquerade_credits` to ``credited`` (the detection's pivot -> entry -> credit)."""
    found = masquerade_credits(links, processes, shared_processes=shared_processes, hosts=hosts, system_drives=system_drives)
    for pivot, entries in found.items():
        credited.setdefault(pivot, {}).update(entries)
