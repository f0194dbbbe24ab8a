// The host table of an expanded host aggregate: one row per host, ordered by
// its first contact with the cluster; each host name is a button that shows
// that host (selected in the graph, or its details when it is not drawn).

import { hostRows } from './aggregate.js';
import { byId, el, fill, fmtTime } from './dom.js';
import { HOSTS_DRAWN_MAX } from './graph.js';

/**
 * Fill the host table of `group` ({hosts, hostEdges}).
 * @param {{hosts: Array, hostEdges: Array}} group
 * @param {Set<string>} memberIds  uids of the cluster's members (and pivot)
 * @param {Function} onShow  called with a row ({id, key, name, …}) when its host is picked
 */
export function showHostTable(group, memberIds, onShow) {
  const rows = hostRows(group.hosts, group.hostEdges, memberIds);
  byId('hosts-title').textContent = rows.length > HOSTS_DRAWN_MAX
    ? `Hosts (${rows.length}; drawn one by one up to ${HOSTS_DRAWN_MAX})`
    : `Hosts (${rows.length})`;
  fill(byId('hosts-table').tBodies[0], rows.map((r) => el(
    'tr',
    { dataset: { host: r.name }, onclick: (event) => { if (!event.target.closest('button')) onShow(r); } },
    el('td', { class: 'mono' }, el('button', { type: 'button', class: 'host-show', title: 'show this host', text: r.name, onclick: () => onShow(r) })),
    el('td', { class: 'num', text: String(r.relations) }),
    el('td', { class: 'num', text: String(r.events) }),
    el('td', { text: r.first_contact ? fmtTime(r.first_contact) : '—' }),
    el('td', { text: fmtTime(r.last_seen) }),
  )));
}
