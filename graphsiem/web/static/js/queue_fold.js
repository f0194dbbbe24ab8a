// The low-signal fold of the queue (review U2 #1).
//
// On a 300-host fleet, ranks 11-40 were all "N hosts first contacted domain <random>"
// at the risk the explanation's caption calls an ordinary cluster of the detection
// (every feature at its median: features.js).  Rows at or below that line are no more
// unusual than the typical candidate: they are folded under one row that says how many,
// and open with a click (or Enter, Space).  The line is each row's `ordinary_score`
// (the API's: its risk minus its features' contributions); a row without it (a finding
// whose risk its rules give) is never folded, nor a case being worked on (foldedIds).

import { el, fmtNumber } from './dom.js';

/**
 * Whether a cluster scores at or below an ordinary cluster of its detection, as the
 * caption shows both (one decimal: 20.6 is not above 20.6 because of the 3rd decimal).
 * @param {{score: number, ordinary_score: ?number}} cluster
 */
export function isLowSignal(cluster) {
  const line = cluster.ordinary_score;
  if (typeof line !== 'number' || !Number.isFinite(line)) return false;
  return Math.round(cluster.score * 10) <= Math.round(line * 10);
}

/**
 * The ids of `clusters` to fold: low signal and not being worked on (open, no verdict, no
 * assignee: a case someone took stays in sight).  None when every row would be folded:
 * a queue where nothing stands out is shown as it is, not as one closed row.
 * @param {Array<Object>} clusters  the rows listed (after the text filter)
 * @returns {Set<string>}
 */
export function foldedIds(clusters) {
  const low = clusters.filter((c) => isLowSignal(c) && c.status === 'open' && !c.verdict && !c.assignee);
  return low.length && low.length < clusters.length ? new Set(low.map((c) => c.id)) : new Set();
}

/** The highest ordinary line among `clusters`, for the fold row's words ('' when none). */
function lineText(clusters) {
  const lines = clusters.map((c) => c.ordinary_score).filter((v) => typeof v === 'number');
  if (!lines.length) return '';
  const highest = Math.max(...lines);
  return ` (risk at or below an ordinary cluster's, about ${highest.toFixed(1)})`;
}

/**
 * The row that folds or shows the low-signal clusters.
 * @param {Array<Object>} low  the low-signal clusters listed
 * @param {boolean} folded  whether they are hidden now
 * @param {number} columns  the table's column count
 * @param {function(): void} toggle  called on click, Enter or Space
 */
export function foldRow(low, folded, columns, toggle) {
  const count = low.length;
  const noun = `${fmtNumber(count)} low-signal cluster${count === 1 ? '' : 's'}`;
  const words = folded ? `▸ ${noun} folded${lineText(low)}: show them`
    : `▾ ${noun} shown above${lineText(low)}: fold them`;
  const button = el('button', {
    type: 'button', class: 'fold-toggle', 'aria-expanded': folded ? 'false' : 'true',
    onclick: (e) => { e.stopPropagation(); toggle(); },
  }, words);
  return el('tr', { class: 'fold-row', dataset: { lowSignal: String(count) } },
    el('td', { colspan: String(columns) }, button));
}
