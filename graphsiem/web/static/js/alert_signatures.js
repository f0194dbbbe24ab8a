// An IDS alert edge's signatures in the selection panel (review T9 F3): which
// rules fired between the two ends and how often, so "ALERTED ×12" says what
// fired.  The API shows an edge's 20 most alerted signatures, most alerts
// first, and counts every other alert in `signatures_dropped` (the store keeps
// 200 candidates; a kept count may fall short, the rest is there).  Rule names come
// from the sensor's rule set and the traffic it matched: text nodes only.

import { el, fmtNumber } from './dom.js';

/** "1 alert" / "12 alerts"; `more` between them: "12 more alerts". */
function alerts(n, more = '') {
  return `${fmtNumber(Number(n))} ${more}${Number(n) === 1 ? 'alert' : 'alerts'}`;
}

/**
 * The Signatures heading, one row per signature with its alert count, and the
 * alerts not counted under a signature listed.
 * @param {?Array<{signature: string, alerts: number, at_least: boolean}>} signatures  null on an edge that is no alert's
 * @param {?number} dropped  alerts not counted under a listed signature
 * @returns {?HTMLElement}  null when the edge holds no signature
 */
export function signatureList(signatures, dropped) {
  if (!Array.isArray(signatures) || !signatures.length) return null;
  const more = Number(dropped) > 0
    ? el('p', { class: 'muted signatures-dropped', text: `and ${alerts(dropped, 'more ')} not counted under a signature above` })
    : null;
  return el('div', { class: 'alert-signatures' },
    el('h4', { text: `Signatures (${signatures.length})` }),
    el('ul', { class: 'signature-list' }, signatures.map((s) => el('li', {},
      el('span', { class: 'mono signature', text: String(s.signature ?? '') }),
      el('span', { class: 'muted signature-alerts', text: ` · ${s.at_least ? 'at least ' : ''}${alerts(s.alerts)}` })))),
    more);
}
