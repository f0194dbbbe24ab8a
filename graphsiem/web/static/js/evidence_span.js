// What the evidence table needs of a clicked edge beyond its ids: how many
// events the edge counted (a busy edge keeps 64 ids of its 192: the first 32
// and the most recent 32, graphsiem/evidence_keep.py), and the way to the
// rest, the host Timeline at the edge's first-to-last time (review U1 #1).

import { anchorNextTimeline } from './host_timeline.js';

/**
 * The showEvidence options of edge `edge` (a Cytoscape edge): `total`, its
 * count, and `timeline`, its host end's Timeline over its span (none when no
 * end is a host).
 * @param {Object} edge
 * @param {function(Object): void} selectNode  shows a node's Selection panel
 * @returns {{total: number, timeline?: {host: string, since: string, until: string, open: Function}}}
 */
export function edgeEvidenceOptions(edge, selectNode) {
  const data = edge.data();
  const options = { total: Number(data.count) || 0 };
  const host = [edge.target(), edge.source()].find((node) => node.data('type') === 'host');
  if (!host || !data.first_seen) return options;
  const span = { since: data.first_seen, until: data.last_seen ?? data.first_seen };
  options.timeline = {
    host: String(host.data('value') ?? host.data('key')),
    ...span,
    open: () => {
      anchorNextTimeline(String(host.data('key')), span);
      edge.cy().elements().unselect();
      host.select();
      selectNode(host);
    },
  };
  return options;
}
