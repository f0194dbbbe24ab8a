// Fan-out aggregation: many nodes that play the same part shown as ONE node.
//
// A campaign touches tens to thousands of hosts with the same few entities;
// drawn one by one they bury the domain, the file and the script the analyst
// is looking for.  So the hosts become one aggregate node ("65 hosts"), and so
// do the per-host satellites around them: entities each seen on exactly one
// host (each victim's user, address, dropper process: "65 users"), and the
// entities hanging off such a group ("130 files" written by those processes).
// Every underlying edge is kept, with its evidence, on the merged edges, so
// nothing is lost when an aggregate is clicked or expanded.

export const AGGREGATE_ID = 'aggregate:hosts';
const EVIDENCE_PER_AGGREGATE_EDGE = 500;

const PLURAL = {
  host: 'hosts', user: 'users', process: 'processes', script: 'scripts', file: 'files',
  domain: 'domains', ip: 'IPs', url: 'URLs',
};

function group(id, memberType, members) {
  return { id, memberType, members, label: `${members.length} ${PLURAL[memberType] ?? memberType}` };
}

/**
 * Find the aggregates of a graph.
 * @param {{nodes: Array, edges: Array}} graph  normalised graph
 * @param {{minHosts?: number, minGroup?: number}} options
 * @returns {Map<string, {id, memberType, members: Array, label}>}  by aggregate id;
 *   the host aggregate (if any) is AGGREGATE_ID.
 */
export function findAggregates(graph, { minHosts = 3, minGroup = 3 } = {}) {
  const aggregates = new Map();
  const hosts = graph.nodes.filter((n) => n.type === 'host');
  if (hosts.length < minHosts) return aggregates;
  aggregates.set(AGGREGATE_ID, group(AGGREGATE_ID, 'host', hosts));

  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const neighbours = new Map(graph.nodes.map((n) => [n.id, new Set()]));
  for (const e of graph.edges) {
    neighbours.get(e.source)?.add(e.target);
    neighbours.get(e.target)?.add(e.source);
  }
  const isHost = (id) => byId.get(id)?.type === 'host';
  const owner = new Map(); // node id -> aggregate id

  // Per-host satellites: exactly one host neighbour.
  const perHost = new Map();
  for (const n of graph.nodes) {
    if (n.type === 'host') continue;
    const hostNeighbours = [...neighbours.get(n.id)].filter(isHost);
    if (hostNeighbours.length !== 1) continue;
    if (!perHost.has(n.type)) perHost.set(n.type, []);
    perHost.get(n.type).push(n);
  }
  for (const [type, members] of perHost) {
    if (members.length < minGroup) continue;
    const id = `aggregate:${type}:per-host`;
    aggregates.set(id, group(id, type, members));
    members.forEach((m) => owner.set(m.id, id));
  }

  // Entities that touch no host and whose neighbours are all the same once
  // groups stand for their members (the files each dropper wrote, each
  // victim's address seen talking to the C2 address): repeated until nothing
  // changes, since a new group can make its neighbours alike.
  hosts.forEach((h) => owner.set(h.id, AGGREGATE_ID));
  for (let round = 0; round < 3; round += 1) {
    const alike = new Map();
    for (const n of graph.nodes) {
      if (owner.has(n.id)) continue;
      const around = [...neighbours.get(n.id)];
      if (!around.length || around.some(isHost)) continue;
      const signature = `${n.type}|${[...new Set(around.map((id) => owner.get(id) ?? id))].sort().join('\u001f')}`;
      if (!alike.has(signature)) alike.set(signature, []);
      alike.get(signature).push(n);
    }
    let grouped = false;
    for (const members of alike.values()) {
      if (members.length < minGroup) continue;
      const id = `aggregate:${members[0].type}:${aggregates.size}`;
      aggregates.set(id, group(id, members[0].type, members));
      members.forEach((m) => owner.set(m.id, id));
      grouped = true;
    }
    if (!grouped) break;
  }
  return aggregates;
}

/**
 * The graph with the aggregates in `collapsed` drawn as single nodes.
 * @param {{nodes, edges}} graph
 * @param {Map} aggregates  from findAggregates
 * @param {Set<string>} collapsed  ids of the aggregates to draw collapsed
 * @returns {{nodes, edges}}  merged edges carry `aggregate: true`, `hosts`
 *   (distinct members on their aggregate side) and the union of evidence.
 */
export function collapse(graph, aggregates, collapsed) {
  const ownerOf = new Map();
  for (const id of collapsed) {
    const agg = aggregates.get(id);
    if (agg) agg.members.forEach((m) => ownerOf.set(m.id, id));
  }
  const nodes = graph.nodes.filter((n) => !ownerOf.has(n.id));
  for (const id of collapsed) {
    const agg = aggregates.get(id);
    if (!agg) continue;
    nodes.push({ id, type: 'aggregate', key: id, value: agg.label, props: { members: agg.members.length, member_type: agg.memberType } });
  }
  const edges = [];
  const merged = new Map();
  for (const edge of graph.edges) {
    const source = ownerOf.get(edge.source) ?? edge.source;
    const target = ownerOf.get(edge.target) ?? edge.target;
    if (source === edge.source && target === edge.target) {
      edges.push(edge);
      continue;
    }
    if (source === target) continue; // inside one aggregate: shown when expanded
    const id = `agg|${source}|${edge.type}|${target}`;
    let agg = merged.get(id);
    if (!agg) {
      agg = { id, source, target, type: edge.type, count: 0, first_seen: edge.first_seen, last_seen: edge.last_seen, evidence: [], memberSet: new Set(), aggregate: true };
      merged.set(id, agg);
    }
    agg.count += edge.count;
    agg.memberSet.add(source !== edge.source ? edge.source : edge.target);
    if (edge.first_seen && (!agg.first_seen || edge.first_seen < agg.first_seen)) agg.first_seen = edge.first_seen;
    if (edge.last_seen && (!agg.last_seen || edge.last_seen > agg.last_seen)) agg.last_seen = edge.last_seen;
    for (const eventId of edge.evidence) {
      if (agg.evidence.length >= EVIDENCE_PER_AGGREGATE_EDGE) break;
      agg.evidence.push(eventId);
    }
  }
  for (const agg of merged.values()) {
    agg.hosts = agg.memberSet.size;
    delete agg.memberSet;
    edges.push(agg);
  }
  return { nodes, edges };
}

/** The edges of `graph` touching a node of `members`. */
export function edgesOf(graph, members) {
  const ids = new Set(members.map((m) => m.id));
  return graph.edges.filter((e) => ids.has(e.source) || ids.has(e.target));
}

/**
 * One row per host for the host table: relations, events, first/last seen,
 * and `first_contact`, the host's first edge to a member of the cluster (the
 * pivot included): when it joined the campaign.  The earliest edge of any kind
 * (a logon the day before) is `first_seen` and says nothing of the campaign
 * (review R4, item 5).  Sorted by first contact, hosts without one last.
 * @param {Array} hosts  host nodes
 * @param {Array} hostEdges  every edge touching one of them
 * @param {Set<string>} memberIds  uids of the cluster's members and pivot
 */
export function hostRows(hosts, hostEdges, memberIds = new Set()) {
  const rows = new Map(hosts.map((h) => [h.id, {
    id: h.id, key: h.key, name: h.value, relations: 0, events: 0, first_seen: null, last_seen: null, first_contact: null,
  }]));
  const earlier = (a, b) => Boolean(a) && (!b || a < b);
  for (const edge of hostEdges) {
    for (const [end, other] of [[edge.source, edge.target], [edge.target, edge.source]]) {
      const row = rows.get(end);
      if (!row) continue;
      row.relations += 1;
      row.events += edge.count;
      if (earlier(edge.first_seen, row.first_seen)) row.first_seen = edge.first_seen;
      if (edge.last_seen && (!row.last_seen || edge.last_seen > row.last_seen)) row.last_seen = edge.last_seen;
      if (memberIds.has(other) && earlier(edge.first_seen, row.first_contact)) row.first_contact = edge.first_seen;
    }
  }
  const last = '\uffff';
  return [...rows.values()].sort((a, b) => String(a.first_contact ?? last).localeCompare(String(b.first_contact ?? last))
    || a.name.localeCompare(b.name));
}
