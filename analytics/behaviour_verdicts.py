"""A benign verdict on a product's behaviour shape carries to its new build on the same hosts (task TREE item 3).

A behaviour shape (:mod:`analytics.behaviour_shapes`) holds the digest of a per-host image a
product's hosts share (``memdiag.exe (sha256 0123456789ab)``), so a vendor update's new build is
a new shape, key and cluster, and the analyst's benign verdict on last week's shape did not
carry: the same job was judged again every update.  A changed binary under a known path is
worth a look when it could be a campaign's, and not when it is the product's rollout: the new
build is on **at least the hosts the verdict was given on**, **every one of its hosts ran the
judged build before the window** (an upgrade replaces a build the host had: a host that never
had the product is not upgrading it), and the rest of the shape (every path, parent and
installer) is the judged one's.  A campaign replacing the vendor's binary on some of its hosts
has a shape that differs from the judged one only by its digest too, but on a subset of the
judged hosts; one that copies the job's path and parent onto the judged hosts and others
(red team T13, finding 7: 25 judged hosts and 5 that never ran the product) has hosts that
never ran the judged build.  Either keeps its own key, and is shown.

The signer (task BEH3): a trojanised update pushed to exactly the judged hosts (a supply-chain
attack through the vendor's own channel) is a new digest on the same hosts, path, parent and
installer, as the vendor's update is; what differs is the signer.  Where the telemetry says a
build's signer (Sysmon 7 of its image, ECS ``code_signature``: the image's file, keyed by its
digest, :mod:`ingest.projection_signers`), the new build's must be known, valid and the judged
build's (:func:`analytics.build_signers.refusal`); a carry it stops is no carry (the new build is
shown) and is said in the detection's stats (``verdicts_refused``: the pivot, both builds and the
reason, ``signer changed: Contoso Ltd (Valid) → unsigned``).  Where no signer is known for either
build (Sysmon 1 names none; most fleets log no Sysmon 7 of process images), the hosts and shape
decide alone, as before, and a carried verdict stays weaker than a given one: the pivot holds
``judged_build`` and the detection's stats list each carry (:func:`carry_record`,
``verdicts_carried``, with both signers when known): the judged and new builds and the hosts,
for the analyst to confirm.

How: a window group's shape text with each of its digests replaced by a digest its hosts' own
facts ran before the window (the same algorithm; the earlier build) is the shape the verdict
may have been given on; when the key of that text is suppressed
(``DetectionConfig.suppressed``) and the hosts its verdict recorded
(``DetectionConfig.suppressed_members``, ``("host", name)`` keys) are all among the group's
hosts, and that digest ran on every one of the group's hosts before the window, the group takes
that key (:func:`carried_shape`), so the suppression applies to it as it does to the judged shape
(:func:`analytics.suppression_scope.covers_hosts`: at least 80% of its hosts judged ones; the
others, by the rule above, upgraded hosts that ran the judged build too).  A verdict that recorded
no hosts carries nothing (the host set cannot be compared).  Digests are replaced as the literal
12-hex text the shape holds: no pattern is built from any text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from typing import Any, NamedTuple

from analytics.behaviour_shapes import image_digest, shape_id
from analytics.behaviour_words import behaviour_key
from analytics.build_signers import Signer, SignerLookup, refusal, signers_said
from graphsiem.model import Entity, EntityKey

__all__ = ["MAX_EARLIER_BUILDS", "Carry", "carried_shape", "carry_record"]

MAX_EARLIER_BUILDS = 8
"""Earlier digests tried per window digest (the most common on the group's hosts first)."""
_HOST = "host"


class Carry(NamedTuple):
    """A benign verdict carried to a new build: the judged shape's id, the judged and new builds' digests."""

    shape: str
    """The judged shape's id: the key the new build's group takes."""
    judged_build: str
    """The judged build's digest (lower-case hex), as the pivot's ``judged_build`` prop says."""
    build: str
    """The new build's digest (lower-case hex)."""
    algorithm: str
    """Both digests' algorithm (``sha256``, ...)."""
    judged_hosts: int
    """How many hosts the verdict recorded (all among the group's)."""
    judged_signer: Signer | None = None
    """The judged build's signer, when known (:mod:`analytics.build_signers`)."""
    signer: Signer | None = None
    """The new build's signer, when known."""
    refused: str | None = None
    """Why the signers stop this carry (``signer changed: ...``), else None: a refused carry is no carry."""


def carry_record(kinds: tuple[str, str], carry: Carry, hosts: Collection[str]) -> dict[str, Any]:
    """What a detection's stats say of a carried verdict (``verdicts_carried``): for the analyst to confirm.

    A carry is weaker than a verdict given (module docstring): the new build's cluster is left out
    as the judged one's is, and this record says so, with the verdict's pivot and both builds.

    Examples
    --------
    >>> record = carry_record(("encoded_powershell", "lsass_access"),
    ...                       Carry("0123456789ab", "ab" * 32, "cd" * 32, "sha256", 2), ["ws-1", "ws-2"])
    >>> record["pivot"][1][-19:], record["judged_build"][:15], record["build"][:15], record["hosts"]
    ('shape 0123456789ab)', 'sha256 abababab', 'sha256 cdcdcdcd', 2)
    """
    record = {
        "pivot": list(behaviour_key(kinds, carry.shape)),  # the verdict's pivot (its cluster id's type and key)
        "judged_build": f"{carry.algorithm} {carry.judged_build}",
        "build": f"{carry.algorithm} {carry.build}",
        "hosts": len(hosts),
        "judged_hosts": carry.judged_hosts,
        **signers_said((("judged_signer", carry.judged_signer), ("signer", carry.signer))),
    }
    if carry.refused is not None:
        record["refused"] = carry.refused
    return record


def carried_shape(
    kinds: tuple[str, str], text: str, hosts: Collection[str], window_processes: Iterable[EntityKey],
    earlier: Mapping[str, Iterable[EntityKey]], processes: Mapping[EntityKey, Entity], *,
    suppressed: Collection[EntityKey], suppressed_members: Mapping[EntityKey, frozenset[EntityKey]],
    signers: SignerLookup | None = None,
) -> Carry | None:
    """The judged shape a group of a new build inherits (:class:`Carry`: its id and both builds), or None.

    A carry the builds' signers stop (:func:`analytics.build_signers.refusal`) is returned with
    ``refused`` set: the group keeps its own key, and the caller says why.

    Parameters
    ----------
    kinds, text : the group's pair of kinds and shape text.
    hosts : its hosts (names).
    window_processes : the processes behind its facts in the window (their digests are the new build's).
    earlier : host name -> the processes behind its facts before the window.
    processes : the process entities by key.
    suppressed, suppressed_members : the detection's suppressions (benign verdicts) and what each covered.
    signers : a digest's build's signer (:func:`analytics.build_signers.signer_lookup`); None: none known.
    """
    if not suppressed:
        return None
    new = {d for d in (image_digest(processes.get(p)) for p in window_processes) if d is not None}
    shown = [(algorithm, value) for algorithm, value in sorted(new) if f"({algorithm} {value[:12]})" in text]
    if not shown:
        return None
    hosts = set(hosts)
    older: Counter[tuple[str, str]] = Counter()  # digest -> how many of the group's hosts ran it before
    for host in sorted(hosts):
        older.update({d for d in (image_digest(processes.get(p)) for p in earlier.get(host, ())) if d is not None})
    for algorithm, value in shown:
        mine = f"({algorithm} {value[:12]})"
        for (old_algorithm, old), ran_on in older.most_common(MAX_EARLIER_BUILDS + 1):
            if old_algorithm != algorithm or old[:12] == value[:12]:
                continue
            if ran_on < len(hosts):  # a host that never ran the judged build is not upgrading it (T13, finding 7)
                continue
            judged = text.replace(mine, f"({algorithm} {old[:12]})")
            shape = shape_id(kinds, judged)
            key = behaviour_key(kinds, shape)
            judged_hosts = {name for kind, name in suppressed_members.get(key, ()) if kind == _HOST}
            # on at least the hosts the verdict was given on: the product's rollout, not a subset's swap
            if key in suppressed and judged_hosts and judged_hosts <= hosts:
                judged_signer = None if signers is None else signers((algorithm, old))
                signer = None if signers is None else signers((algorithm, value))
                return Carry(shape, old, value, algorithm, len(judged_hosts), judged_signer, signer,
                             refusal(judged_signer, signer))
    return None
