// A case reopened because its benign verdict was not carried (review R5, finding 2).
//
// A benign verdict covers the members the analyst saw.  When a later
// detection finds the case again with entities nobody judged (a payload
// riding a benign rollout), its cluster continues the case (`previous_ids`)
// but the API does not carry the verdict (or a closed status) onto it: the
// audit trail gets a `not_carried` entry, "new entities N: type:key, …"
// naming up to five of them (graphsiem/api/state_lineage.py).  The queue and
// the cluster view say so in words that cannot be missed, naming the new
// entities by their values (text nodes only: they are attacker strings).

import { api } from './api.js';
import { el } from './dom.js';
import { entityLabel } from './entity_label.js';
import { clusterHref } from './lineage.js';

const COUNT = /^new entities (\d+): /;
// What a later analyst decision on the case supersedes the reopening by.
const DECIDED = new Set(['verdict', 'status']);

/** "verdict benign, status closed" -> ["benign verdict", "closed status"]. */
function droppedWords(old) {
  return String(old ?? '').split(', ').filter(Boolean).map((part) => {
    const [field, ...value] = part.split(' ');
    return `${value.join(' ')} ${field}`;
  });
}

/**
 * The members `listing` (the audit's "type:key, type:key and N more") names,
 * in its order.  Keys are cut to 200 characters there and may hold ", ", so
 * each member's token is looked for, not the text split.
 */
function listedMembers(listing, members) {
  const found = [];
  for (const member of members) {
    const token = `${member.type}:${member.key.slice(0, 200)}`;
    let at = listing.indexOf(token);
    while (at >= 0) {
      const before = at === 0 || listing.startsWith(', ', at - 2);
      const rest = listing.slice(at + token.length);
      if (before && (rest === '' || rest.startsWith(', ') || rest.startsWith(' and '))) break;
      at = listing.indexOf(token, at + 1);
    }
    if (at >= 0 && !found.some((f) => f.member === member)) found.push({ at, member });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.member);
}

/**
 * Whether the case was reopened and onto what, from its audit trail.
 * @param {Array} audit  normalised audit entries, oldest first (model.js)
 * @param {Array} members  the cluster's members [{type, key, value}]
 * @returns {?{dropped: string[], count: number, names: string[], earlierId: ?string}}
 *   null when nothing was withheld, or an analyst decided on the case since
 */
export function reopenedFrom(audit, members) {
  let index = -1;
  audit.forEach((entry, i) => { if (entry.field === 'not_carried') index = i; });
  if (index < 0) return null;
  if (audit.slice(index + 1).some((entry) => DECIDED.has(entry.field))) return null;
  const entry = audit[index];
  const text = String(entry.new ?? '');
  const count = Number(text.match(COUNT)?.[1] ?? 0);
  const listing = text.replace(COUNT, '');
  const named = listedMembers(listing, members);
  // The carry just before says which earlier cluster the case continues.
  const carried = audit.slice(0, index).reverse().find((e) => e.field === 'carried_from');
  return {
    dropped: droppedWords(entry.old),
    count: count || named.length,
    names: named.map((m) => `${m.type} ${entityLabel(m) || m.key}`),
    earlierId: carried?.old ? String(carried.old) : null,
  };
}

/** "Reopened: benign verdict not carried onto 2 new entities" (with what else was withheld). */
export function reopenedHeadline(info) {
  const what = info.dropped.length ? info.dropped.join(' and ') : 'triage';
  return `Reopened: ${what} not carried onto ${info.count} new entit${info.count === 1 ? 'y' : 'ies'}`;
}

/**
 * The banner (cluster view) or the badge line (queue) of a reopened case.
 * @param {Object} info  from reopenedFrom
 * @param {{compact?: boolean}} options  compact: the queue's inline form
 */
export function reopenedNode(info, { compact = false } = {}) {
  const more = info.count - info.names.length;
  const names = info.names.length
    ? [': ', info.names.flatMap((name, i) => [i ? ', ' : '', el('span', { class: 'reopened-entity mono', text: name })]),
      more > 0 ? ` and ${more} more` : '']
    : [];
  const earlier = info.earlierId
    ? el('a', {
      href: clusterHref(info.earlierId, { asWas: true }),
      class: 'cluster-link',
      dataset: { clusterId: info.earlierId },
      // A link inside a queue row must not open the row's cluster as well.
      onclick: (e) => e.stopPropagation(),
      onkeydown: (e) => e.stopPropagation(),
      text: compact ? 'earlier case' : `the earlier case ${info.earlierId}`,
    })
    : null;
  return el(
    compact ? 'span' : 'p',
    { class: compact ? 'reopened-badge' : 'reopened-banner', dataset: { reopened: String(info.count) }, role: compact ? null : 'alert' },
    el('strong', { text: reopenedHeadline(info) }),
    names,
    earlier ? [compact ? ' (' : '. The verdict was given on ', earlier, compact ? ')' : ' and covers only what it held: judge the new entities.'] : '',
  );
}

/**
 * Reopened cases of the queue, by cluster id: each continued cluster's audit
 * read once (again when its `previous_ids` change), not on every poll.
 */
export class ReopenedCache {
  constructor() {
    this.known = new Map(); // id -> {stamp, info}
  }

  clear() {
    this.known.clear();
  }

  /** The reopening of `cluster` (null when none), as far as read already. */
  get(cluster) {
    return this.known.get(cluster.id)?.info ?? null;
  }

  /** Read the audit of every continued cluster not read yet; true when something changed. */
  async update(clusters, normaliseAudit) {
    let changed = false;
    for (const cluster of clusters) {
      if (!cluster.previous_ids.length) continue;
      const stamp = `${cluster.previous_ids.join(',')}|${cluster.verdict}|${cluster.status}`;
      if (this.known.get(cluster.id)?.stamp === stamp) continue;
      try {
        const audit = normaliseAudit(await api(`/v1/clusters/${encodeURIComponent(cluster.id)}/audit`));
        this.known.set(cluster.id, { stamp, info: reopenedFrom(audit, cluster.members) });
        changed = true;
      } catch {
        // Read again on the next poll; the row still shows "continued".
      }
    }
    return changed;
  }
}
