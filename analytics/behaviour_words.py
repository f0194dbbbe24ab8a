"""How behaviour pivots (:mod:`analytics.behaviour_pivots`) are named: their key, shown value and words.

A behaviour pivot's key (:func:`behaviour_key`) is a process key no real process can
have (a real one is a hex digest, :func:`graphsiem.model.stable_hash`), so a pivot is
recognised by its key (:func:`is_behaviour`); its shown value (:func:`describe`) carries
one host's example, attacker text kept plain, and is parsed only once the key said what
it is (:func:`summary_words`) or where an analyst names the pivot by it (the API).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from analytics.behaviour_lineage import LINEAGE_HOURS
from analytics.credited_processes import CreditedProcesses
from analytics.credited_words import plain
from graphsiem.model import Entity, EntityKey, EntityType

if TYPE_CHECKING:
    from analytics.behaviour_pivots import Fact

PIVOT_RECORD = "behaviour_pivot"
"""The pivot entity's prop, and the cluster contract's key, holding what the detection made of a behaviour
pivot (:func:`pivot_record`): the API serves it, not a rebuild that later ingests would change."""


MAX_RECORDED_HOSTS = 500
"""Most hosts a behaviour pivot's record keeps (~80 bytes each in the cluster's stored row): a
signature on 10,000 hosts stays a bounded row; ``hosts_total`` counts them all."""


def pivot_record(hosts: Iterable[tuple[str, float, float, float]], processes: Iterable[EntityKey], *,
                 limit: int | None = None) -> dict[str, object]:
    """What one detection made of a behaviour pivot, as plain JSON.

    ``hosts``: per host, its name, when the pair completed there (its first sighting), the
    latest of its facts and their count (the incidence cells); ``processes``: the processes
    behind its facts (those credited, at most :data:`analytics.behaviour_pivots.MAX_LINKED`).
    At most ``limit`` hosts (:data:`MAX_RECORDED_HOSTS`) are kept, those where the pair
    completed first, in their given order; ``hosts_total`` counts all and ``hosts_cut`` says
    some were left out, so a reader says how many more there are.

    Examples
    --------
    >>> record = pivot_record([(f"ws-{i}", 100.0 - i, 200.0, 2) for i in range(5)], [], limit=2)
    >>> [h["host"] for h in record["hosts"]], record["hosts_total"], record["hosts_cut"]
    (['ws-3', 'ws-4'], 5, True)
    """
    cells = list(hosts)
    cap = MAX_RECORDED_HOSTS if limit is None else limit
    if len(cells) > cap:  # the earliest completions: the campaign's start, which the cluster's times name
        first = set(sorted(range(len(cells)), key=lambda i: (float(cells[i][1]), str(cells[i][0])))[:cap])
        kept = [cell for i, cell in enumerate(cells) if i in first]
    else:
        kept = cells
    return {"hosts": [{"host": h, "first_seen": float(f), "last_seen": float(la), "count": int(c)}
                      for h, f, la, c in kept],
            "hosts_total": len(cells), "hosts_cut": len(kept) < len(cells),
            "processes": [[str(t), str(k)] for t, k in processes]}


FACT_WORDS: dict[str, str] = {
    "encoded_powershell": "encoded powershell",
    "lsass_access": "lsass access",
    "office_script_host": "office spawning a script host",
    "remote_thread": "remote thread",
    "script_host_shell": "script host spawning a shell",
    "download_cradle": "download cradle",
}
"""How a fact kind is named in a signature's key and text."""
_DID: dict[str, str] = {
    "encoded_powershell": "ran an encoded PowerShell command",
    "lsass_access": "opened lsass.exe",
    "office_script_host": "was started by Office",
    "remote_thread": "injected a thread",
    "script_host_shell": "was started by a script host",
    "download_cradle": "ran a download cradle",
}
_PROCESS = EntityType.PROCESS.value
_PREFIX = "behaviour ("
_BY = " by new per-host processes"
_KEY = re.compile(r"^behaviour \((?P<words>[a-z +]+) by new per-host processes(?:, shape (?P<shape>[0-9a-f]{12}))?\)$")
_VALUE = re.compile(r"^(?P<words>[a-z +]+) by new per-host processes on each host within (?P<minutes>\d+) min"
                    r"(?: or one process tree within \d+ h)?(?:, shape (?P<shape>[0-9a-f]{12}))?(?: \((?P<example>e\.g\. .*)\))?$", re.DOTALL)


def behaviour_key(kinds: tuple[str, str], shape: str | None = None) -> EntityKey:
    """The incidence key of the signature ``kinds`` (of one ``shape``): a process key no real process has.

    ``shape`` is the id of the shape of the processes behind its facts
    (:meth:`analytics.behaviour_shapes.Shapes.of_pair`, 12 hex digits); ``None`` for the hosts
    of no shape shared by ``min_hosts`` hosts, taken together.

    Examples
    --------
    >>> behaviour_key(("encoded_powershell", "lsass_access"))
    ('process', 'behaviour (encoded powershell + lsass access by new per-host processes)')
    >>> behaviour_key(("encoded_powershell", "lsass_access"), "0123456789ab")[1]
    'behaviour (encoded powershell + lsass access by new per-host processes, shape 0123456789ab)'
    >>> is_behaviour(behaviour_key(("encoded_powershell", "lsass_access"))), is_behaviour(("process", "ab12"))
    (True, False)
    """
    shaped = "" if shape is None else f", shape {shape}"
    return (_PROCESS, f"{_PREFIX}{' + '.join(FACT_WORDS[k] for k in kinds)}{_BY}{shaped})")


def is_behaviour(key: EntityKey) -> bool:
    """True for a behaviour pivot's key (:func:`behaviour_key`), never for a real process's."""
    return key[0] == _PROCESS and _KEY.match(key[1]) is not None


def behaviour_shape(key: EntityKey) -> str | None:
    """The shape id a behaviour pivot's key carries (``None``: none, or no behaviour pivot's key).

    Examples
    --------
    >>> behaviour_shape(behaviour_key(("encoded_powershell", "lsass_access"), "0123456789ab"))
    '0123456789ab'
    """
    found = _KEY.match(key[1]) if key[0] == _PROCESS else None
    return None if found is None else found["shape"]


def behaviour_ref(entity_type: str, text: str) -> EntityKey | None:
    """The behaviour pivot's key that ``text`` (its key or its shown value) names, else ``None``.

    Examples
    --------
    >>> key = behaviour_key(("encoded_powershell", "lsass_access"), "0123456789ab")
    >>> behaviour_ref(*key) == key
    True
    >>> behaviour_ref("process", "lsass access + encoded powershell by new per-host processes on each host "
    ...               "within 30 min, shape 0123456789ab (e.g. on ws-1: x)") == key
    True
    >>> behaviour_ref("process", "cmd.exe /c x") is None
    True
    """
    kinds = behaviour_kinds(entity_type, text)
    if kinds is None:
        return None
    if is_behaviour((entity_type, text)):
        return behaviour_key(kinds, behaviour_shape((entity_type, text)))
    found = _match(entity_type, text)
    return behaviour_key(kinds, found["shape"] if found is not None else None)


def behaviour_name(pivot_type: str, pivot_value: str) -> str | None:
    """``behaviour <its two facts>`` when the pivot is a behaviour pivot (by its shown value), else ``None``.

    Examples
    --------
    >>> behaviour_name("process", "lsass access + encoded powershell by new per-host processes on each host "
    ...                "within 30 min (e.g. on ws-1: x)")
    'behaviour lsass access + encoded powershell'
    >>> behaviour_name("process", "cmd.exe /c x") is None
    True
    """
    found = _match(pivot_type, pivot_value)
    return None if found is None else f"behaviour {found['words']}"


def summary_words(pivot: EntityKey, pivot_value: str) -> tuple[str, str, str] | None:
    """``(verb, type, value)`` for a summary's head when ``pivot`` is a behaviour pivot's key, else ``None``.

    Recognised by the key alone (:func:`is_behaviour`): a real process whose command
    line copies a behaviour pivot's shown value is attacker text, and reads as the
    process it is.

    Examples
    --------
    >>> text = "lsass access + encoded powershell by new per-host processes on each host within 30 min (e.g. on ws-1: x)"
    >>> verb, kind, value = summary_words(behaviour_key(("encoded_powershell", "lsass_access")), text)
    >>> f"54 hosts first {verb} {kind} {value}"
    '54 hosts first showed behaviour lsass access + encoded powershell (a behaviour cluster: two facts within 30 minutes, or in one process tree, on each host, by new per-host processes; e.g. on ws-1: x)'
    >>> summary_words(("process", "9f3a"), text) is None  # a process that copies the text
    True
    """
    found = _match(pivot[0], pivot_value) if is_behaviour(pivot) else None
    if found is None:
        return None
    example = f"; {found['example']}" if found["example"] else ""
    return ("showed", "behaviour",
            f"{found['words']} (a behaviour cluster: two facts within {found['minutes']} minutes, or in one "
            f"process tree, on each host, by new per-host processes{example})")


def name_credits(credited: Iterable[CreditedProcesses], pivot: Entity) -> tuple[CreditedProcesses, ...]:
    """``credited`` with the processes behind any behaviour pivot saying they showed it, not "reached process …".

    Each credit is named by its own key (:func:`is_behaviour`): the cluster's pivot's, or a second
    signature's that is a member of the cluster (its shown value would read "process lsass access + …").
    ``pivot`` is the cluster's pivot, kept for callers; the key alone says what a behaviour pivot is.

    Examples
    --------
    >>> from analytics.credited_processes import CreditedProcesses
    >>> member = behaviour_key(("lsass_access", "office_script_host"))
    >>> credit = CreditedProcesses("lsass_access", member, 2, 2, ("x.exe",), 2, reached=f"process {member[1]}")
    >>> pivot = Entity(*behaviour_key(("encoded_powershell", "lsass_access")), "")
    >>> name_credits([credit], pivot)[0].reached
    'behaviour pivot lsass access + office spawning a script host'
    """
    del pivot  # every credit is named by its own key
    return tuple(replace(c, reached=said) if (said := _reached_by_key(c.pivot)) is not None else c for c in credited)


def _reached_by_key(key: EntityKey) -> str | None:
    """``behaviour pivot <its two facts>`` for a behaviour pivot's key, else ``None`` (a real process)."""
    kinds = behaviour_kinds(*key) if is_behaviour(key) else None
    return None if kinds is None else f"behaviour pivot {' + '.join(FACT_WORDS[k] for k in kinds)}"


def _match(pivot_type: str, pivot_value: str) -> re.Match[str] | None:
    """The shown value's parts when it is a behaviour pivot's (its words all fact kinds' words)."""
    found = _VALUE.match(pivot_value) if pivot_type == _PROCESS else None
    if found is None or not set(found["words"].split(" + ")) <= set(FACT_WORDS.values()):
        return None
    return found


def behaviour_kinds(entity_type: str, text: str) -> tuple[str, str] | None:
    """The two fact kinds a behaviour pivot's key or shown value names, else ``None``.

    Examples
    --------
    >>> behaviour_kinds(*behaviour_key(("encoded_powershell", "lsass_access")))
    ('encoded_powershell', 'lsass_access')
    >>> behaviour_kinds("process", "lsass access + remote thread by new per-host processes on each host within 30 min")
    ('lsass_access', 'remote_thread')
    >>> behaviour_kinds("process", "behaviour (lsass access + lsass access by new per-host processes)") is None
    True
    """
    if entity_type != _PROCESS:
        return None
    words = None
    if (key := _KEY.match(text)) is not None:
        words = key["words"]
    elif (found := _match(entity_type, text)) is not None:
        words = found["words"]
    kind_of = {w: k for k, w in FACT_WORDS.items()}
    kinds = tuple(sorted(kind_of.get(w, "") for w in (words or "").split(" + ")))
    if len(kinds) != 2 or "" in kinds or kinds[0] == kinds[1]:
        return None
    return kinds[0], kinds[1]


def reached_words(pivot_type: str, pivot_value: str) -> str | None:
    """How a credited process's ``reached`` names a behaviour pivot (``None`` for another pivot).

    Examples
    --------
    >>> reached_words("process", "lsass access + encoded powershell by new per-host processes on each host within 30 min")
    'behaviour pivot lsass access + encoded powershell'
    """
    found = _match(pivot_type, pivot_value)
    if found is None:
        return None
    return f"behaviour pivot {found['words']}"


def describe(
    kinds: tuple[str, str], completion: tuple[float, Fact, Fact], *, host: str,
    processes: Mapping[EntityKey, Entity], images: Mapping[EntityKey, str], minutes: float,
    shape: tuple[str, str] | None = None,
) -> str:
    """A signature's shown value, with one host's two facts as its example (attacker text kept plain).

    ``lsass access + encoded powershell by new per-host processes on each host within 30 min, shape
    0123456789ab (e.g. on ws-0012: C:\\Users\\Public\\upd7731.exe opened lsass.exe at 10:02, powershell.exe ran
    an encoded PowerShell command at 10:04; shape: lsass access by c:\\users\\public\\*.exe under …)``

    ``shape`` is the pair's shape (id, text: :meth:`analytics.behaviour_shapes.Shapes.of_pair`), ``None``
    for the hosts of no shared shape.  Two facts farther apart than ``minutes`` paired as one process tree
    (:mod:`analytics.behaviour_lineage`): the head says so (``within 30 min or one process tree within 24 h``)
    and the example gives their real gap (``(one process tree, 3 h 02 min apart)``; review T10, finding 10).
    """
    _, a, b = completion
    said = ", ".join(f"{_image_path(f.process, processes, images)} {_DID[f.kind]} at {_clock(f.at)}"
                     for f in sorted((a, b), key=lambda f: (f.at, f.kind)))
    tree = ""
    if abs(b.at - a.at) > minutes * 60.0:
        said += f" (one process tree, {_gap(abs(b.at - a.at))} apart)"
        tree = f" or one process tree within {round(LINEAGE_HOURS):d} h"
    words = " + ".join(FACT_WORDS[k] for k in kinds)
    shaped = "" if shape is None else f", shape {shape[0]}"
    shown = "" if shape is None else f"; shape: {plain(shape[1], 400)}"
    return (f"{words} by new per-host processes on each host within {round(minutes):d} min{tree}{shaped} "
            f"(e.g. on {plain(host, 60)}: {said}{shown})")


def _gap(seconds: float) -> str:
    """``3 h 02 min`` (``45 min`` under an hour)."""
    whole = int(round(seconds / 60.0))
    return f"{whole} min" if whole < 60 else f"{whole // 60} h {whole % 60:02d} min"


def _image_path(process: EntityKey, processes: Mapping[EntityKey, Entity], images: Mapping[EntityKey, str]) -> str:
    entity = processes.get(process)
    path = entity.props.get("image") if entity is not None else None
    return plain(path if isinstance(path, str) and path else images.get(process, "?"), 80)


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%H:%M")
