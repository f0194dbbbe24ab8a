"""The check steps of a cluster with a process run under a name not its own (MITRE ATT&CK T1036).

Two steps: a *renamed copy* of an interpreter or LOLBin (``C:\\Users\\Public\\svcupd.exe`` whose PE
``OriginalFileName`` is ``PowerShell.EXE``, T1036.003), and an image named with *look-alike
characters* to read as a Windows binary (``svchοst.exe`` with a Greek ``ο``, T1036.005;
:mod:`analytics.image_lookalikes`).  Which binaries count and how a PE ``OriginalFileName`` is
read: :mod:`analytics.original_names`.

Both are steps, not scored features: a renamed copy already scores through what it is (an
interpreter spawned by a new parent, an encoded command) because
:func:`analytics.lineage.image_name` reads it as the original, and a column of its own would
reshape the forest's scores for every cluster over a behaviour no fleet baseline shows.

The steps read the cluster's member processes and, when none masquerades, the one-host processes
that reached its new members (a campaign with a command line of its own per host has no member
process: :mod:`analytics.masquerade_credits`), saying how many there were on how many hosts.

The renamed step also names renamed copies of the tools of :data:`analytics.original_names.CHECK_ONLY`
(``curl.exe``, ``mimikatz.exe``, ``msiexec.exe``...), which are still read under their name on disk.
Image names and the ``OriginalFileName`` are attacker text (anyone names a file or edits a version
resource): the steps quote them as plain text, name each look-alike character by its code point,
quote only the file name read from an ``OriginalFileName``, and say when it carried a path or
hidden characters.
"""

from __future__ import annotations

from collections.abc import Iterable

from analytics.credited_processes import CreditedProcesses
from analytics.credited_words import NOT_MEMBERS, credited_example, credited_who, plain
from analytics.explain import Check
from analytics.image_lookalikes import Imitation, imitated_binary, imitated_original
from analytics.lineage import image_file_name
from analytics.masquerade_credits import (
    LOOKALIKE_CREDIT,
    RENAMED_CREDIT,
    MasqueradeCredit,
    written_name,
)
from analytics.misplaced_binaries import misplaced_binary_check
from analytics.original_names import STEP_NAMED, OriginalName, read_original, renamed_from
from graphsiem.model import Entity, EntityType

"""The binaries whose renamed copy is a step."""


def renamed_copies(entities: Iterable[Entity]) -> list[tuple[Entity, str, str]]:
    """``(process, its file name, the binary it is a copy of)`` for each renamed copy among ``entities``.

    A copy saved under a look-alike of the binary's own name (``pоwershell.exe``) is left to the
    look-alike step (:func:`lookalike_image_check`), which says it is a copy.
    """
    found = []
    for entity in entities:
        if entity.type != EntityType.PROCESS.value or imitated_binary(written_name(entity)) is not None:
            continue
        name = image_file_name(entity.value, entity.props)
        original = renamed_from(name, entity.props.get("original_file_name"), STEP_NAMED)
        if original is not None:
            found.append((entity, name, original))
    return found


def _credit(credited: Iterable[CreditedProcesses], entry: str) -> MasqueradeCredit | None:
    """The first masquerade credit of ``entry`` (the pivot's, when it has one)."""
    return next((c for c in credited if isinstance(c, MasqueradeCredit) and c.behaviour == entry), None)


def _original_note(original_name: object) -> str:
    """How the ``OriginalFileName`` was written, when that is evidence: a path, hidden characters."""
    read = read_original(original_name)
    if read is not None and read.had_path:
        # attacker text: the path before the name is not quoted, only its presence is evidence
        return ", written with a path before the name, which no real binary's is"
    if read is not None and read.respelled:
        return ", written with hidden characters, quotes or full-width forms"
    return ""


def _renamed_tail(name: str, original: str, hosts_text: str) -> str:
    return (f"a copied system binary run under another name is how attackers pass rules that match "
            f"{original} by name (MITRE ATT&CK T1036.003); check who wrote {plain(name, 40)} to that folder "
            f"(Sysmon event 11, its hashes against the system's {original}) and what it ran on {hosts_text}")


def _renamed_benign(original: str) -> str:
    return (f"the copy is part of a product that bundles {original} under its own name (a known vendor folder, "
            "signed, the same path on other hosts before the window)")


def renamed_copy_check(entities: Iterable[Entity], hosts_text: str,
                       credited: Iterable[CreditedProcesses] = ()) -> Check | None:
    """The step for a cluster whose processes include a renamed copy of a watched binary, else ``None``.

    Parameters
    ----------
    entities : iterable of Entity
        The cluster's members (process props carry ``original_file_name`` and ``image``).
    hosts_text : str
        The cluster's hosts as the checks name them (a few and how many more).
    credited : iterable of CreditedProcesses
        The cluster's credited processes (:attr:`analytics.explain.Explanation.credited`): its
        :data:`~analytics.masquerade_credits.RENAMED_CREDIT` entry names the one-host copies that
        reached a new member when no member is a copy.

    Names are attacker text: quoted as plain text, one line, cut short.
    """
    copies = renamed_copies(entities)
    if not copies:
        credit = _credit(credited, RENAMED_CREDIT)
        return None if credit is None else _credited_renamed_check(credit, hosts_text)
    process, name, original = copies[0]
    read = read_original(process.props.get("original_file_name"))
    written = plain(read.written if read is not None else original, 40) + _original_note(process.props.get("original_file_name"))
    path = plain(process.props.get("image") or name, 120)
    more = f" ({len(copies) - 1} more renamed cop{'ies' if len(copies) > 2 else 'y'} in the cluster)" if len(copies) > 1 else ""
    return Check(
        None,
        f"{plain(name, 40)} is a renamed copy of {original} (PE OriginalFileName {written}, image {path}){more}: "
        + _renamed_tail(name, original, hosts_text),
        _renamed_benign(original),
    )


def _credited_renamed_check(credit: MasqueradeCredit, hosts_text: str) -> Check:
    """The renamed step for copies that are no members: who they are, how many, on how many hosts."""
    name, original = credit.example_image, credit.original
    read = read_original(credit.example_original_name)
    written = plain(read.written if read is not None else original, 40) + _original_note(credit.example_original_name)
    example = credited_example(credit)
    others = f"; also copies of {', '.join(credit.other_binaries)}" if credit.other_binaries else ""
    return Check(
        None,
        f"{credited_who(credit)} reached {plain(credit.reached)}: {plain(name, 40)} is a renamed copy of {original} "
        f"(PE OriginalFileName {written}, image {plain(credit.example_path or name, 120)}; "
        f"{example + '; ' if example else ''}{NOT_MEMBERS}{others}): " + _renamed_tail(name, original, hosts_text),
        _renamed_benign(original),
    )


def _lookalike_members(entities: Iterable[Entity]) -> list[tuple[Entity, Imitation, OriginalName | None, bool]]:
    """``(process, imitation, its OriginalFileName read, whether the imitation is the OriginalFileName's)``,
    the weaker two-letter misspellings last (the step names the first)."""
    found = []
    for entity in entities:
        if entity.type != EntityType.PROCESS.value:
            continue
        imitation = imitated_binary(written_name(entity))
        if imitation is not None:
            found.append((entity, imitation, read_original(entity.props.get("original_file_name")), False))
            continue
        forged = imitated_original(entity.props.get("original_file_name"))
        if forged is not None:
            found.append((entity, forged[1], forged[0], True))
    return sorted(found, key=lambda member: member[1].two_letters)  # stable: the members' order otherwise


def _image_lookalike_text(imitation: Imitation, read: OriginalName | None, path: str, extra: str = "") -> str:
    """``<name> imitates <binary> with look-alike characters (<which>; spelled ...; image ...; its original name<extra>)``."""
    if read is None:
        origin = "no PE OriginalFileName"
    elif read.name == imitation.imitates:
        origin = f"PE OriginalFileName {plain(read.written, 40)}: a copy of {imitation.imitates} under a look-alike name"
    else:
        origin = f"PE OriginalFileName {plain(read.written, 40)}"
    return (f"{plain(imitation.written, 40)} imitates {imitation.imitates} with {imitation.means} "
            f"({imitation.characters()}; spelled {imitation.spelled()}; image {plain(path, 120)}; {origin}{extra})")


def _lookalike_tail(imitates: str, hosts_text: str) -> str:
    return (f"a program named to read as {imitates} in a process list, a triage screen or a search typed by a person "
            f"hides among the real ones while every rule that matches {imitates} by name misses it "
            f"(MITRE ATT&CK T1036.005); compare its hash and signer with the system's {imitates}, and check who "
            f"wrote it to that folder (Sysmon event 11) and what it ran on {hosts_text}")


_LOOKALIKE_BENIGN = ("the name is a product's own (a localized or vendor program, signed by its vendor, seen under "
                     "this name and path on other hosts before the window), not a stand-in for a Windows binary")
_TWO_LETTER_BENIGN = (_LOOKALIKE_BENIGN + "; two letters apart is weaker evidence than one: real products are "
                      "named that close to Windows binaries (XYplorer, explorer.exe's)")


def _lookalike_benign(imitation: Imitation) -> str:
    """What would make the look-alike step benign (said more readily of a two-letter misspelling)."""
    return _TWO_LETTER_BENIGN if imitation.two_letters else _LOOKALIKE_BENIGN
_FORGED_BENIGN = ("the value was garbled on its way (the file's own version resource, read from the file, names "
                  "it in plain ASCII)")


def lookalike_image_check(entities: Iterable[Entity], hosts_text: str,
                          credited: Iterable[CreditedProcesses] = ()) -> Check | None:
    """The step for a cluster with a process named to read as a Windows binary, else ``None``.

    A member whose image name imitates one (:func:`analytics.image_lookalikes.imitated_binary`), or
    whose PE ``OriginalFileName`` is written with look-alike letters to read as a watched binary's
    (:func:`analytics.image_lookalikes.imitated_original`); else the cluster's
    :data:`~analytics.masquerade_credits.LOOKALIKE_CREDIT` entry (one-host processes, no members).
    Each look-alike character is named by its code point, so the analyst sees what the screen hides.
    """
    found = _lookalike_members(entities)
    if not found:
        credit = _credit(credited, LOOKALIKE_CREDIT)
        return None if credit is None else _credited_lookalike_check(credit, hosts_text)
    process, imitation, read, forged = found[0]
    more = f" ({len(found) - 1} more such process{'es' if len(found) > 2 else ''} in the cluster)" if len(found) > 1 else ""
    path = str(process.props.get("image") or imitation.written)
    if forged:
        name = plain(written_name(process), 40)
        return Check(
            None,
            f"the PE OriginalFileName of {name} is written to read as {imitation.imitates} with look-alike characters "
            f"({plain(imitation.written, 40)}: {imitation.characters()}; spelled {imitation.spelled()}; image "
            f"{plain(path, 120)}){more}: no vendor writes look-alike letters into a version resource, so it was edited, "
            f"to pass a reader while rules that match {imitation.imitates} by its OriginalFileName miss it "
            f"(MITRE ATT&CK T1036); check the file's hash and signer and what it ran on {hosts_text}",
            _FORGED_BENIGN,
        )
    return Check(None, f"{_image_lookalike_text(imitation, read, path)}{more}: "
                 + _lookalike_tail(imitation.imitates, hosts_text), _lookalike_benign(imitation))


def _credited_lookalike_check(credit: MasqueradeCredit, hosts_text: str) -> Check | None:
    """The look-alike step for processes that are no members: who they are, how many, on how many hosts."""
    imitation = imitated_binary(credit.example_image)
    if imitation is None:  # the entry is made of look-alikes only; kept safe for a hand-made one
        return None
    example = credited_example(credit)
    read = read_original(credit.example_original_name)
    extra = f"; {example + '; ' if example else ''}{NOT_MEMBERS}"
    text = _image_lookalike_text(imitation, read, credit.example_path or credit.example_image, extra)
    return Check(
        None,
        f"{credited_who(credit)} reached {plain(credit.reached)}: {text}: " + _lookalike_tail(imitation.imitates, hosts_text),
        _lookalike_benign(imitation),
    )


def masquerade_checks(entities: Iterable[Entity], hosts_text: str,
                      credited: Iterable[CreditedProcesses] = ()) -> tuple[Check, ...]:
    """The look-alike step, the renamed-copy step, then the misplaced-binary step, of a cluster (those that apply).


    Parameters
    ----------
    entities : iterable of Entity
        The cluster's members.
    hosts_text : str
        The cluster's hosts as the checks name them.
    credited : iterable of CreditedProcesses
        The cluster's credited processes (its masquerade entries name one-host processes).
    """
    members, credits = list(entities), list(credited)
    steps = (lookalike_image_check(members, hosts_text, credits), renamed_copy_check(members, hosts_text, credits),
             misplaced_binary_check(members, hosts_text, credits))
    return tuple(step for step in steps if step is not None)
