// A host's Timeline in the Selection panel: its journaled events, newest first
// (GET /v1/entities/host/{name}/events), a page at a time behind a "More"
// button.  The graph holds aggregated relations only: a host whose events name
// no process, user or address (service-state events) had nothing to read here.
// Every row's text is attacker data: text nodes only (dom.js), never markup.

import { api, entityPath } from './api.js';
import { el, fmtTime } from './dom.js';

/** Events one page of the Timeline lists (the API allows up to 1,000). */
export const TIMELINE_PAGE = 25;

/**
 * The Timeline section of host `host` (its key); it reads its first page now.
 * @param {string} host
 * @returns {HTMLElement}
 */
export function hostTimeline(host) {
  const status = el('p', { class: 'muted timeline-status', text: 'Reading the journal…' });
  const list = el('ol', { class: 'timeline' });
  const more = el('button', { type: 'button', class: 'timeline-more', text: 'More', hidden: true });
  const section = el('section', { class: 'host-timeline', dataset: { host } },
    el('h4', { text: 'Timeline' }), status, list, more);
  let before = null;

  async function readPage() {
    more.disabled = true;
    let page;
    try {
      page = await api(`${entityPath('host', host)}/events`, { params: { limit: TIMELINE_PAGE, before } });
    } catch (error) {
      status.textContent = `Events not read: ${error.message}`;
      more.disabled = false;
      return;
    }
    list.append(...page.items.map(eventRow));
    before = page.next_before;
    const total = page.total_capped ? `more than ${page.total.toLocaleString('en')}` : String(page.total);
    status.textContent = page.total === 0 && list.children.length === 0
      ? 'No event of this host in the journal.'
      : `${list.children.length} of ${total} events, newest first`;
    more.hidden = !before;
    more.disabled = false;
  }

  more.addEventListener('click', readPage);
  readPage();
  return section;
}

/** One event: time, kind, what it did (the API's summary), and where its record came from. */
function eventRow(event) {
  return el('li', { dataset: { eventId: event.id } },
    el('span', { class: 'timeline-time', text: fmtTime(event.ts) }),
    el('span', { class: 'timeline-kind', text: event.kind }),
    el('span', { class: 'timeline-summary mono', text: event.summary || '—' }),
    el('span', { class: 'timeline-origin muted', text: `${event.source} · ${event.origin}`, title: `event ${event.id}` }));
}
