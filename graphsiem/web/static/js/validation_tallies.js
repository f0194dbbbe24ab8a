// An NTLM credential validation edge's tallies in the selection panel (task N1):
// a DC's `user VALIDATED_AT host` (Security 4776) says how its validations
// ended (success, or failure by status: a spray is "failure 0xc000006a ×180")
// and which workstation names the clients claimed.  The API shows a tally's 20
// most counted labels, most first, and counts every other validation of it in
// `tallies_dropped` (the store keeps 200 candidates so that a heavy label
// survives many light ones: a kept count may fall short, the rest is there).  A
// claimed name is whatever the client sent (an attacker's tool writes it):
// text nodes only, and never a host.

import { el, fmtNumber } from './dom.js';

// Known tallies first, in this order, with their heading; any other is shown
// after them under its own name.
const TALLY_HEADINGS = {
  outcomes: 'Outcomes', workstations: 'Claimed workstations', account_domain: 'Account domain',
};

/** "1 validation" / "12 validations"; `more` between them: "12 more validations". */
function validations(n, more = '') {
  return `${fmtNumber(Number(n))} ${more}${Number(n) === 1 ? 'validation' : 'validations'}`;
}

/**
 * {name: [{label, count}]} of an edge's `tallies`, or null when it has none
 * (any edge but a credential validation's).
 * @param {*} raw  the API edge's `tallies`
 * @returns {?Object<string, Array<{label: string, count: number, at_least: boolean, meaning: ?string}>>}
 */
export function edgeTallies(raw) {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const tallies = {};
  for (const [name, entries] of Object.entries(raw)) {
    if (!Array.isArray(entries) || !entries.length) continue;
    tallies[name] = entries
      .filter((e) => e && typeof e === 'object')
      .map((e) => ({
        label: String(e.label ?? ''), count: Number(e.count ?? 0), at_least: e.at_least === true,
        meaning: typeof e.meaning === 'string' && e.meaning ? e.meaning : null,
      }));
  }
  return Object.keys(tallies).length ? tallies : null;
}

/**
 * One label's row: the label, what it means (the API's words: a failure
 * status's meaning, the unknown account domain's), its count.
 */
function tallyRow(entry) {
  const meaning = entry.meaning;
  return el('li', {},
    el('span', { class: 'mono tally-label', text: entry.label }),
    meaning ? el('span', { class: 'muted tally-meaning', text: ` (${meaning})` }) : null,
    // at_least: past 200 labels the store's record took counts off the ones it kept
    el('span', { class: 'muted tally-count', text: ` · ${entry.at_least ? 'at least ' : ''}${validations(entry.count)}` }));
}

/**
 * Each tally under its heading, one row per label with its count, and the
 * validations not counted under a label listed.
 * @param {?Object<string, Array<{label: string, count: number}>>} tallies  null on other edges
 * @param {?Object<string, number>} dropped  per tally, validations not counted under a listed label
 * @returns {?HTMLElement}  null when the edge holds no tally
 */
export function tallyLists(tallies, dropped) {
  if (!tallies || typeof tallies !== 'object') return null;
  const names = Object.keys(tallies).filter((name) => Array.isArray(tallies[name]) && tallies[name].length);
  if (!names.length) return null;
  const known = Object.keys(TALLY_HEADINGS).filter((name) => names.includes(name));
  const ordered = [...known, ...names.filter((name) => !known.includes(name)).sort()];
  return el('div', { class: 'validation-tallies' }, ordered.map((name) => {
    const heading = TALLY_HEADINGS[name] ?? name;
    const more = Number(dropped?.[name] ?? 0);
    return el('section', { class: 'tally', dataset: { tally: name } },
      el('h4', { text: `${heading} (${tallies[name].length})` }),
      name === 'workstations'
        ? el('p', { class: 'muted tally-note', text: 'names the clients sent: a claim, not a host' })
        : null,
      el('ul', { class: 'tally-list' }, tallies[name].map((entry) => tallyRow(entry))),
      more > 0
        ? el('p', { class: 'muted tally-dropped', text: `and ${validations(more, 'more ')} not counted under a name above` })
        : null);
  }));
}
