// The benign verdicts the active detection carried to a product's new build.
//
// A carried verdict leaves the new build's cluster out of the queue: a trojanised
// update pushed to the same hosts would vanish without a word (red team T13 #7).
// The run's record lists each carry (`verdicts_carried`), and the cluster list
// the queue polls brings them (`GET /v1/clusters`: no second request per poll);
// the queue header says so in one line, the digests in an expander, for the
// analyst to confirm.  The pivots and digests are data: text nodes only (dom.js).

import { el, fill, fmtNumber } from './dom.js';

/** What each box shows now (its carried list as JSON). */
const SHOWN = new WeakMap();

function plural(count, noun) {
  return `${fmtNumber(count)} ${noun}${count === 1 ? '' : 's'}`;
}

/** "1 benign verdict carried to a new build on 30 hosts: confirm", or '' when none carried. */
export function carriedSentence(carried) {
  if (!carried.length) return '';
  const hosts = carried.reduce((sum, carry) => sum + (Number(carry.hosts) || 0), 0);
  const builds = carried.length === 1 ? 'a new build' : 'new builds';
  return `${plural(carried.length, 'benign verdict')} carried to ${builds} on ${plural(hosts, 'host')}: confirm`;
}

/** One carry's words: its pivot, the judged build, the new one, and on how many hosts each. */
function carryRow(carry) {
  const pivot = Array.isArray(carry.pivot) ? carry.pivot.join(' ') : String(carry.pivot ?? '');
  return el('li', {}, [
    el('span', { text: pivot }),
    el('span', { class: 'mono', text: ` judged on build ${carry.judged_build} (${plural(carry.judged_hosts, 'host')});` }),
    el('span', { class: 'mono', text: ` new build ${carry.build} on ${plural(carry.hosts, 'host')}` }),
  ]);
}

/**
 * Fill `box` with the active run's carried verdicts, or hide it when none carried.
 * @param {HTMLElement} box  the queue header's line
 * @param {?Array<Object>} verdicts  the cluster list's `verdicts_carried` (the active detection's)
 */
export function showCarriedVerdicts(box, verdicts) {
  const carried = Array.isArray(verdicts) ? verdicts : [];
  // Each poll calls this: an unchanged list is not redrawn, so an expander being clicked stays put.
  const shown = JSON.stringify(carried);
  if (SHOWN.get(box) === shown) return;
  SHOWN.set(box, shown);
  const sentence = carriedSentence(carried);
  box.hidden = !sentence;
  if (!sentence) {
    fill(box);
    return;
  }
  const open = box.querySelector('details')?.open ?? false; // a new list keeps the expander as the analyst left it
  const details = el('details', {}, [
    el('summary', { text: sentence }),
    el('p', { class: 'muted', text: 'A trojanised update pushed to the same hosts looks the same: confirm each new build is the vendor\'s.' }),
    el('ul', {}, carried.map(carryRow)),
  ]);
  details.open = open;
  fill(box, details);
}
