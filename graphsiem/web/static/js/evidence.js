// The evidence table: the raw events behind a node or an edge.  Every value,
// the raw record included, is rendered as text.

import { byId, el, fill, fmtTime, setText } from './dom.js';
import { detailLines, summaryLines } from './evidence_detail.js';
import { mappedHostLines } from './evidence_hosts.js';

/**
 * The Host cell: the host the event names, else the hosts the graph relations
 * it stands behind tie it to (a Zeek or Suricata record names no host: the
 * projection found the host through the IP map), marked as such.
 */
function hostCell(event, attributed) {
  if (event.host) return el('td', { text: event.host });
  if (!attributed || !attributed.length) return mappedHostCell(event);
  return el('td', {
    class: 'host-attributed',
    title: 'The event names no host: the graph relation it is evidence of ties it to this host '
      + '(for a network record, the host its address belonged to at the time, by the IP map)',
  }, attributed.join(', '), el('span', { class: 'muted', text: ' (by relation)' }));
}

/**
 * The Host cell of a record no shown relation ties to a host: the hosts the IP map held its
 * addresses for at its time (source first), marked so.  A domain's evidence, whose hosts are
 * folded into the "54 hosts" aggregate, left the column empty on every Zeek row while the
 * detail below named the host (review U5 #4).
 */
function mappedHostCell(event) {
  const mapped = Array.isArray(event.mapped_hosts) ? event.mapped_hosts : [];
  const hosts = [...new Set(mapped.map((m) => String(m.host ?? '')).filter(Boolean))];
  if (!hosts.length) return el('td', { text: '' });
  return el('td', {
    class: 'host-attributed',
    title: 'The record names no host: by the IP map, its address belonged to this host at the time',
  }, hosts.join(', '), el('span', { class: 'muted', text: ' (by IP map)' }));
}

/**
 * The Kind cell: "zeek:ntlm" broken only after its ":" or "_" (a <wbr> there,
 * no break inside a word: it read "zeek:ntl / m", review U1 #11), so a narrow
 * panel still fits "winsec:credential_validation".
 */
function kindCell(kind) {
  const parts = kind.split(/(?<=[:_])/);
  return el('td', { class: 'evidence-kind' }, ...parts.flatMap((part, i) => (i ? [el('wbr'), part] : [part])));
}

function rawText(event) {
  const raw = event.raw ?? event;
  return typeof raw === 'string' ? raw : JSON.stringify(raw, null, 2);
}

// How late an arrival is marked.  One fixed hour, not the server's allowed
// lateness: the page does not know that setting (6 h for the syslog listener,
// none for the API by default), and a line back-dated by less than it is the
// one the projection leaves as it claims, so it is the one the analyst must
// see.  Shippers' buffers hold minutes and a restart replays within the hour
// (ingest/receipt.py): past an hour, the claimed time is worth a second look.
export const LATE_MARK_S = 3600;

/** "20 h" / "3 d": a lateness of `seconds` (an hour or more) in whole hours, days past 48 h. */
export function lateness(seconds) {
  const hours = seconds / 3600;
  return hours < 48 ? `${Math.round(hours)} h` : `${Math.round(hours / 24)} d`;
}

/**
 * What the evidence row says of when the event arrived, as text: "received 20 h
 * after its time" (more than LATE_MARK_S after the time it claims), "dated by
 * receipt" (a record with no time of its own, dated when it arrived).  Events
 * of files ingested with `graphsiem ingest` carry no receipt: nothing.
 */
function receiptNotes(event) {
  const notes = [];
  const late = event.received_late_s;
  if (typeof late === 'number' && late > LATE_MARK_S) {
    notes.push(el('div', {
      class: 'receipt-note receipt-late',
      text: `received ${lateness(late)} after its time`,
      title: `received ${fmtTime(event.received_at)}; the event claims ${fmtTime(event.ts)}`,
    }));
  }
  if ((event.fields || {})['log.syslog.time_source'] === 'receipt') {
    notes.push(el('div', {
      class: 'receipt-note receipt-dated',
      text: 'dated by receipt',
      title: 'the record carried no time of its own: its time is when it arrived',
    }));
  }
  return notes;
}

function timeOf(event) {
  const value = event.ts ?? event.timestamp ?? event.time;
  const ms = typeof value === 'number' ? value * 1000 : Date.parse(value ?? '');
  return Number.isNaN(ms) ? Infinity : ms;
}

/**
 * "64 of 192 events kept (first 32 and last 32)" of an edge that counted more
 * events than it keeps ids of (graphsiem/evidence_keep.py keeps the first half
 * and the most recent half), else "12 evidence events".
 */
export function keptText(kept, total) {
  if (!(total > kept)) return `${kept} evidence event${kept === 1 ? '' : 's'}`;
  const first = Math.floor(kept / 2);
  return `${kept} of ${total} events kept (first ${first} and last ${kept - first})`;
}

/** The link to the rest of an edge's events: its host's Timeline over the edge's first-to-last time. */
function timelineLink({ host, since, until, open }) {
  return el('button', {
    type: 'button',
    class: 'link evidence-timeline',
    title: `the Timeline of host ${host} from ${fmtTime(since)} to ${fmtTime(until)}: every event of the span, not only those kept`,
    onclick: open,
    text: `all of them: ${host}'s timeline ${fmtTime(since)} – ${fmtTime(until)}`,
  });
}

/**
 * Show the events with ids `ids`, looked up in `events` (id -> event), oldest
 * first; the ids not loaded yet are listed after them with a "load more".
 * @param {string} caption  what was clicked
 * @param {string[]} ids
 * @param {Map<string, Object>} events
 * @param {{unavailable?: Set<string>, batch?: number, onMore?: Function, hostsOf?: Map<string, string[]>,
 *   total?: number, timeline?: Object}} options
 *   `unavailable`: ids the journal does not hold; `onMore`: loads the next
 *   `batch` events (no button without it); `hostsOf`: event id -> the hosts
 *   the shown relations carrying it tie it to (see hostCell); `total`: the
 *   events an edge counted, `timeline`: its host Timeline over its span
 *   (evidence_span.js)
 */
export function showEvidence(caption, ids, events, {
  unavailable = new Set(), batch = 200, onMore = null, hostsOf = new Map(), total = 0, timeline = null,
} = {}) {
  const unique = [...new Set(ids)];
  const found = unique.filter((id) => events.has(id));
  const notLoaded = unique.filter((id) => !events.has(id) && !unavailable.has(id));
  const gone = unique.length - found.length - notLoaded.length;
  setText(byId('evidence-caption'), `${caption}: ${keptText(unique.length, total)}`
    + (found.length < unique.length ? `, ${found.length} shown oldest first` : '')
    + (notLoaded.length ? ` (${notLoaded.length} not loaded yet)` : '')
    + (gone ? ` (${gone} no longer in the journal)` : ''));
  if (timeline && total > unique.length) byId('evidence-caption').append(' ', timelineLink(timeline));
  // Time order: the sequence of a campaign reads top to bottom.
  const ordered = found.map((id) => [id, events.get(id)]).sort((a, b) => timeOf(a[1]) - timeOf(b[1]));
  const rows = ordered.map(([id, event]) => el(
    'tr',
    { dataset: { eventId: id } },
    el('td', { text: fmtTime(event.ts ?? event.timestamp ?? event.time) }),
    el('td', { text: event.source ?? '' }),
    kindCell(String(event.kind ?? '')),
    hostCell(event, hostsOf.get(id)),
    el(
      'td',
      { class: 'evidence-detail' },
      // First in the detail, not in the time cell: that cell stays the time alone.
      ...receiptNotes(event),
      ...summaryLines(event).map((line) => el('div', { class: 'evidence-summary', text: line, made: true })),
      ...detailLines(event).map((line) => el('div', { class: 'mono', text: line })),
      // Beside the flow: the host each address was (a sensor record names none).
      ...mappedHostLines(event).map((line) => el('div', { class: 'mapped-host', text: line.text, title: line.title, dataset: { side: line.side } })),
      el('details', {}, el('summary', { text: 'raw event' }), el('pre', { class: 'raw', text: rawText(event), lines: true })),
    ),
  ));
  const more = notLoaded.length && onMore ? el('tr', { class: 'load-more' }, el('td', { colspan: '5' }, el('button', {
    type: 'button',
    id: 'evidence-more',
    text: `Load ${Math.min(batch, notLoaded.length)} more (${notLoaded.length} not loaded)`,
    onclick: (e) => {
      e.currentTarget.disabled = true;
      onMore();
    },
  }))) : null;
  // Not loaded yet first, then those the journal no longer holds: listed by id.
  const absent = unique.filter((id) => unavailable.has(id) && !events.has(id));
  const idRows = [...notLoaded, ...absent].slice(0, 100).map((id) => el(
    'tr',
    { class: 'missing', dataset: { eventId: id } },
    el('td', { colspan: '5', class: 'mono', text: unavailable.has(id) ? `event ${id} (not in the journal)` : `event ${id}` }),
  ));
  fill(byId('evidence-table').tBodies[0], rows, more, idRows);
}

export function clearEvidence() {
  byId('evidence-caption').textContent = 'Click a node or an edge.';
  fill(byId('evidence-table').tBodies[0]);
}
