// The cluster queue: sortable, filterable, refreshed by polling so new
// clusters appear without a reload.

import { api } from './api.js';
import { byId, el, fill, fmtTime, setText } from './dom.js';
import { normaliseCluster } from './model.js';

const PAGE_SIZE = 100;
const MAX_PAGES = 10;

function pollInterval() {
  // Tests and demos may poll faster; never below 500 ms.
  const wanted = Number(new URLSearchParams(window.location.search).get('poll'));
  return Number.isFinite(wanted) && wanted >= 500 ? wanted : 5000;
}

export class Queue {
  constructor({ onOpen }) {
    this.onOpen = onOpen;
    this.clusters = [];
    this.known = null; // ids seen at the previous refresh; null before the first
    this.fresh = new Set();
    this.sort = { key: 'score', descending: true };
    this.timer = null;
    this.loading = false;
    byId('queue-table').querySelectorAll('th[data-sort]').forEach((th) => {
      th.addEventListener('click', () => this.sortBy(th.dataset.sort));
    });
    byId('queue-filters').addEventListener('change', () => this.refresh());
    byId('queue-filters').addEventListener('submit', (e) => e.preventDefault());
    byId('filter-text').addEventListener('input', () => this.render());
  }

  start() {
    this.stop();
    this.refresh();
    this.timer = window.setInterval(() => this.refresh(), pollInterval());
  }

  stop() {
    if (this.timer) window.clearInterval(this.timer);
    this.timer = null;
  }

  reset() {
    this.stop();
    this.clusters = [];
    this.known = null;
    this.fresh.clear();
    fill(byId('queue-body'));
  }

  filters() {
    const minScore = Number(byId('filter-min-score').value) || 0;
    return {
      min_score: minScore > 0 ? minScore : null,
      status: byId('filter-status').value || null,
      verdict: byId('filter-verdict').value || null,
    };
  }

  async refresh() {
    if (this.loading) return;
    this.loading = true;
    const status = byId('queue-status');
    try {
      const clusters = [];
      let cursor = null;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const answer = await api('/v1/clusters', { params: { ...this.filters(), limit: PAGE_SIZE, cursor } });
        const items = Array.isArray(answer) ? answer : answer.clusters ?? answer.items ?? [];
        clusters.push(...items.map(normaliseCluster));
        cursor = answer.next_cursor ?? answer.cursor ?? null;
        if (!cursor || !items.length) break;
      }
      const ids = new Set(clusters.map((c) => c.id));
      if (this.known) {
        for (const id of ids) if (!this.known.has(id)) this.fresh.add(id);
      }
      this.known = ids;
      this.clusters = clusters;
      status.textContent = `${clusters.length} clusters · updated ${new Date().toISOString().slice(11, 19)}Z`;
      this.render();
    } catch (error) {
      setText(status, `Could not load clusters: ${error.message}`);
    } finally {
      this.loading = false;
    }
  }

  sortBy(key) {
    this.sort = this.sort.key === key ? { key, descending: !this.sort.descending } : { key, descending: key === 'score' || key === 'host_count' || key === 'last_seen' };
    byId('queue-table').querySelectorAll('th[data-sort]').forEach((th) => {
      if (th.dataset.sort === key) th.setAttribute('aria-sort', this.sort.descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    });
    this.render();
  }

  visible() {
    const text = byId('filter-text').value.trim().toLowerCase();
    const matches = (c) => !text
      || c.summary.toLowerCase().includes(text)
      || c.hosts.some((h) => String(h).toLowerCase().includes(text))
      || c.entities.some((e) => String(e.value ?? '').toLowerCase().includes(text));
    const { key, descending } = this.sort;
    const sign = descending ? -1 : 1;
    return this.clusters.filter(matches).sort((a, b) => {
      const x = a[key] ?? '';
      const y = b[key] ?? '';
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return sign * order || b.score - a.score;
    });
  }

  render() {
    const rows = this.visible().map((c) => {
      const open = () => this.onOpen(c.id);
      return el(
        'tr',
        {
          class: this.fresh.has(c.id) ? 'is-new' : null,
          dataset: { clusterId: c.id },
          tabindex: '0',
          onclick: open,
          onkeydown: (e) => { if (e.key === 'Enter') open(); },
        },
        el('td', { class: 'risk', text: c.score.toFixed(1) }),
        el('td', { class: 'num', text: String(c.host_count) }),
        el('td', { class: 'summary' }, this.fresh.has(c.id) ? el('span', { class: 'badge', text: 'new' }) : null, c.summary || '(no summary)'),
        el('td', { text: fmtTime(c.first_seen) }),
        el('td', { text: fmtTime(c.last_seen) }),
        el('td', { text: c.status }),
        el('td', { text: c.verdict || '—' }),
      );
    });
    fill(byId('queue-body'), rows);
  }
}
