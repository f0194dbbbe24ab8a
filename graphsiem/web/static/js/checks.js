// "What to check": the explanation's next steps (analytics/checks.py), each
// with the finding that would make the cluster benign.  Shown first in the
// side column.  API text is data: text nodes only (el's `text`), never HTML.

import { byId, el, fill } from './dom.js';

const BOX_ID = 'cluster-checks';

/** The `explanation.checks` of a raw cluster (detail or bundle), [] when absent. */
export function checksOf(raw) {
  const checks = raw && raw.explanation ? raw.explanation.checks : null;
  return Array.isArray(checks) ? checks.filter((c) => c !== null && typeof c === 'object') : [];
}

/** One step: what to check, "Benign if …", and the feature it follows from (if any). */
function checkItem(check) {
  const feature = check.feature === null || check.feature === undefined ? '' : String(check.feature);
  return el(
    'li',
    { class: 'check', dataset: { feature } },
    el('span', { class: 'check-text', text: String(check.check ?? ''), made: true }),
    el('span', { class: 'check-benign' }, el('strong', { text: 'Benign if ' }), el('span', { class: 'benign-text', text: String(check.benign_if ?? ''), made: true })),
    feature ? el('code', { class: 'feature-name', title: 'feature', text: feature }) : null,
  );
}

/**
 * Show `checks` in the "What to check" box, the first panel of the side
 * column (before "Why it scored high": what to do first, review R4 item 7);
 * hidden when there are none.
 * @param {Array<{feature: ?string, check: string, benign_if: string}>} checks
 */
export function showChecks(checks) {
  const box = byId(BOX_ID);
  fill(box.querySelector('ol'), checks.map(checkItem));
  box.hidden = checks.length === 0;
}
