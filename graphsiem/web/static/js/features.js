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
    el('td', { class: 'num' }, meter, ` ${fmtNumber(contribution)}`),
  );
}

/**
 * Fill the explanation table with `features`, zero-contribution rows folded.
 * @param {Array<{name, description, value, baseline, contribution}>} features
 */
export function showFeatures(features) {
  const table = byId('explanation-table');
  const rows = features.map(featureRow);
  fill(table.tBodies[0], rows);
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
