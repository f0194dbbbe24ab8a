// A host's Timeline in the Selection panel: its journaled events, newest first
// (GET /v1/entities/host/{name}/events), a page at a time behind a "More"
// button.  The graph holds aggregated relations only: a host whose events name
// no process, user or address (service-state events) had nothing to read here.
// Every row's text is attacker data: text nodes only (dom.js), never markup.
//
// Reached from a cluster or an edge, it opens at that time (review U1 #8: it
// always began at the host's newest event, 73 pages from a DC's oldest): the
// caller gives `since`/`until`, shown in the filter the analyst can change or
// clear, with the event kinds.  A row opens its raw event (the evidence view's
// lines) and links the user, process and file it names: each opens in the view
// shown (a cluster stays the cluster), as a search result does.

import { api, entityPath } from './api.js';
import { el, fmtTime } from './dom.js';
import { detailLines } from './evidence_detail.js';

/** Events one page of the Timeline lists (the API allows up to 1,000). */
export const TIMELINE_PAGE = 25;

/** The kinds the API takes in one listing (ingest.journal_host_events.KINDS_MAX). */
const KINDS_MAX = 20;

/** The fields of an opened row that name an entity, and the entity type they name. */
const ENTITY_FIELDS = [
  ['user.name', 'user'], ['process.executable', 'process'], ['process.parent.executable', 'process'],
  ['file.path', 'file'], ['file.name', 'file'],
];

let pending = null;

/**
 * Open the next Timeline of `host` at the span `since`..`until` (ISO times):
 * the edge evidence's "host timeline" link sets it, then selects the host.
 * @param {string} host
 * @param {{since?: ?string, until?: ?string}} span
 */
export function anchorNextTimeline(host, span) {
  pending = { host, ...span };
}

/** "2026-11-02T10:21:49Z" of an ISO time or epoch seconds, whole seconds ("" when none). */
function isoSeconds(value, round) {
  if (value === null || value === undefined || value === '') return '';
  const ms = typeof value === 'number' ? value * 1000 : Date.parse(value);
  if (Number.isNaN(ms)) return '';
  // since rounds down, until up: the span's own first and last events stay in it
  const seconds = round === 'up' ? Math.ceil(ms / 1000) : Math.floor(ms / 1000);
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * The Timeline section of host `host` (its key); it reads its first page now.
 * @param {string} host
 * @param {{since?: ?string, until?: ?string}} [anchor]  the span to open at (a
 *   cluster's first and last seen); a pending anchor of this host wins
 * @returns {HTMLElement}
 */
export function hostTimeline(host, anchor = null) {
  let span = anchor;
  if (pending && pending.host === host) {
    span = pending;
    pending = null;
  }
  const status = el('p', { class: 'muted timeline-status', text: 'Reading the journal…' });
  const list = el('ol', { class: 'timeline' });
  const more = el('button', { type: 'button', class: 'timeline-more', text: 'More', hidden: true });
  const since = el('input', { type: 'text', name: 'since', class: 'timeline-since', placeholder: '2026-11-02T10:00:00Z',
    value: isoSeconds(span?.since, 'down'), title: 'Only events at or after this UTC time (ISO-8601)' });
  const until = el('input', { type: 'text', name: 'until', class: 'timeline-until', placeholder: 'newest',
    value: isoSeconds(span?.until, 'up'), title: 'Only events at or before this UTC time (ISO-8601)' });
  const kinds = el('input', { type: 'text', name: 'kind', class: 'timeline-kinds', placeholder: 'winsec:logon, zeek:ntlm',
    title: `Only these event kinds, comma-separated (at most ${KINDS_MAX})` });
  const clear = el('button', { type: 'button', class: 'timeline-clear', text: 'All times' });
  const form = el('form', { class: 'timeline-filter' },
    el('label', {}, 'since ', since), el('label', {}, 'until ', until), el('label', {}, 'kinds ', kinds),
    el('button', { type: 'submit', text: 'Show' }), clear);
  // The host's clock against a sensor's (the API's `clock_gaps`): its times are not the sensor's.
  const gaps = el('div', { class: 'timeline-clock-gaps', role: 'note', hidden: true });
  const section = el('section', { class: 'host-timeline', dataset: { host } },
    el('h4', { text: 'Timeline' }), gaps, form, status, list, more);
  let before = null;
  let filter = {};
  let generation = 0;

  function currentFilter() {
    const wanted = kinds.value.split(',').map((k) => k.trim()).filter(Boolean).slice(0, KINDS_MAX);
    return { since: since.value.trim() || undefined, until: until.value.trim() || undefined, kind: wanted.length ? wanted : undefined };
  }

  function describe(page) {
    const total = page.total_capped ? `more than ${page.total.toLocaleString('en')}` : String(page.total);
    const within = [filter.since && `from ${fmtTime(filter.since)}`, filter.until && `to ${fmtTime(filter.until)}`,
      filter.kind && `of ${filter.kind.join(', ')}`].filter(Boolean).join(' ');
    if (page.total === 0 && list.children.length === 0) {
      return within ? `No event of this host ${within}.` : 'No event of this host in the journal.';
    }
    return `${list.children.length} of ${total} events${within ? ` ${within}` : ''}, newest first`;
  }

  async function readPage() {
    const mine = generation;
    more.disabled = true;
    let page;
    try {
      page = await api(`${entityPath('host', host)}/events`, { params: { limit: TIMELINE_PAGE, before, ...filter } });
    } catch (error) {
      if (mine !== generation) return;
      status.textContent = `Events not read: ${error.message}`;
      more.disabled = false;
      return;
    }
    if (mine !== generation) return; // the filter changed meanwhile: that listing is the one shown
    showClockGaps(gaps, page.clock_gaps);
    list.append(...page.items.map(eventRow));
    before = page.next_before;
    status.textContent = describe(page);
    more.hidden = !before;
    more.disabled = false;
  }

  function restart() {
    generation += 1;
    filter = currentFilter();
    before = null;
    list.replaceChildren();
    status.textContent = 'Reading the journal…';
    readPage();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    restart();
  });
  clear.addEventListener('click', () => {
    since.value = '';
    until.value = '';
    restart();
  });
  more.addEventListener('click', readPage);
  restart();
  return section;
}

/**
 * The host's sensor clock gaps above its Timeline, or nothing when it has none.  Each
 * gap's words are the API's (`note`: the host, the address its messages came from,
 * the sensor, how far and which way), with when it was measured; the host and the
 * sender are what the records claimed, so they are text nodes only (dom.js).
 * A reader comparing its times with a sensor's would otherwise pair the wrong events
 * (Brim's domain controller dates its logons 76 minutes behind Zeek's capture).
 * @param {HTMLElement} box
 * @param {Array<{note: string, measured_at: string}>|undefined} gaps
 */
function showClockGaps(box, gaps) {
  const kept = Array.isArray(gaps) ? gaps : [];
  box.hidden = kept.length === 0;
  box.replaceChildren(...(kept.length ? [
    el('p', { class: 'timeline-clock-gaps-title', text: kept.length === 1 ? 'Clock gap' : `Clock gaps (${kept.length})` }),
    el('ul', {}, ...kept.map((gap) => el('li', { class: 'timeline-clock-gap' },
      el('span', { class: 'timeline-clock-gap-note', text: String(gap.note ?? '') }),
      gap.measured_at ? el('span', { class: 'muted', text: ` (measured ${fmtTime(gap.measured_at)})` }) : ''))),
  ] : []));
}

/**
 * Open the entity `value` (a `type`): the API's search, its exact hit, handed to
 * the page as the search box's pick is (main.js, `graphsiem:open-entity`): in the
 * view shown, so a Timeline read inside a cluster keeps the cluster (it set an
 * exploration address, and the analyst lost the cluster: task PAGE3 #3).
 */
async function openEntity(type, value, note) {
  note.textContent = `looking up ${type}…`;
  let answer;
  try {
    answer = await api('/v1/entities', { params: { q: value, limit: 25 } });
  } catch (error) {
    note.textContent = `not looked up: ${error.message}`;
    return;
  }
  const items = Array.isArray(answer) ? answer : answer.entities ?? answer.items ?? answer.results ?? [];
  const lower = String(value).toLowerCase();
  const hit = items.find((e) => e.type === type && [e.value, e.key].some((v) => String(v ?? '').toLowerCase() === lower));
  if (!hit) {
    note.textContent = `no ${type} ${value} in the graph`;
    return;
  }
  note.textContent = '';
  window.dispatchEvent(new CustomEvent('graphsiem:open-entity', { detail: hit }));
}

/** The names of an opened event that are entities, as buttons opening their pages. */
function entityLinks(event) {
  const fields = event.fields || {};
  const note = el('span', { class: 'muted timeline-link-note' });
  const seen = new Set();
  const links = [];
  for (const [name, type] of ENTITY_FIELDS) {
    const value = fields[name];
    if (typeof value !== 'string' || !value || seen.has(`${type}\u0000${value}`)) continue;
    seen.add(`${type}\u0000${value}`);
    links.push(el('button', {
      type: 'button', class: 'timeline-entity link', dataset: { type, field: name },
      title: `open the ${type} ${value}`, onclick: () => openEntity(type, value, note),
    }, el('span', { class: `type type-${type}`, text: type }), ` ${value}`));
  }
  return links.length ? el('div', { class: 'timeline-entities' }, ...links, note) : null;
}

/** The raw event of a row, read by id when the row is opened (/v1/evidence, as the evidence table reads it). */
async function openRaw(details, id) {
  if (details.dataset.loaded) return;
  details.dataset.loaded = 'loading';
  const body = details.querySelector('.timeline-raw-body');
  let event;
  try {
    const answer = await api('/v1/evidence', { params: { ids: [id] } });
    event = (answer.items || []).find((item) => String(item.id) === id);
  } catch (error) {
    body.replaceChildren(el('p', { class: 'error', text: `Not read: ${error.message}` }));
    delete details.dataset.loaded;
    return;
  }
  if (!event) {
    body.replaceChildren(el('p', { class: 'muted', text: 'The journal no longer holds this event.' }));
    details.dataset.loaded = 'missing';
    return;
  }
  const raw = event.raw ?? event;
  body.replaceChildren(
    entityLinks(event) ?? '',
    ...detailLines(event).map((line) => el('div', { class: 'mono evidence-line', text: line })),
    el('pre', { class: 'raw', text: typeof raw === 'string' ? raw : JSON.stringify(raw, null, 2), lines: true }),
  );
  details.dataset.loaded = 'yes';
}

/**
 * "(by IP map)": the row is a network sensor's record naming no host, tied to this host because the
 * IP -> host map held its address for it at that time (the API's `tied`); the title says which address
 * and which interval of the map (the API's `mapped`).
 */
function mappedMarker(event) {
  const why = (event.mapped || []).map((m) => `${m.ip} (${m.mapped_from === 'src' ? 'source' : 'destination'}) `
    + `was ${m.host} from ${fmtTime(m.start)} to ${fmtTime(m.end)} (${m.how})`).join('; ');
  return el('span', { class: 'timeline-mapped muted', text: '(by IP map)',
    title: why || 'tied to this host by the IP -> host map' });
}

/** One event: time, kind, what it did (the API's summary), where its record came from, and its raw event. */
function eventRow(event) {
  const details = el('details', { class: 'timeline-raw' },
    el('summary', { text: 'raw event' }), el('div', { class: 'timeline-raw-body' }));
  details.addEventListener('toggle', () => {
    if (details.open) openRaw(details, String(event.id));
  });
  return el('li', { dataset: { eventId: event.id } },
    el('span', { class: 'timeline-time', text: fmtTime(event.ts) }),
    el('span', { class: 'timeline-kind', text: event.kind }),
    event.tied === 'ip_map' ? mappedMarker(event) : '',
    el('span', { class: 'timeline-summary mono', text: event.summary || '—', made: true }),
    el('span', { class: 'timeline-origin muted', text: `${event.source} · ${event.origin}`, title: `event ${event.id}` }),
    details);
}
