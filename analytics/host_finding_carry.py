"""Which host-finding hits a fan-out cluster carries: its own processes' acts, of its own builds.

A hit whose process a fan-out cluster (shown or judged benign) holds on that host is the cluster's, and
so is the same rule and subject on other hosts (the campaign's stragglers): the seed campaign's stager
and LSASS reads on 54 hosts are one case, not 54 findings.  The process is compared by image path and
command line (:func:`analytics.host_findings.process_key`): a command line alone is whatever the
process's creator wrote (T14).

**By build, not by name** (HOSTF2): an image path and a command line do not say which file ran.  A
trojanised build dropped at a judged updater's path and run with its command line read LSASS under the
judged cluster's verdict.  So a hit is carried only when its image's SHA-256 (:attr:`Hit.digest`, from
its creation or image load) is a build the cluster's process member holds (its ``sha256``, the
digest the graph keeps for that process, :mod:`ingest.projection_entities`).  When the cluster's member
has no digest (its sources gave none), the name is all there is and it carries as before.  When the
hit has none but the member has one:

* an act of the binary itself (:data:`BUILD_RULES`: the LSASS read, a raw disk read, a renamed image) is **not** carried:
  what read LSASS is unknown, and the judged build is known; an unvouched reader of credentials is the
  one hit the carry must not hide (its creation unseen, or seen only in a 4688, which has no hashes);
* a command-line hit (stager, download, defence change) is carried: the rule matched the text the
  cluster holds, which is what its verdict judged, and Security 4688 (no hashes) logs the same act.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from analytics.host_finding_rules import LSASS_READ, RAW_DISK_READ, RENAMED_TOOL
from analytics.host_findings import Hit, process_key

__all__ = ["ANY_BUILD", "BUILD_RULES", "carried_subjects", "split_carried"]

BUILD_RULES = frozenset({LSASS_READ, RENAMED_TOOL, RAW_DISK_READ})
"""Rules about what a binary is or did, not what its command line says: carried only with a known build."""
ANY_BUILD = "*"
"""The build of a carry key when the cluster's process member has no digest: any build carries."""
CarryKey = tuple[str, str, str]
"""``(rule, subject, build)``: the build a hit's digest ("" unknown) or :data:`ANY_BUILD`."""


def carried_subjects(hits: Iterable[Hit], cluster_processes: Mapping[str, set[tuple[str, str]]],
                     builds: Mapping[tuple[str, str], frozenset[str]] | None = None) -> set[CarryKey]:
    """The ``(rule, subject, build)`` keys a fan-out cluster carries: some hit of them is on a cluster's
    host whose members hold its process (the same image and command line, or the same image when the hit
    has no command line) and of a build they hold.

    Parameters
    ----------
    hits : iterable of Hit
    cluster_processes : mapping
        Host -> ``(image, command line)`` of the process members of the fan-out clusters that hold that
        host, as :func:`analytics.host_findings.process_key` writes them ("" when the member has none).
    builds : mapping, optional
        ``(image, command line)`` of a member -> the SHA-256 digests (lower case) the clusters hold for
        it; a member missing here has no known build (any carries).

    Examples
    --------
    >>> held = {"ws-1": {("c:\\\\u.exe", "u.exe /x")}}
    >>> read = Hit("ws-1", "lsass_read", 1.0, "e1", "C:\\\\u.exe", "u.exe /x", "s", "read", digest="bad")
    >>> carried_subjects([read], held, {("c:\\\\u.exe", "u.exe /x"): frozenset({"good"})})
    set()
    >>> carried_subjects([read], held)
    {('lsass_read', 's', '*')}
    """
    builds = builds or {}
    carried: set[CarryKey] = set()
    for hit in hits:
        held = cluster_processes.get(hit.host)
        if not held or not hit.image:
            continue
        image, command = process_key(hit.image, hit.command_line)
        members = [(image, command)] if command and (image, command) in held else (
            [] if command else [key for key in held if key[0] == image])
        if not members:
            continue
        judged = frozenset().union(*(builds.get(key, frozenset()) for key in members))
        if not judged:
            carried.add((hit.rule, hit.subject, ANY_BUILD))
        elif hit.digest:
            if hit.digest in judged:
                carried.add((hit.rule, hit.subject, hit.digest))
        elif hit.rule not in BUILD_RULES:
            carried.add((hit.rule, hit.subject, ""))
    return carried


def split_carried(hits: Iterable[Hit], cluster_processes: Mapping[str, set[tuple[str, str]]],
                  builds: Mapping[tuple[str, str], frozenset[str]] | None = None) -> tuple[list[Hit], list[Hit]]:
    """The hits no cluster carries, and those it does (:func:`carried_subjects`), each in their order.

    A hit elsewhere is carried with the same rule and subject and a build carried there; a command-line
    hit of unknown build with the same rule and subject as any carried one (a 4688 straggler); any build
    when the cluster's member had none.
    """
    hits = list(hits)
    carried = carried_subjects(hits, cluster_processes, builds)
    commands = {(rule, subject) for rule, subject, _ in carried if rule not in BUILD_RULES}
    kept: list[Hit] = []
    held: list[Hit] = []
    for hit in hits:
        is_carried = ((hit.rule, hit.subject, ANY_BUILD) in carried
                      or (hit.digest and (hit.rule, hit.subject, hit.digest) in carried)
                      or (not hit.digest and (hit.rule, hit.subject) in commands))
        (held if is_carried else kept).append(hit)
    return kept, held
