// "Why it scored high": one row per feature of the explanation.  Rows that add
// nothing to the risk (contribution 0) are folded behind a "show all" toggle:
// a low-risk cluster listed eleven rows of zeros in front of what to check
// (review R4, item 7).  API text is data: text nodes only.

import { byId, el, fill, fmtNumber } from './dom.js';

/**
 * One row: the feature in words (the API's `description`), its name as a
 * small code label for whoever reads the scorer, then value, fleet baseline
 * and contribution.
 */
function featureRow(feature) {
  const contribution = Number(feature.contribution ?? 0);
  const meter = el('meter', { min: '0', max: '1', value: String(Math.min(1, Math.abs(contribution))) });
  const name = String(feature.name ?? feature.label ?? '');
  const description = String(feature.description ?? '').trim();
  const label = description
    ? el('td', { class: 'feature' }, el('span', { class: 'feature-text', text: description }), ' ',
      el('code', { class: 'feature-name', title: 'feature name', text: name }))
    : el('td', { class: 'feature' }, el('code', { class: 'feature-name', text: name }));
  return el(
    'tr',
    { dataset: { feature: name }, class: contribution === 0 ? 'zero' : null },
    label,
    el('td', { class: 'num', text: fmtNumber(feature.value) }),
    el('td', { class: 'num', text: fmtNumber(feature.baseline) }),
    el('td', { class: 'num', title: CONTRIBUTION_TITLE }, meter, ` ${points(contribution)}`),
  );
}

// What a contribution is (analytics/explain.py): the feature's exact Shapley
// value against an ordinary cluster of the same detection (each feature at its
// median), in hundredths of the 0-100 risk.  Shown as risk points: the review
// (U1 #11) found "0.20" unlabelled, and not adding up to a risk of 74.8.
const CONTRIBUTION_TITLE = 'Risk points this feature accounts for (0–100 scale): its exact Shapley value '
  + 'against an ordinary cluster of this detection, every feature at its median.  The points add up to '
  + 'this cluster\'s risk minus the ordinary cluster\'s, not to the risk itself.';

/** "+20.4 pts" of a contribution (a share of the 0-100 scale in hundredths). */
function points(contribution) {
  const value = Math.round(contribution * 1000) / 10;
  return `${value > 0 ? '+' : ''}${value.toFixed(1)} pts`;
}

/**
 * The sentence under the table: what the points are and what they add up to.
 * `score` is the cluster's risk (an antivirus detection can raise it to a floor
 * the features do not explain: analytics/antivirus.py).
 */
function pointsNote(features, score) {
  const total = features.reduce((sum, f) => sum + Number(f.contribution ?? 0), 0);
  const base = typeof score === 'number' ? ` (risk ${score.toFixed(1)}; an ordinary cluster of this detection scores about ${(score - total * 100).toFixed(1)})` : '';
  return `Risk points: what each feature adds to the risk on the 0–100 scale, as exact Shapley values against `
    + `an ordinary cluster of this detection (every feature at its median). Together ${points(total)}: `
    + `how far this cluster's risk sits above the ordinary cluster's${base}.`;
}

/**
 * Fill the explanation table with `features`, zero-contribution rows folded,
 * their contributions as risk points with what they add up to.
 * @param {Array<{name, description, value, baseline, contribution}>} features
 * @param {?number} score  the cluster's risk
 */
export function showFeatures(features, score = null) {
  const table = byId('explanation-table');
  const rows = features.map(featureRow);
  fill(table.tBodies[0], rows);
  const head = table.tHead?.rows[0]?.cells[3];
  if (head) {
    head.textContent = 'Risk points';
    head.title = CONTRIBUTION_TITLE;
  }
  let caption = table.querySelector('caption.features-points');
  if (!caption) caption = table.insertBefore(el('caption', { class: 'features-points muted' }), table.firstChild);
  caption.textContent = pointsNote(features, score);
  const zero = rows.filter((row) => row.classList.contains('zero')).length;
  const toggle = byId('features-toggle');
  const note = byId('features-note');
  toggle.hidden = zero === 0;
  table.classList.add('fold-zero');
  table.hidden = rows.length === zero && zero > 0;
  note.hidden = !(rows.length === zero && zero > 0);
  note.textContent = 'No feature adds to the risk of this cluster.';
  toggle.setAttribute('aria-expanded', 'false');
  toggle.textContent = `Show all ${rows.length} features (${zero} add nothing)`;
  toggle.onclick = () => {
    const folded = table.classList.toggle('fold-zero');
    table.hidden = folded && rows.length === zero;
    toggle.setAttribute('aria-expanded', String(!folded));
    toggle.textContent = folded ? `Show all ${rows.length} features (${zero} add nothing)` : 'Hide the features that add nothing';
  };
}
