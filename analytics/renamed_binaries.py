"""The check step of a cluster with a renamed copy of an interpreter or LOLBin (MITRE ATT&CK T1036.003).

Which binaries count and how a PE ``OriginalFileName`` is read: :mod:`analytics.original_names`.
A renamed copy is a step, not a scored feature: the copy already scores through what it is
(an interpreter spawned by a new parent, an encoded command) because
:func:`analytics.lineage.image_name` reads it as the original, and a column of its own would
reshape the forest's scores for every cluster over a behaviour no fleet baseline shows.

The step also names renamed copies of the tools of :data:`analytics.original_names.CHECK_ONLY`
(``curl.exe``, ``mimikatz.exe``, ``msiexec.exe``...), which are still read under their name on disk.
The ``OriginalFileName`` is attacker text (anyone can edit a version resource): the step quotes
only the file name read from it, and says when the value carried a path or hidden characters.
"""

from __future__ import annotations

from collections.abc import Iterable

from analytics.credited_words import plain
from analytics.explain import Check
from analytics.lineage import image_file_name
from analytics.original_names import CHECK_ONLY, WATCHED, read_original, renamed_from
from graphsiem.model import Entity, EntityType

_NAMED = WATCHED | CHECK_ONLY
"""The binaries whose renamed copy is a step."""


def renamed_copies(entities: Iterable[Entity]) -> list[tuple[Entity, str, str]]:
    """``(process, its file name, the binary it is a copy of)`` for each renamed copy among ``entities``."""
    found = []
    for entity in entities:
        if entity.type != EntityType.PROCESS.value:
            continue
        name = image_file_name(entity.value, entity.props)
        original = renamed_from(name, entity.props.get("original_file_name"), _NAMED)
        if original is not None:
            found.append((entity, name, original))
    return found


def renamed_copy_check(entities: Iterable[Entity], hosts_text: str) -> Check | None:
    """The step for a cluster whose processes include a renamed copy of a watched binary, else ``None``.

    Parameters
    ----------
    entities : iterable of Entity
        The cluster's members (process props carry ``original_file_name`` and ``image``).
    hosts_text : str
        The cluster's hosts as the checks name them (a few and how many more).

    Names are attacker text: quoted as plain text, one line, cut short.
    """
    copies = renamed_copies(entities)
    if not copies:
        return None
    process, name, original = copies[0]
    read = read_original(process.props.get("original_file_name"))
    written = plain(read.written if read is not None else original, 40)
    if read is not None and read.had_path:
        # attacker text: the path before the name is not quoted, only its presence is evidence
        written += ", written with a path before the name, which no real binary's is"
    elif read is not None and read.respelled:
        written += ", written with hidden characters, quotes or full-width forms"
    path = plain(process.props.get("image") or name, 120)
    more = f" ({len(copies) - 1} more renamed cop{'ies' if len(copies) > 2 else 'y'} in the cluster)" if len(copies) > 1 else ""
    return Check(
        None,
        f"{plain(name, 40)} is a renamed copy of {original} (PE OriginalFileName {written}, image {path}){more}: "
        f"a copied system binary run under another name is how attackers pass rules that match "
        f"{original} by name (MITRE ATT&CK T1036.003); check who wrote {plain(name, 40)} to that folder "
        f"(Sysmon event 11, its hashes against the system's {original}) and what it ran on {hosts_text}",
        f"the copy is part of a product that bundles {original} under its own name (a known vendor folder, "
        "signed, the same path on other hosts before the window)",
    )
