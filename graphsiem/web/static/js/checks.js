// "What to check": the explanation's next steps (analytics/checks.py), each
// with the finding that would make the cluster benign.  Shown under "Why it
// scored high".  API text is data: text nodes only (el's `text`), never HTML.

import { el, fill } from './dom.js';

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
    el('span', { class: 'check-text', text: String(check.check ?? '') }),
    el('span', { class: 'check-benign' }, el('strong', { text: 'Benign if ' }), el('span', { class: 'benign-text', text: String(check.benign_if ?? '') })),
    feature ? el('code', { class: 'feature-name', title: 'feature', text: feature }) : null,
  );
}

/** The "What to check" box after `anchor` (made once, on first use). */
function checksBox(anchor) {
  let box = document.getElementById(BOX_ID);
  if (!box) {
    box = el('section', { id: BOX_ID, class: 'checks', 'aria-label': 'What to check' },
      el('h3', { text: 'What to check' }), el('ol', { class: 'checks-list' }));
    anchor.after(box);
  }
  return box;
}

/**
 * Show `checks` under `anchor` (the explanation table); hidden when there are none.
 * @param {Element} anchor
 * @param {Array<{feature: ?string, check: string, benign_if: string}>} checks
 */
export function showChecks(anchor, checks) {
  const box = checksBox(anchor);
  fill(box.querySelector('ol'), checks.map(checkItem));
  box.hidden = checks.length === 0;
}
