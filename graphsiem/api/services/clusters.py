"""Cluster queue, detail, triage, audit, suppressions and case bundles.

Clusters are read from the snapshots the latest detection stored in the state
database (so listing never re-runs analytics); the subgraph is read live from
the graph store and evidence events from the journal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import sqlite3
import time
from collections.abc import Callable, Collection
from typing import Any

import orjson

from analytics.lateral_verdicts import SourceNotNamed, named_sources, source_scope
from graphsiem.api.context import AppContext
from graphsiem.api.empty_queue import inactive_cluster_count, latest_queue_run
from graphsiem.api.errors import NotFound, PreconditionFailed, QueueChanged, Unprocessable
from graphsiem.api.queue_order import DEFAULT_SORT, QueueSort
from graphsiem.api.schemas import (
    AuditOut,
    CaseBundle,
    ClusterDetail,
    ClusterPage,
    ClusterSummary,
    EvidenceEvent,
    GraphOut,
    SuppressionOut,
    TriageOut,
    TriagePatch,
)
from graphsiem.api.schemas_clusters import CarriedVerdictOut
from graphsiem.api.services.evidence_hosts import evidence_with_hosts
from graphsiem.api.services.graph_json import graph_to_json
from graphsiem.api.services.rollup_entities import add_rollup_pivots, behaviour_lookup, link_rollups
from graphsiem.api.state import ClusterRow, Status, Triage, Verdict
from graphsiem.api.state_detection_windows import active_run_carried
from graphsiem.api.state_suppressed import benign_source_scopes, suppressed_by_verdicts
from graphsiem.api.state_triage import TriageVersionMismatch, exclusive, queue_detection
from graphsiem.entity_kinds import entity_kind
from graphsiem.model import entity_uid, epoch_to_iso
from graphsiem.page_links import cluster_page_url


def encode_cursor(score: float, host_count: int, cluster_id: str, detection_id: str,
                  sort: QueueSort = DEFAULT_SORT, sort_value: Any = None) -> str:
    """An opaque keyset cursor: the last row's sort key (score, host count, id) and the queue's
    detection; under a column sort also the sort's name and the row's value of it."""
    parts: list[Any] = [score, host_count, cluster_id, detection_id]
    if not sort.is_default:
        parts += [sort.name, sort_value]
    return base64.urlsafe_b64encode(orjson.dumps(parts)).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[tuple[float, int, str], str | None, str | None, Any]:
    """Inverse of :func:`encode_cursor`: the sort key, the detection (``None`` in a cursor
    made before cursors named it), the column sort's name and value (``None`` under the
    queue's own order); 422 naming ``cursor`` when it is not one."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(parts, list) or len(parts) not in (3, 4, 6):
            raise TypeError
        score, host_count, cluster_id = parts[:3]
        detection_id = parts[3] if len(parts) >= 4 else None
        sort_name, sort_value = parts[4:6] if len(parts) == 6 else (None, None)
        if (not isinstance(cluster_id, str) or isinstance(score, bool)
                or not isinstance(score, (int, float))
                or not isinstance(host_count, int) or isinstance(host_count, bool)
                or not (detection_id is None or isinstance(detection_id, str))
                or not (sort_name is None or isinstance(sort_name, str))
                or isinstance(sort_value, bool) or not isinstance(sort_value, (str, int, float, type(None)))):
            raise TypeError
        return (float(score), host_count, cluster_id), detection_id, sort_name, sort_value
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError, orjson.JSONDecodeError):
        raise Unprocessable("not a cursor returned by this API", field="cursor") from None


def _triage_out(triage: Triage, sources: list[str] | None = None) -> TriageOut:
    return TriageOut(status=triage.status, verdict=triage.verdict, assignee=triage.assignee,
                     updated_at=epoch_to_iso(triage.updated_at), updated_by=triage.updated_by,
                     version=triage.version,
                     benign_when_source=sources if triage.verdict == Verdict.BENIGN and sources else None)


def triage_etag(version: int) -> str:
    """The ETag of a cluster: its triage version, quoted (``"3"``); see :func:`parse_if_match`."""
    return f'"{int(version)}"'


def _summary_fields(row: ClusterRow, public_url: str | None = None,
                    source_scopes: dict[tuple[str, str], list[str]] | None = None) -> dict[str, Any]:
    """The queue row's fields of ``row``; ``source_scopes`` (:func:`benign_source_scopes`) names the
    source hosts its benign verdict holds for."""
    data = row.data
    sources = (source_scopes or {}).get((row.pivot_type, row.pivot_key)) if row.pivot_type else None
    explanation = data.get("explanation") or {}
    return {
        "id": row.id, "score": row.score, "host_count": row.host_count,
        "hosts": data.get("hosts", []), "entities": data.get("entities", []),
        "entity_keys": _entity_keys(data),
        "first_seen": data.get("first_seen"), "last_seen": data.get("last_seen"),
        "summary": str(explanation.get("summary", "")),
        "pivot": {"type": row.pivot_type, "key": row.pivot_key} if row.pivot_type else None,
        "is_active": row.is_active, "active": row.is_active,
        "previous_ids": [str(i) for i in data.get("previous_ids") or []],
        "superseded_by": data.get("superseded_by"), "triage": _triage_out(row.triage, sources),
        "score_confidence": data.get("score_confidence"),
        # The detection that last changed it (as updated_at): one that only re-stored it
        # unchanged would change every page's bytes, and so the queue's ETag.
        "detection_id": data.get("changed_by_detection") or row.detection_id, "detected_at": epoch_to_iso(data.get("detected_at_ts")),
        "updated_at": epoch_to_iso(data.get("updated_at_ts")),
        "url": cluster_page_url(public_url, row.id),
        # a finding's risk is its rules' (its features' contributions are 0): no ordinary line to fold it under
        "ordinary_score": None if is_finding(data) else ordinary_score(row.score, explanation),
        # what a benign verdict can hold for: the page's bulk benign holds each for its own (not every host)
        "lateral_source_hosts": named_sources(data.get("lateral_sources")),
    }


FINDING_RECORDS = ("credential", "antivirus", "host_finding")
"""The keys of a stored cluster holding a finding's record, whose risk its rules give, not scored features."""


def is_finding(data: dict[str, Any]) -> bool:
    """Whether a stored cluster is a credential, antivirus or host finding (not a scored fan-out cluster).

    Their explanations list features with contribution 0 (the rule's fixed risk as baseline), which read as
    an ordinary line equal to the risk: the page folded every finding as low signal in a mixed queue.

    Examples
    --------
    >>> is_finding({"host_finding": {"hosts": ["ws-1"]}}), is_finding({"explanation": {"features": []}})
    (True, False)
    """
    return any(isinstance(data.get(key), dict) for key in FINDING_RECORDS)


def ordinary_score(score: float, explanation: dict[str, Any]) -> float | None:
    """The risk of an ordinary cluster of the detection that scored this one, or None.

    The contributions are exact Shapley values against the candidates' medians
    (:mod:`analytics.explain`): they add up to the risk minus the ordinary cluster's,
    the figure the page's explanation caption gives ("an ordinary cluster of this
    detection scores about …").  A cluster without scored features (a finding whose
    risk comes from its rules) has no such line.

    Examples
    --------
    >>> ordinary_score(74.8, {"features": [{"contribution": 0.4}, {"contribution": 0.142}]})
    20.6
    >>> ordinary_score(90.0, {"features": []}) is None
    True
    """
    features = explanation.get("features") if isinstance(explanation, dict) else None
    if not isinstance(features, list) or not features:
        return None
    total = 0.0
    for feature in features:
        contribution = feature.get("contribution") if isinstance(feature, dict) else None
        if isinstance(contribution, bool) or not isinstance(contribution, int | float):
            return None
        total += float(contribution)
    return round(score - total * 100, 3)


def _entity_keys(data: dict[str, Any]) -> list[dict[str, str]]:
    """The members' keys as stored; a cluster stored without them (older state) takes them from its members."""
    keys = data.get("entity_keys")
    if keys is None:
        keys = [{"type": m["type"], "key": m["key"]} for m in data.get("members") or [] if "key" in m]
    return [{"type": str(k["type"]), "key": str(k["key"])} for k in keys]


_PAGE_CACHE_SIZE = 256


def list_clusters_json(ctx: AppContext, **query: Any) -> tuple[bytes, str]:
    """:func:`list_clusters` rendered as JSON and its ETag, cached until the state next changes.

    The queue is the most polled resource (web page, SOAR pollers) and changes
    only when a detection or a triage writes the state database, so pages are
    kept per query and thrown away as a whole on any write.  The ETag is a hash
    of the page itself: equal pages have equal tags across writes that did not
    touch them and across restarts (the change token alone restarts with the process).
    """
    cache: dict[tuple[Any, ...], tuple[bytes, str]] = ctx.caches.setdefault("clusters", {})
    version = ctx.state.change_token()
    key = (version, *sorted(query.items()))
    cached = cache.get(key)
    if cached is None:
        body = list_clusters(ctx, **query).model_dump_json().encode("utf-8")
        cached = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        if len(cache) >= _PAGE_CACHE_SIZE or any(k[0] != version for k in cache):
            cache.clear()
        cache[key] = cached
    return cached


def list_clusters(ctx: AppContext, *, min_score: float | None, status: Status | None,
                  verdict: Verdict | None, since: float | None, cursor: str | None,
                  limit: int, include_inactive: bool = False,
                  updated_since: float | None = None, text: str | None = None,
                  sort: QueueSort = DEFAULT_SORT) -> ClusterPage:
    """One page of the queue and the cursor of the next page.

    Highest score first, ties rarest first (fewer hosts), then by id, or ``sort``'s
    column first (:mod:`graphsiem.api.queue_order`: a cursor is for the sort it was
    made under, 422 under another); which clusters:
    :meth:`graphsiem.api.state.StateStore.list_clusters`.

    A cursor carries the queue's generation it was made on (the detection that
    last changed the queue: :func:`~graphsiem.api.state_triage.queue_detection`):
    a detection that moved scores would make walking on from the older sort key
    skip the clusters that rose past it.  A cursor of another generation is
    refused (409 ``queue_changed``: restart from the first page); the earlier
    queue is not kept to serve the rest from.  A detection that changed no
    cluster leaves the generation, the cursors and the page's bytes as they were
    (unless it carried other benign verdicts to a new build: each page says those of
    the newest run, ``verdicts_carried``).
    """
    after, made_on, made_for, after_value = decode_cursor(cursor) if cursor else (None, None, None, None)
    if cursor and (made_for or DEFAULT_SORT.name) != sort.name:
        raise Unprocessable(f"cursor: made for sort={made_for or DEFAULT_SORT.name}, not sort={sort.name}; "
                            "restart from the first page", field="cursor")
    # One lock around the two reads: the page and the detection it names agree.
    with exclusive(ctx.state):
        detection_id = queue_detection(ctx.state)
        if cursor and made_on != detection_id:
            raise QueueChanged(
                "queue_changed: restart from the first page (a newer detection changed the queue "
                "this cursor was made on)", field="cursor",
                details=[{"field": "cursor", "reason": "queue_changed", "cursor_detection_id": made_on,
                          "detection_id": detection_id}])
        filters: dict[str, Any] = {
            "min_score": min_score, "status": status, "verdict": verdict, "since": since,
            "updated_since": updated_since, "include_inactive": include_inactive, "text": text}
        rows = ctx.state.list_clusters(**filters, after=after, after_value=after_value, limit=limit + 1, sort=sort)
        # the page reads at most 1,000 and says "1,000 of 2,393" past them (review U3, task PGX #1)
        total = ctx.state.count_clusters(**filters)
        # the page's queue header says them; it read GET /v1/detections on every poll (PAGE3 #2)
        carried = active_run_carried(ctx.state)
        suppressed = suppressed_by_verdicts(ctx.state)  # said in the page's header (review U2 #2)
        scopes = benign_source_scopes(ctx.state)  # "benign · from it-0003" in the verdict column (review U5 #1)
        # an empty queue says why on its own page: the poll reads nothing else (task OLDQ #2)
        empty = not rows and not cursor
        latest = latest_queue_run(ctx.state) if empty else None
        inactive = inactive_cluster_count(ctx.state) if empty else None
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = (encode_cursor(last.score, last.host_count, last.id, detection_id,
                                 sort, last.data.get("queue_sort_value"))
                   if has_more and last is not None else None)
    return ClusterPage(items=[ClusterSummary(**_summary_fields(r, ctx.settings.public_url, scopes)) for r in rows],
                       next_cursor=next_cursor, detection_id=detection_id or None,
                       verdicts_carried=[CarriedVerdictOut.model_validate(record) for record in carried],
                       suppressed_by_verdicts=suppressed, total=total, latest_detection=latest,
                       inactive_clusters=inactive)


def get_row(ctx: AppContext, cluster_id: str) -> ClusterRow:
    row = ctx.state.get_cluster(cluster_id)
    if row is None:
        raise NotFound(f"no cluster {cluster_id[:80]!r}", field="cluster_id")
    return row


def current_row(ctx: AppContext, row: ClusterRow) -> ClusterRow:
    """The cluster that continues ``row``'s case today, following ``superseded_by``."""
    seen = {row.id}
    while (successor := row.data.get("superseded_by")) and successor not in seen:
        seen.add(successor)
        row = get_row(ctx, str(successor))
    return row


def _member_keys(row: ClusterRow) -> list[tuple[str, str]]:
    members = row.data.get("members") or []
    return [(str(m["type"]), str(m["key"])) for m in members if "type" in m and "key" in m]


def subgraph(ctx: AppContext, row: ClusterRow, *, max_edges: int = 20_000) -> GraphOut:
    """The graph around the cluster's members (one hop: their hosts, parents, peers), as far as
    the cluster's hosts did it (:func:`analytics.evidence_subgraph.cluster_view`): an admin tool
    that read a shared member (LSASS) on other hosts is not drawn, nor its events listed.

    A registered-domain pivot, never stored, is drawn from its subdomains the cluster's
    hosts reached (:func:`~graphsiem.api.services.rollup_entities.add_rollup_pivots`, at
    most :data:`~graphsiem.api.services.rollup_entities.SUBGRAPH_SUBDOMAINS`, ``truncated``
    when more): each with its store relations (to the hosts that resolved it, the
    processes, URLs and addresses) and an answer-only edge to the rollup's node."""
    from analytics.evidence_subgraph import cluster_view
    from analytics.lateral_sources import label_source_addresses

    keys = _member_keys(row)
    if not keys:
        return GraphOut(nodes=[], edges=[])
    hosts = [str(h) for h in row.data.get("hosts") or []]
    with ctx.store_guard():
        stored, rollups, cut = add_rollup_pivots(ctx.store, keys, hosts, behaviours=behaviour_lookup(ctx))
        graph = ctx.store.subgraph(stored, radius=1, limit=max_edges)
    graph = cluster_view(graph, stored, hosts, journal=ctx.journal)
    values = {entity_uid(str(m["type"]), str(m["key"])): str(m["value"])
              for m in row.data.get("members") or [] if "type" in m and "key" in m and m.get("value")}
    link_rollups(graph, rollups, values)
    # a lateral movement's source address drawn with the host the IP map held it on then (review U2 #1)
    label_source_addresses(graph, row.data.get("lateral_sources"))
    return graph_to_json(graph, max_edges=max_edges, truncated=cut)


def evidence(ctx: AppContext, row: ClusterRow) -> list[EvidenceEvent]:
    """The cluster's evidence references with the journaled events behind them."""
    refs = (row.data.get("evidence") or [])[: ctx.settings.evidence_limit]
    ids = [str(r.get("event_id")) for r in refs if r.get("event_id")]
    # with the host the IP map held for each sensor record (review T11 F10): one map read for the page
    events, mapped = evidence_with_hosts(ctx, ids)
    return [EvidenceEvent(source=r.get("source"), event_id=str(r.get("event_id")),
                          event=events.get(str(r.get("event_id"))),
                          mapped_hosts=mapped.get(str(r.get("event_id")), []))
            for r in refs if r.get("event_id")]


def _with_kind(member: dict[str, Any]) -> dict[str, Any]:
    """A stored member with its ``kind`` when its type alone misleads (a registry value kept as a file)."""
    kind = entity_kind(str(member.get("type", "")), str(member.get("value", "")))
    return {**member, "kind": kind} if kind else member


DETAIL_PARTS = frozenset({"subgraph", "evidence"})
"""The parts of a cluster's detail a client may leave out (``?include=``): the costly reads."""


def detail_parts(include: str | None) -> frozenset[str]:
    """The parts ``?include=`` asks for: all without it, none for an empty value.

    Raises
    ------
    Unprocessable
        Naming an unknown part and the known ones.

    Examples
    --------
    >>> sorted(detail_parts(None))
    ['evidence', 'subgraph']
    >>> sorted(detail_parts("evidence"))
    ['evidence']
    >>> sorted(detail_parts(""))
    []
    """
    if include is None:
        return DETAIL_PARTS
    asked = {part.strip() for part in include.split(",") if part.strip()}
    unknown = sorted(asked - DETAIL_PARTS)
    if unknown:
        raise Unprocessable(f"include: unknown part {unknown[0]!r} (known: evidence, subgraph; "
                            "empty for neither)", field="include")
    return frozenset(asked)


def cluster_detail(ctx: AppContext, cluster_id: str, *,
                   parts: frozenset[str] = DETAIL_PARTS) -> ClusterDetail:
    """Members, explanation and, as ``parts`` asks (:data:`DETAIL_PARTS`), subgraph and evidence events."""
    row = get_row(ctx, cluster_id)
    return ClusterDetail(
        **_summary_fields(row, ctx.settings.public_url, benign_source_scopes(ctx.state)),
        # Not in the queue's items: 40 % of a page for values the detail explains anyway.
        features=row.data.get("features") or {},
        explanation=row.data.get("explanation") or {},
        members=[_with_kind(m) for m in row.data.get("members") or []],
        # read only when asked: the subgraph is a store query and most of a big cluster's bytes
        subgraph=subgraph(ctx, row) if "subgraph" in parts else None,
        evidence=evidence(ctx, row) if "evidence" in parts else None,
        credential=row.data.get("credential"),  # a credential finding's attempts (analytics.credential_words)
        antivirus=row.data.get("antivirus"),  # an antivirus finding's detections (analytics.antivirus_finding_words)
        host_finding=row.data.get("host_finding"),  # a host finding's hits (analytics.host_finding_words)
        lateral_sources=row.data.get("lateral_sources") or [],  # analytics.lateral_sources
    )


def patch_triage(ctx: AppContext, cluster_id: str, patch: TriagePatch, *,
                 actor: str, expected_versions: Collection[int] | None = None,
                 keep_answer: Callable[[sqlite3.Connection, ClusterSummary], object] | None = None,
                 ) -> ClusterSummary:
    """Apply a triage change; benign suppresses the pivot, any other verdict lifts it.

    Any other verdict lifts the suppressions of the whole case too, those the
    ids it continued created (:meth:`graphsiem.api.state.StateStore.update_triage`).

    A cluster a later detection continues under another id (``superseded_by``)
    is triaged there, where the queue shows the case: a page opened before the
    pivot changed does not write a decision nobody sees.

    ``expected_versions`` (from ``If-Match``): the change is made only when the
    triage written (the live case's) is at one of them, else 412 with the
    current triage in the error's details and its ETag.

    The answer is read inside the write's transaction; ``keep_answer(db, answer)``,
    when given, runs there too (an ``Idempotency-Key``'s answer commits with the change).
    """
    row = current_row(ctx, get_row(ctx, cluster_id))
    cluster_id = row.id
    sent = patch.model_fields_set
    if not sent:
        raise Unprocessable("nothing to change: send status, verdict, assignee or note",
                            field="body")
    if "status" in sent and patch.status is None:
        raise Unprocessable("status cannot be null", field="body.status")
    changes: dict[str, str | None] = {}
    if "status" in sent and patch.status is not None:
        changes["status"] = patch.status.value
    if "verdict" in sent:
        changes["verdict"] = patch.verdict.value if patch.verdict else None
    if "assignee" in sent:
        changes["assignee"] = patch.assignee or None
    pivot = (row.pivot_type, row.pivot_key) if row.pivot_type else None
    scope, replace_scope = _source_scope(ctx, row, patch)
    answers: list[ClusterSummary] = []

    def answer(db: sqlite3.Connection) -> None:
        # Same connection and lock: the read sees the write this transaction made.
        answers.append(ClusterSummary(**_summary_fields(get_row(ctx, cluster_id), ctx.settings.public_url,
                                                        benign_source_scopes(ctx.state))))
        if keep_answer is not None:
            keep_answer(db, answers[0])

    try:
        ctx.state.update_triage(cluster_id, actor=actor, changes=changes, note=patch.note,
                                pivot=pivot, expected_versions=expected_versions, within=answer,
                                scope=scope, replace_scope=replace_scope)
    except TriageVersionMismatch as exc:
        # With the hosts a benign verdict holds for: the page that was refused shows the triage as it is now.
        held = benign_source_scopes(ctx.state).get(pivot) if pivot else None
        current = _triage_out(exc.current, held)
        raise PreconditionFailed(
            f"If-Match does not match: the triage of {cluster_id[:80]!r} is at version "
            f"{current.version}; read it again and re-apply the change",
            field="If-Match", headers={"ETag": triage_etag(current.version)},
            details=[{"field": "If-Match", "reason": "stale", "cluster_id": cluster_id,
                      "triage": current.model_dump(mode="json")}]) from None
    return answers[0]


def _source_scope(ctx: AppContext, row: ClusterRow, patch: TriagePatch) -> tuple[list[tuple[str, str]], bool]:
    """The keys of ``benign_when_source`` (:func:`analytics.lateral_verdicts.source_scope`) and whether
    they replace the verdict's (a list: the exact hosts; ``null`` sent: any source) or add to them
    (a host name).  422 unless the verdict is benign (sent, or already) and the cluster's log-ons name
    each host, or the saved benign verdict holds for it already (a later detection may no longer
    name it: the page sends the hosts ticked, the held ones with them); ``null`` without a benign
    verdict asks for nothing and is ignored."""
    sent = patch.model_fields_set
    if "benign_when_source" not in sent:
        return [], False
    benign = patch.verdict == Verdict.BENIGN if "verdict" in sent else \
        ctx.state.get_triage(row.id).verdict == Verdict.BENIGN
    wanted = patch.benign_when_source
    if wanted is None:
        # Widening (review U5 follow-up): "any source" on a verdict held for some hosts was no change.
        return [], benign
    if not benign:
        raise Unprocessable("benign_when_source needs a benign verdict (send verdict: benign with it)",
                            field="body.benign_when_source")
    hosts = [wanted] if isinstance(wanted, str) else wanted
    saved_benign = ctx.state.get_triage(row.id).verdict == Verdict.BENIGN
    held = benign_source_scopes(ctx.state).get((row.pivot_type, row.pivot_key), []) \
        if saved_benign and row.pivot_type else []
    try:
        keys = [key for host in hosts for key in source_scope(row.data.get("lateral_sources"), str(host), held=held)]
    except SourceNotNamed as exc:
        raise Unprocessable(str(exc), field="body.benign_when_source") from None
    return list(dict.fromkeys(keys)), not isinstance(wanted, str)


def audit(ctx: AppContext, cluster_id: str) -> list[AuditOut]:
    get_row(ctx, cluster_id)
    return [AuditOut(id=e.id, at=epoch_to_iso(e.at) or "", actor=e.actor, field=e.field,
                     old=e.old, new=e.new)
            for e in ctx.state.audit_trail(cluster_id)]


def bundle(ctx: AppContext, cluster_id: str, *, actor: str) -> CaseBundle:
    """A case bundle: the full cluster detail plus its audit trail."""
    return CaseBundle(exported_at=epoch_to_iso(time.time()) or "", exported_by=actor,
                      cluster=cluster_detail(ctx, cluster_id), audit=audit(ctx, cluster_id))


def suppressions(ctx: AppContext) -> list[SuppressionOut]:
    scopes = benign_source_scopes(ctx.state)  # a verdict held for one source host says so (review U5 #1)
    return [SuppressionOut(pivot={"type": s.pivot_type, "key": s.pivot_key},
                           cluster_id=s.cluster_id, created_at=epoch_to_iso(s.created_at) or "",
                           created_by=s.created_by,
                           benign_when_source=scopes.get((s.pivot_type, s.pivot_key)))
            for s in ctx.state.list_suppressions()]


def lift_suppression(ctx: AppContext, *, pivot_type: str, pivot_key: str, actor: str) -> None:
    if not ctx.state.delete_suppression(pivot_type, pivot_key, actor=actor):
        raise NotFound(f"no suppression of {pivot_type}:{pivot_key[:200]}", field="pivot")
