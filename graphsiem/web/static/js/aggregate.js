// Fan-out aggregation: the hosts of a cluster shown as ONE node ("65 hosts").
//
// A campaign touches tens to thousands of hosts with the same few entities;
// drawn one by one they bury the domain, the file and the script the analyst
// is looking for.  The aggregate keeps every underlying edge (and its
// evidence) so nothing is lost when it is clicked or expanded.

export const AGGREGATE_ID = 'aggregate:hosts';
const EVIDENCE_PER_AGGREGATE_EDGE = 500;

/**
 * Collapse host nodes into one aggregate node.
 * @param {{nodes: Array, edges: Array}} graph  normalised graph
 * @param {number} minHosts  fewer hosts than this are drawn one by one
 * @returns {{nodes, edges, hosts: Array, hostEdges: Array, aggregated: boolean}}
 *   `hosts`/`hostEdges` are what the aggregate stands for.
 */
export function aggregateHosts(graph, minHosts = 3) {
  const hostIds = new Set(graph.nodes.filter((n) => n.type === 'host').map((n) => n.id));
  if (hostIds.size < minHosts) {
    return { ...graph, hosts: [], hostEdges: [], aggregated: false };
  }
  const nodes = graph.nodes.filter((n) => !hostIds.has(n.id));
  const hosts = graph.nodes.filter((n) => hostIds.has(n.id));
  const edges = [];
  const hostEdges = [];
  const merged = new Map();
  for (const edge of graph.edges) {
    const fromHost = hostIds.has(edge.source);
    const toHost = hostIds.has(edge.target);
    if (!fromHost && !toHost) {
      edges.push(edge);
      continue;
    }
    hostEdges.push(edge);
    if (fromHost && toHost) continue; // host-to-host: only in the expanded view
    const other = fromHost ? edge.target : edge.source;
    const id = `agg|${fromHost ? 'out' : 'in'}|${edge.type}|${other}`;
    let agg = merged.get(id);
    if (!agg) {
      agg = {
        id,
        source: fromHost ? AGGREGATE_ID : other,
        target: fromHost ? other : AGGREGATE_ID,
        type: edge.type,
        count: 0,
        first_seen: edge.first_seen,
        last_seen: edge.last_seen,
        evidence: [],
        hostSet: new Set(),
        aggregate: true,
      };
      merged.set(id, agg);
    }
    agg.count += edge.count;
    agg.hostSet.add(fromHost ? edge.source : edge.target);
    if (edge.first_seen && (!agg.first_seen || edge.first_seen < agg.first_seen)) agg.first_seen = edge.first_seen;
    if (edge.last_seen && (!agg.last_seen || edge.last_seen > agg.last_seen)) agg.last_seen = edge.last_seen;
    for (const id2 of edge.evidence) {
      if (agg.evidence.length >= EVIDENCE_PER_AGGREGATE_EDGE) break;
      agg.evidence.push(id2);
    }
  }
  for (const agg of merged.values()) {
    agg.hosts = agg.hostSet.size;
    delete agg.hostSet;
    edges.push(agg);
  }
  nodes.push({
    id: AGGREGATE_ID,
    type: 'aggregate',
    key: AGGREGATE_ID,
    value: `${hosts.length} hosts`,
    props: { hosts: hosts.length },
  });
  return { nodes, edges, hosts, hostEdges, aggregated: true };
}

/** One row per host for the host table: relations, events, first/last seen. */
export function hostRows(hosts, hostEdges) {
  const rows = new Map(hosts.map((h) => [h.id, { id: h.id, name: h.value, relations: 0, events: 0, first_seen: null, last_seen: null }]));
  for (const edge of hostEdges) {
    for (const end of [edge.source, edge.target]) {
      const row = rows.get(end);
      if (!row) continue;
      row.relations += 1;
      row.events += edge.count;
      if (edge.first_seen && (!row.first_seen || edge.first_seen < row.first_seen)) row.first_seen = edge.first_seen;
      if (edge.last_seen && (!row.last_seen || edge.last_seen > row.last_seen)) row.last_seen = edge.last_seen;
    }
  }
  return [...rows.values()].sort((a, b) => String(a.first_seen).localeCompare(String(b.first_seen)) || a.name.localeCompare(b.name));
}
