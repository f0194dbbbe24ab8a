// The cluster's member list: each member's type and value, a file keyed by
// its digest with the digest after its path (entity_label.js), and a button
// that selects the member in the graph.  Attacker strings: text nodes only.

import { byId, el, fill } from './dom.js';
import { entityName } from './entity_label.js';

function memberItem(member, onShow) {
  const { value, digest } = entityName(member);
  return el(
    'li',
    { dataset: { type: member.type, key: member.key } },
    el('span', { class: `type type-${member.type}`, text: member.type }),
    ' ',
    value ? el('span', { class: 'member-value mono', text: value }) : null,
    value && digest ? ' · ' : null,
    // The full digest is the text (so a selection copies all of it); CSS cuts
    // what is drawn to its first characters, the title shows it whole.
    digest ? el('span', { class: 'member-digest mono' },
      `${digest.algorithm} `,
      el('span', { class: 'digest', title: `${digest.algorithm} ${digest.digest}`, text: digest.digest })) : null,
    ' ',
    el('button', { type: 'button', class: 'member-show', title: 'select in the graph', text: 'show', onclick: () => onShow(member) }),
  );
}

/**
 * List `members` ({type, key, value}) in the members panel; none hides it.
 * @param {Array} members
 * @param {Function} onShow  called with a member when its "show" is clicked
 */
export function showMembers(members, onShow) {
  const list = members ?? [];
  byId('members-panel').hidden = list.length === 0;
  byId('members-title').textContent = `Members (${list.length})`;
  fill(byId('members-list'), list.map((m) => memberItem(m, onShow)));
}
