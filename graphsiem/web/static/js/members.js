// The cluster's member list: each member's type and value, a file keyed by
// its digest with the digest after its path (entity_label.js), and a button
// that selects the member in the graph.  A value the store keeps cut (a
// script's first 200 characters) ends in "…", with its whole text on hover
// and in a "whole text" fold.  Attacker strings: text nodes only.

import { byId, el, fill } from './dom.js';
import { entityName, shownType } from './entity_label.js';

// A title longer than this is cut: the fold below holds the whole text.
const TITLE_MAX = 2000;

/**
 * The whole text of a member whose value is a cut of it (a script's value is
 * its first 200 characters, its `text` property all of it), else null.
 */
export function wholeText(member, node) {
  const value = String(member.value ?? '');
  const candidates = [node?.props?.text, node?.value];
  for (const text of candidates) {
    if (typeof text === 'string' && text.length > value.length && text.startsWith(value)) return text;
  }
  const length = Number(node?.props?.length);
  return Number.isFinite(length) && length > value.length ? '' : null; // cut, the rest unknown here
}

function memberItem(member, onShow, node) {
  const { value, digest } = entityName(member);
  const whole = value ? wholeText(member, node) : null;
  const cut = whole !== null;
  return el(
    'li',
    { dataset: { type: member.type, key: member.key } },
    el('span', { class: `type type-${member.type}`, text: shownType(member) }),
    ' ',
    value ? el('span', {
      class: `member-value mono${cut ? ' is-cut' : ''}`,
      title: whole ? `${whole.slice(0, TITLE_MAX)}${whole.length > TITLE_MAX ? '…' : ''}` : null,
      text: cut ? `${value}…` : value,
    }) : null,
    whole ? el('details', { class: 'member-whole' },
      el('summary', { text: `whole text (${whole.length} characters)` }),
      el('pre', { class: 'raw', text: whole, lines: true })) : null,
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
 * @param {Function} nodeOf  the graph's node of a member ({value, props}) or undefined
 */
export function showMembers(members, onShow, nodeOf = () => undefined) {
  const list = members ?? [];
  byId('members-panel').hidden = list.length === 0;
  byId('members-title').textContent = `Members (${list.length})`;
  fill(byId('members-list'), list.map((m) => memberItem(m, onShow, nodeOf(m))));
}
