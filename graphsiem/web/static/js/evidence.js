// The evidence table: the raw events behind a node or an edge.  Every value,
// the raw record included, is rendered as text.

import { byId, el, fill, fmtTime, setText } from './dom.js';

const DETAIL_FIELDS = [
  'process.command_line', 'url.full', 'dns.question.name', 'file.name', 'file.path',
  'file.sha256', 'powershell.script_block_text', 'destination.ip', 'process.executable',
];

function summaryOf(event) {
  const fields = event.fields || {};
  for (const name of DETAIL_FIELDS) {
    if (fields[name]) return `${name}: ${fields[name]}`;
  }
  const first = Object.entries(fields)[0];
  return first ? `${first[0]}: ${first[1]}` : '';
}

function rawText(event) {
  const raw = event.raw ?? event;
  return typeof raw === 'string' ? raw : JSON.stringify(raw, null, 2);
}

/**
 * Show the events with ids `ids`, looked up in `events` (id -> event).
 * @param {string} caption  what was clicked
 * @param {string[]} ids
 * @param {Map<string, Object>} events
 */
export function showEvidence(caption, ids, events) {
  const unique = [...new Set(ids)];
  const found = unique.filter((id) => events.has(id));
  const missing = unique.length - found.length;
  setText(byId('evidence-caption'), `${caption}: ${unique.length} evidence event${unique.length === 1 ? '' : 's'}`
    + (missing ? ` (${missing} not loaded, listed by id)` : ''));
  const rows = found.slice(0, 500).map((id) => {
    const event = events.get(id);
    return el(
      'tr',
      { dataset: { eventId: id } },
      el('td', { text: fmtTime(event.ts ?? event.timestamp ?? event.time) }),
      el('td', { text: event.source ?? '' }),
      el('td', { text: event.kind ?? '' }),
      el('td', { text: event.host ?? '' }),
      el(
        'td',
        { class: 'evidence-detail' },
        el('div', { class: 'mono', text: summaryOf(event) }),
        el('details', {}, el('summary', { text: 'raw event' }), el('pre', { class: 'raw', text: rawText(event), lines: true })),
      ),
    );
  });
  const idRows = unique.filter((id) => !events.has(id)).slice(0, 100).map((id) => el(
    'tr',
    { class: 'missing', dataset: { eventId: id } },
    el('td', { colspan: '5', class: 'mono', text: `event ${id}` }),
  ));
  fill(byId('evidence-table').tBodies[0], rows, idRows);
}

export function clearEvidence() {
  byId('evidence-caption').textContent = 'Click a node or an edge.';
  fill(byId('evidence-table').tBodies[0]);
}
