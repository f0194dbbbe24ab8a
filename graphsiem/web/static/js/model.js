// Turn API payloads into the shapes the page works with, in one place, so a
// change of the API's field names is one edit here.

import { edgeTallies } from './validation_tallies.js';

export const ENTITY_TYPES = ['host', 'user', 'process', 'script', 'file', 'domain', 'ip', 'url'];

export function uidOf(type, key) {
  return `${type}:${key}`;
}

function endpointUid(end) {
  if (end === null || end === undefined) return null;
  if (typeof end === 'string') return end;
  if (Array.isArray(end)) return uidOf(end[0], end[1]);
  if (end.uid || end.id) return end.uid || end.id;
  return uidOf(end.type, end.key ?? end.value);
}

function evidenceIds(evidence) {
  if (!Array.isArray(evidence)) return [];
  return evidence
    .map((e) => (typeof e === 'string' ? e : e && (e.event_id ?? e.id)))
    .filter((e) => e !== null && e !== undefined)
    .map(String);
}

/** A cluster row of the queue or the head of a cluster view. */
export function normaliseCluster(raw) {
  const triage = raw.triage || {};
  const explanation = raw.explanation || {};
  const hosts = Array.isArray(raw.hosts) ? raw.hosts : [];
  return {
    id: String(raw.id),
    score: Number(raw.score ?? raw.risk ?? 0),
    hosts,
    host_count: Number(raw.host_count ?? raw.hosts_count ?? hosts.length),
    entities: Array.isArray(raw.entities) ? raw.entities : [],
    // The members with their keys: a detail's `members` ({type, key, value}),
    // else `entities` with the parallel `entity_keys` ({type, key}).  A file
    // keyed by its digest has its path as value: only the key holds the hash.
    members: clusterMembers(raw),
    summary: String(explanation.summary ?? raw.summary ?? ''),
    features: Array.isArray(explanation.features) ? explanation.features : [],
    first_seen: raw.first_seen ?? null,
    last_seen: raw.last_seen ?? null,
    status: raw.status ?? triage.status ?? 'open',
    verdict: raw.verdict ?? triage.verdict ?? '',
    assignee: raw.assignee ?? triage.assignee ?? '',
    // The source hosts a benign verdict holds for (`benign_when_source`; [] for any source).
    benign_sources: Array.isArray(triage.benign_when_source) ? triage.benign_when_source.map(String) : [],
    // The hosts its log-ons came from (`lateral_source_hosts`): what a bulk benign holds it for.
    source_hosts: Array.isArray(raw.lateral_source_hosts) ? raw.lateral_source_hosts.map(String) : [],
    note: raw.note ?? triage.note ?? '',
    pivot: raw.pivot ?? null,
    // Still produced by the last detection?  A missing field means active
    // (an API from before include_inactive); `active` or `is_active`.
    active: (raw.active ?? raw.is_active) !== false,
    // The same case under other pivots: the ids it continues (oldest first)
    // and the id a later detection continues it under (null while it is live).
    previous_ids: Array.isArray(raw.previous_ids) ? raw.previous_ids.map(String) : [],
    superseded_by: raw.superseded_by === null || raw.superseded_by === undefined ? null : String(raw.superseded_by),
    // The triage version (If-Match of a write) and the risk of an ordinary cluster of its
    // detection (null: no scored features), for the queue's bulk triage and low-signal fold.
    version: Number(triage.version ?? 0),
    ordinary_score: typeof raw.ordinary_score === 'number' ? raw.ordinary_score : null,
  };
}

/** [{type, key, value}] of a cluster (see normaliseCluster's `members`). */
function clusterMembers(raw) {
  if (Array.isArray(raw.members) && raw.members.length) {
    return raw.members.map((m) => ({ type: String(m.type ?? ''), key: String(m.key ?? m.value ?? ''), value: String(m.value ?? m.key ?? ''),
      ...(m.kind ? { kind: String(m.kind) } : {}) }));  // `registry`: a registry value the graph keeps as a file
  }
  const entities = Array.isArray(raw.entities) ? raw.entities : [];
  const keys = Array.isArray(raw.entity_keys) ? raw.entity_keys : [];
  return entities.map((e, i) => {
    const keyed = keys[i] && keys[i].type === e.type ? keys[i] : null;
    return { type: String(e.type ?? ''), key: String(keyed?.key ?? e.key ?? e.value ?? ''), value: String(e.value ?? '') };
  });
}

/** A node of the graph: {id, type, key, value, props}. */
export function normaliseNode(raw) {
  const type = raw.type ?? raw.entity_type ?? 'unknown';
  const key = String(raw.key ?? raw.value ?? raw.id ?? '');
  const value = String(raw.value ?? raw.key ?? '');
  const id = String(raw.uid ?? raw.id ?? uidOf(type, key));
  const { uid: _u, id: _i, type: _t, key: _k, value: _v, ...props } = raw;
  return { id, type, key, value, props: raw.props ?? props };
}

/**
 * An edge of the graph: {id, source, target, type, count, first_seen, last_seen,
 * evidence, signatures, signatures_dropped, tallies, tallies_dropped};
 * signatures are an IDS alert edge's ([{signature, alerts}], most alerts first,
 * and the alerts of further signatures), tallies a credential validation
 * edge's ({outcomes|workstations: [{label, count}]}, and per tally the
 * validations of further labels); null on other edges.
 */
export function normaliseEdge(raw) {
  const source = endpointUid(raw.source ?? raw.src ?? raw.from);
  const target = endpointUid(raw.target ?? raw.dst ?? raw.to);
  const type = String(raw.type ?? raw.relation ?? raw.key ?? 'RELATED');
  return {
    // One relation, one id, whichever answer brought it: the store keeps one edge per (source,
    // type, target), so the triple names it.  An index in the answer (the id before) differed
    // between the cluster's graph and a /neighbors answer: the page drew the relation twice.
    id: String(raw.id ?? `${source}|${type}|${target}`),
    source,
    target,
    type,
    count: Number(raw.count ?? 1),
    first_seen: raw.first_seen ?? null,
    last_seen: raw.last_seen ?? null,
    evidence: evidenceIds(raw.evidence ?? raw.evidence_ids),
    signatures: edgeSignatures(raw.signatures),
    signatures_dropped: raw.signatures_dropped === null || raw.signatures_dropped === undefined ? null : Number(raw.signatures_dropped),
    tallies: edgeTallies(raw.tallies),
    tallies_dropped: raw.tallies_dropped && typeof raw.tallies_dropped === 'object' ? raw.tallies_dropped : null,
  };
}

/** [{signature, alerts, at_least}] of an edge's `signatures` (at_least: a lower bound), or null when it has none. */
function edgeSignatures(list) {
  if (!Array.isArray(list) || !list.length) return null;
  return list
    .filter((s) => s && typeof s === 'object')
    .map((s) => ({ signature: String(s.signature ?? ''), alerts: Number(s.alerts ?? 0), at_least: s.at_least === true }));
}

/** {nodes, edges} from a cluster detail or a neighbours answer. */
export function normaliseGraph(raw) {
  const graph = raw.subgraph ?? raw.graph ?? raw;
  const nodes = (graph.nodes || []).map(normaliseNode);
  return { nodes, edges: distinctEdges((graph.edges || graph.links || []).map(normaliseEdge)) };
}

/** Edges with ids unique within one answer: a repeated (source, type, target) gets its place as a suffix. */
function distinctEdges(edges) {
  const seen = new Set();
  return edges.map((edge, i) => {
    if (!seen.has(edge.id)) {
      seen.add(edge.id);
      return edge;
    }
    const again = { ...edge, id: `${edge.id}|${i}` };
    seen.add(again.id);
    return again;
  });
}

/** Neighbours answer -> {nodes, edges}; accepts a graph or a list of {relation, entity}. */
export function normaliseNeighbors(raw, origin) {
  if (raw && (raw.nodes || raw.subgraph || raw.graph)) return normaliseGraph(raw);
  const list = Array.isArray(raw) ? raw : raw?.neighbors ?? raw?.items ?? [];
  const nodes = [];
  const edges = [];
  list.forEach((item) => {
    const entity = normaliseNode(item.entity ?? item);
    nodes.push(entity);
    const rel = item.relation;
    if (rel) edges.push(normaliseEdge(rel));
    else edges.push(normaliseEdge({ source: origin, target: entity.id, type: item.type ?? 'RELATED' }));
  });
  return { nodes, edges: distinctEdges(edges) };
}

/**
 * Evidence events keyed by event id.  Accepts the API's evidence references
 * (`{source, event_id, event}`, `event` null when the journal lacks it) or a
 * plain list of events.
 */
export function normaliseEvents(raw) {
  const list = raw?.evidence_events ?? raw?.events ?? raw?.evidence ?? [];
  const byId = new Map();
  for (const item of Array.isArray(list) ? list : []) {
    if (!item || typeof item !== 'object') continue;
    const event = item.event !== undefined ? item.event : item;
    const id = item.event_id ?? event?.id;
    if (event && id !== undefined && id !== null) byId.set(String(id), withMappedHosts(event, item.mapped_hosts));
  }
  return byId;
}

/**
 * The event with `mapped_hosts` (the hosts the IP map held for its addresses, as
 * the cluster detail and /v1/evidence answer them beside the record) kept on a
 * copy for the evidence row; the event itself as it came when there are none.
 */
export function withMappedHosts(event, mapped) {
  return Array.isArray(mapped) && mapped.length ? { ...event, mapped_hosts: mapped } : event;
}

/** The audit trail, oldest first. */
export function normaliseAudit(raw) {
  const list = Array.isArray(raw) ? raw : raw?.audit ?? raw?.entries ?? raw?.items ?? [];
  return list.map((entry) => ({
    at: entry.at ?? entry.ts ?? entry.when ?? entry.time ?? '',
    who: entry.who ?? entry.actor ?? entry.key_name ?? entry.user ?? '',
    field: entry.field ?? entry.action ?? '',
    old: entry.old ?? entry.old_value ?? entry.before ?? null,
    new: entry.new ?? entry.new_value ?? entry.after ?? entry.changes ?? null,
  }));
}
