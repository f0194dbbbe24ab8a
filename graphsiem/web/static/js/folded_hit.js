// A search hit that the cluster's graph holds folded into an aggregate: a host of
// the "65 hosts" node, a subdomain of "54 domains".  Adding it to the graph added
// nothing (the graph knows it, folded), so opening the hit did nothing at all: no
// selection, no timeline (review U3, task PGX #2).  The aggregate is opened and the
// member shown as a click on it (or on its host-table row, when there are too many
// hosts to draw) shows it.

import { AGGREGATE_ID, hostRows } from './aggregate.js';

/** The aggregate holding the member `id` folded, or null. */
function ownerOf(graph, id) {
  return [...graph.aggregates.values()].find((agg) => agg.members.some((m) => m.id === id)) ?? null;
}

/**
 * Show the folded member `id` of the cluster view `view`, opening its aggregate.
 * @param {object} view  the ClusterView (its graph, showHost, status, memberIds)
 * @param {string} id  the member's node id (uidOf(type, key))
 * @returns {boolean} whether `id` was a folded member, now shown
 */
export function showFoldedHit(view, id) {
  const graph = view.graph;
  if (!graph.cy || !graph.cy.getElementById(id).empty()) return false;
  const owner = ownerOf(graph, id);
  if (!owner) return false;
  const isHosts = owner.id === AGGREGATE_ID;
  const opened = isHosts ? Boolean(graph.hostGroup?.expanded) : !graph.collapsed.has(owner.id);
  if (!opened) graph.toggleAggregate(owner.id);
  if (!graph.cy.getElementById(id).empty()) {
    view.showHost({ id }); // drawn now: selected, zoomed to and centred, its panels filled
    return true;
  }
  // More hosts than are drawn: the host table is the opened aggregate, its row shows the host.
  const group = graph.hostGroup;
  const row = isHosts && group ? hostRows(group.hosts, group.hostEdges, view.memberIds()).find((r) => r.id === id) : null;
  if (!row) return false;
  view.showHost(row);
  return true;
}
