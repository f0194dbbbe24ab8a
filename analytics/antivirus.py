"""Antivirus detections that corroborate a cluster: read, matched, and how they move its risk.

A fan-out cluster says forty hosts ran ``C:\\Users\\Public\\upd.exe`` at once;
an antivirus that quarantined ``upd.exe`` on twelve of them says what it is.
The projection keeps each detection as ``host DETECTED file``
(:mod:`ingest.projection_antivirus`), its edge tallying the threat names, what
the product did and the products.  :func:`read_detections` reads the edges
active in the detection window (:meth:`GraphStore.relations_active`, both
stores) and their files; :func:`match_cluster` matches them with the files of
the cluster's pivot and members (a file member, a process's image):

* by SHA-256 where both sides have one (then only by it: two digests that
  differ are two files, whatever their names).  A digest is read from a file's
  own ``sha256`` property only (the projection sets it from the event's hash
  field), never from its key or a path: Defender and Symantec give no hash,
  and a "path" of 64 hex characters is a string anyone can write;
* else by the full path, normalised (case, ``/`` as ``\\``, quotes);
* else by the file name alone: weaker (an attacker's ``svchost.exe`` and
  Windows' share it), and said so in the step.

Matching is per host: each host's detections keep their strongest kind (a name
match beside a SHA-256 one on the same host is another file of that name), and
every host keeps its own, so a weaker or forged match on another host never
discards a stronger one on the cluster's hosts; the step reports each kind.

Risk: a post-score floor, not a feature.  The isolation forest scores how
unusual a cluster is among the run's candidates; a new column would move every
candidate's risk (the trees split on it too) and would say little, as
detections are rare and most runs have none.  A detection is the product's
verdict on the cluster's own file, so a cluster it corroborates by SHA-256 or
path on several of its own hosts (:func:`floor_hosts_needed`: at least
:data:`FLOOR_MIN_HOSTS`, and the configured share of them) is raised to
:data:`AV_RISK_FLOOR` (never lowered), and its step says from what.  One host
is one identity: a compromised endpoint can write a detection line naming any
file it runs, so one host's word gets the step, never the floor.  A name-only
match, or detections only on other hosts, moves nothing: the step reports
them.  A cluster no antivirus detected, a benign rollout above all, keeps its
risk to the digit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from analytics.behaviour_pivots import is_behaviour
from analytics.lineage import image_file_name
from graphsiem.model import Entity, EntityType, RelationType
from graphsiem.store.base import GraphStore

__all__ = [
    "AV_RISK_FLOOR", "FLOOR_MIN_HOSTS", "AntivirusMatch", "Detection", "cluster_files", "floor_hosts_needed",
    "match_cluster", "read_detections", "risk_with_detections",
]

AV_RISK_FLOOR = 80.0
"""The risk of a cluster an antivirus detected on its own hosts, by SHA-256 or path, at least: above
every benign candidate of the demo and the evaluation fleets (68.1 at most), below the attacks there."""
FLOOR_MIN_HOSTS = 2
"""Fewest of a cluster's hosts with a strong detection for the floor: one host's log lines are that host's
word, and a compromised host can write any (red team T13: 8 forged lines from one endpoint floored 8 rollouts)."""
MATCH_STRENGTH = {"SHA-256": 2, "path": 1, "file name": 0}
"""How strong each kind of match is (a host's strongest one is that host's)."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """What a file is known by: its SHA-256, normalised path and lower-case name (each may be empty)."""

    sha256: str
    path: str
    name: str


@dataclass(slots=True)
class Detection:
    """One ``host DETECTED file`` edge of the window, with its file's identity and its tallies."""

    host: str
    file_key: str
    file: FileIdentity
    shown: str
    """The file as written (its path, else its key), for the step."""
    threats: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    first_seen: float = 0.0
    last_seen: float = 0.0
    resource: str = ""
    """The kind of resource detected when it is no file (``regkey``, ``process``, ``behavior``...: the
    node's ``av_resource``), else empty.  Such a detection matches no cluster's file: its identity is empty."""


@dataclass(slots=True)
class AntivirusMatch:
    """The detections of a cluster's files: how they matched, on which hosts, what was found and done."""

    how: str
    """``SHA-256``, ``path`` or ``file name``: the strongest match on the cluster's hosts, else on others."""
    detections: list[Detection]
    cluster_hosts: list[str]
    """The cluster's hosts with a detection, sorted."""
    other_hosts: list[str]
    """Hosts outside the cluster with a detection of the same files, sorted."""
    raised_from: float | None = None
    """The risk before :data:`AV_RISK_FLOOR` raised it (None: not raised)."""
    host_kinds: dict[str, str] = field(default_factory=dict)
    """Each detected host's own match kind (its strongest); empty: every host matched as ``how``."""
    floor_needs: int = 0
    """Strong cluster hosts the floor needed (0: not judged), said in the step when not reached."""
    reporters_elsewhere: dict[str, int] = field(default_factory=dict)
    """Detected cluster hosts whose detections also match other clusters of the run: how many (said in the
    step when the floor was not reached: one host reporting many clusters' files is a flood's shape)."""

    @property
    def strong(self) -> bool:
        """Matched by SHA-256 or full path (a name alone is weaker)."""
        return MATCH_STRENGTH[self.how] > 0

    def kind_of(self, host: str) -> str:
        """``host``'s match kind."""
        return self.host_kinds.get(host, self.how)

    @property
    def strong_cluster_hosts(self) -> list[str]:
        """The cluster's hosts with a SHA-256 or path detection, sorted."""
        return [h for h in self.cluster_hosts if MATCH_STRENGTH[self.kind_of(h)] > 0]

    def hosts_by_kind(self, hosts: Sequence[str]) -> dict[str, list[str]]:
        """``hosts`` grouped by their match kind, strongest kind first."""
        grouped: dict[str, list[str]] = {}
        for kind in MATCH_STRENGTH:
            chosen = [h for h in hosts if self.kind_of(h) == kind]
            if chosen:
                grouped[kind] = chosen
        return grouped

    def totals(self, which: str) -> dict[str, int]:
        """``threats``, ``actions`` or ``products`` summed over the detections, most counted first."""
        summed: dict[str, int] = {}
        for detection in self.detections:
            for label, count in getattr(detection, which).items():
                summed[label] = summed.get(label, 0) + count
        return dict(sorted(summed.items(), key=lambda item: (-item[1], item[0])))


def read_detections(store: GraphStore, start: float, end: float) -> list[Detection]:
    """The ``host DETECTED file`` edges active in ``[start, end]``, with their files (one read per file).

    Parameters
    ----------
    store : GraphStore
        Either store: :meth:`~GraphStore.relations_active` and :meth:`~GraphStore.get_entity`.
    start, end : float
        The detection window, epoch seconds.
    """
    relations = store.relations_active(RelationType.DETECTED.value, start, end)
    files: dict[str, Entity | None] = {}
    found: list[Detection] = []
    for relation in relations:
        (src_type, host), (dst_type, key) = relation.src, relation.dst
        if src_type != EntityType.HOST.value or dst_type != EntityType.FILE.value:
            continue
        if key not in files:
            files[key] = store.get_entity(EntityType.FILE.value, key)
        entity = files[key]
        props = entity.props if entity is not None else {}
        tallies = relation.tallies or {}
        resource = str(props.get("av_resource") or "")
        found.append(Detection(
            host=host, file_key=key, file=FileIdentity("", "", "") if resource else _file_identity(key, props),
            shown=str(props.get("path") or (entity.value if entity is not None else key)), resource=resource,
            threats=dict(tallies.get("threats", {})), actions=dict(tallies.get("av_actions", {})),
            products=dict(tallies.get("av_products", {})), evidence=tuple(relation.evidence),
            first_seen=relation.first_seen, last_seen=relation.last_seen,
        ))
    return found


def cluster_files(entities: Iterable[Entity]) -> list[FileIdentity]:
    """The files a cluster's pivot and members are: file members, and processes' images."""
    identities: list[FileIdentity] = []
    for entity in entities:
        if is_behaviour(entity.ref):
            continue  # a behaviour pivot's value is words, no file
        if entity.type == EntityType.FILE.value:
            identity = _file_identity(entity.key, entity.props, entity.value)
        elif entity.type == EntityType.PROCESS.value:
            image = entity.props.get("image")
            sha256 = str(entity.props.get("sha256") or "").lower()
            identity = FileIdentity(
                sha256 if _SHA256.match(sha256) else "",
                normalised_path(image) if isinstance(image, str) and _is_path(image) else "",
                image_file_name(entity.value, entity.props),
            )
        else:
            continue
        if (identity.sha256 or identity.path or identity.name) and identity not in identities:
            identities.append(identity)
    return identities


def match_cluster(
    entities: Sequence[Entity], hosts: Sequence[str], detections: Sequence[Detection]
) -> AntivirusMatch | None:
    """The detections of the cluster's files (module docstring for the matching), or None.

    Parameters
    ----------
    entities : sequence of Entity
        The cluster's pivot and members.
    hosts : sequence of str
        The cluster's hosts.
    detections : sequence of Detection
        The window's (:func:`read_detections`).
    """
    files = cluster_files(entities)
    if not files or not detections:
        return None
    by_host: dict[str, list[tuple[int, Detection]]] = {}
    for detection in detections:
        strength = max((s for f in files if (s := _strength(f, detection.file)) is not None), default=None)
        if strength is not None:
            by_host.setdefault(detection.host, []).append((strength, detection))
    if not by_host:
        return None
    kept: list[Detection] = []
    host_kinds: dict[str, str] = {}
    for host, matched in sorted(by_host.items()):
        # per host, only its strongest kind: a name match beside a SHA-256 one there is another file of that name
        best = max(strength for strength, _ in matched)
        kept += [d for strength, d in matched if strength == best]
        host_kinds[host] = _KIND[best]
    members = set(hosts)
    inside = sorted(h for h in host_kinds if h in members)
    # the cluster's own hosts decide how it matched: another host's match never outranks them
    judged = inside or sorted(host_kinds)
    how = _KIND[max(MATCH_STRENGTH[host_kinds[h]] for h in judged)]
    return AntivirusMatch(how, kept, inside, sorted(set(host_kinds) - members), host_kinds=host_kinds)


def floor_hosts_needed(cluster_hosts: int, share: float) -> int:
    """Cluster hosts with a strong detection the floor needs: :data:`FLOOR_MIN_HOSTS`, and ``share`` of them.

    Examples
    --------
    >>> floor_hosts_needed(12, 0.1), floor_hosts_needed(22, 0.1), floor_hosts_needed(300, 0.1)
    (2, 3, 30)
    """
    return max(FLOOR_MIN_HOSTS, math.ceil(round(share * cluster_hosts, 9)))


def risk_with_detections(risk: float, match: AntivirusMatch | None, needed: int = FLOOR_MIN_HOSTS) -> float:
    """``risk``, raised to :data:`AV_RISK_FLOOR` when ``match`` is strong on ``needed`` of the cluster's own hosts.

    Parameters
    ----------
    risk : float
        The cluster's risk from scoring.
    match : AntivirusMatch or None
        Its detections (:func:`match_cluster`).
    needed : int
        Cluster hosts with a SHA-256 or path detection the floor needs (:func:`floor_hosts_needed`).

    Examples
    --------
    >>> strong = AntivirusMatch("path", [], ["ws-1", "ws-2"], [])
    >>> risk_with_detections(56.1, strong), risk_with_detections(90.7, strong), risk_with_detections(56.1, None)
    (80.0, 90.7, 56.1)
    >>> risk_with_detections(56.1, AntivirusMatch("path", [], ["ws-1"], []))  # one host's word
    56.1
    >>> risk_with_detections(56.1, AntivirusMatch("file name", [], ["ws-1", "ws-2"], []))
    56.1
    """
    if match is None or len(match.strong_cluster_hosts) < max(needed, FLOOR_MIN_HOSTS):
        return risk
    return max(risk, AV_RISK_FLOOR)


def normalised_path(path: str) -> str:
    """A Windows or POSIX path compared as the same file: lower case, ``\\`` separators, no quotes.

    Examples
    --------
    >>> normalised_path('"C:/Users/Public/UPD.exe"')
    'c:\\\\users\\\\public\\\\upd.exe'
    """
    return path.strip().strip('"').replace("/", "\\").lower()


_KIND = {strength: kind for kind, strength in MATCH_STRENGTH.items()}


def _is_path(text: str) -> bool:
    return "\\" in text or "/" in text


def _file_identity(key: str, props: dict, value: str | None = None) -> FileIdentity:
    # the digest only from the file's own hash property: a key of 64 hex may be a path-keyed
    # file whose "path" someone wrote as the digest (red team T13 F2), no hash at all
    sha256 = str(props.get("sha256") or "").lower()
    if not _SHA256.match(sha256):
        sha256 = ""
    path = props.get("path") or value or ("" if sha256 else key)
    path = str(path) if path else ""
    name = str(props.get("name") or re.split(r"[\\/]", path)[-1] if path else props.get("name") or "")
    return FileIdentity(sha256, normalised_path(path) if _is_path(path) else "", name.strip().lower())


def _strength(ours: FileIdentity, theirs: FileIdentity) -> int | None:
    if ours.sha256 and theirs.sha256:
        return MATCH_STRENGTH["SHA-256"] if ours.sha256 == theirs.sha256 else None
    if ours.path and theirs.path and ours.path == theirs.path:
        return MATCH_STRENGTH["path"]
    if ours.name and theirs.name and ours.name == theirs.name:
        return MATCH_STRENGTH["file name"]
    return None
