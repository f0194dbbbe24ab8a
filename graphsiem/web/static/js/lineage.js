// The same case across pivots: a cluster's id derives from its pivot, so when
// a later detection finds the case under another pivot it continues under a
// new id (the API's `previous_ids` / `superseded_by`, docs/api.md "Cases
// across pivots").  The cluster view says so, and a link to an old id leads
// to the live case.

import { api } from './api.js';
import { el, fill } from './dom.js';

// More hops than a case can make in practice; a guard against a cycle in
// stored data, which would otherwise loop for ever.
const FOLLOW_MAX = 20;

/**
 * The page address of a cluster (`as-was`: the old id itself, not followed).
 * encodeURIComponent leaves no '/', '#' or ':' in the id, so the link stays
 * inside this page's fragment whatever the id holds.
 */
export function clusterHref(id, { asWas = false } = {}) {
  return `#/clusters/${encodeURIComponent(id)}${asWas ? '/as-was' : ''}`;
}

/**
 * The detail of cluster `id`, following `superseded_by` to the cluster that
 * continues the case today.
 * @param {string} id
 * @param {{follow?: boolean}} options  false: the cluster `id` as it was
 * @returns {Promise<Object>}  the detail of the live cluster (of `id` itself
 *   without `follow`, or when a hop fails)
 */
export async function fetchCase(id, { follow = true } = {}) {
  const path = (cid) => `/v1/clusters/${encodeURIComponent(cid)}`;
  let detail = await api(path(id));
  const seen = new Set([String(detail.id ?? id)]);
  while (follow && detail.superseded_by && !seen.has(String(detail.superseded_by)) && seen.size <= FOLLOW_MAX) {
    const next = String(detail.superseded_by);
    seen.add(next);
    try {
      detail = await api(path(next));
    } catch {
      break; // the old id still answers; its banner links to the successor
    }
  }
  return detail;
}

function clusterLink(id, { asWas = false, text } = {}) {
  return el('a', {
    href: clusterHref(id, { asWas }),
    class: 'cluster-link',
    dataset: { clusterId: id },
    text: text ?? `cluster ${id}`,
  });
}

function joined(nodes) {
  return nodes.flatMap((node, i) => (i ? [', ', node] : [node]));
}

/**
 * Fill the lineage banner of the cluster view.
 * @param {HTMLElement} node  the banner
 * @param {Object|null} cluster  normalised cluster (null: exploration)
 * @param {string|null} openedId  the id the analyst opened, when the page
 *   followed it to `cluster`
 */
export function showLineage(node, cluster, openedId = null) {
  const lines = [];
  if (cluster?.superseded_by) {
    lines.push(el(
      'p',
      { class: 'lineage-superseded', dataset: { lineage: 'superseded' } },
      el('strong', {}, 'Continued as ', clusterLink(cluster.superseded_by)),
      ': a later detection found this case under another pivot. It is triaged there; this page shows the case as it was.',
    ));
  }
  if (cluster && openedId && openedId !== cluster.id) {
    lines.push(el(
      'p',
      { dataset: { lineage: 'followed' } },
      `The link named cluster ${openedId}; the case continues as this cluster, shown here (`,
      clusterLink(openedId, { asWas: true, text: `cluster ${openedId} as it was` }),
      ').',
    ));
  }
  if (cluster?.previous_ids.length) {
    lines.push(el(
      'p',
      { dataset: { lineage: 'previous' } },
      'Continues ',
      joined(cluster.previous_ids.map((id) => clusterLink(id, { asWas: true }))),
      ': the same case under earlier pivots; their triage carried over and their audit is in this one\'s.',
    ));
  }
  fill(node, lines);
  node.hidden = lines.length === 0;
}
