// The cluster queue: sortable, filterable, refreshed by polling so new
// clusters appear without a reload.
//
// "New" means: not listed when this page session first looked at the queue
// and arrived since.  The first look is the unfiltered queue (fetched once
// more if the filters were already set), so changing a filter back and forth
// never flags the clusters it hid as new; a cluster no longer detected is
// never new, nor is a case this session listed under an earlier pivot (its
// `previous_ids`): the same case under a new id.
//
// A continued case whose benign verdict was not carried onto new entities
// says so in its row (reopened.js).  Backtests are not listed here: their
// clusters have their own read-only list (backtest.js).
//
// Rows are selected for one triage of many (queue_bulk.js); rows at or below an
// ordinary cluster's risk are folded under one row (queue_fold.js); the header says
// how many clusters benign verdicts keep out of the queue, with a button to list them.
//
// At most MAX_PAGES × PAGE_SIZE clusters are read: past them the header says "1,000 of
// 2,393" and the text box searches on the server (`q`), so a host or digest typed there
// finds clusters the page did not read (review U3, task PGX #1); a column sort is asked
// of the server too (`sort`), so "First seen" lists the queue's oldest, not the oldest of
// the riskiest 1,000, in the server's order (task PAGE2 #1).

import { api } from './api.js';
import { showCarriedVerdicts } from './carried_verdicts.js';
import { byId, el, fill, fmtNumber, fmtTime, setText } from './dom.js';
import { normaliseAudit, normaliseCluster } from './model.js';
import { BulkTriage } from './queue_bulk.js';
import { foldedIds, foldRow } from './queue_fold.js';
import { emptyQueueHint } from './queue_hint.js';
import { ReopenedCache, reopenedNode } from './reopened.js';
import { verdictCell } from './verdict_scope.js';

const PAGE_SIZE = 100;
const MAX_PAGES = 10;
const SEARCH_DELAY_MS = 300; // typing pauses this long before the server is asked (`q`)
// Filters and sort kept in this tab (sessionStorage, like the key): a reload
// shows the same queue.
const VIEW_KEY = 'graphsiem.queueView';
const COLUMNS = 8; // the queue table's, the selection box first

/**
 * Text as the queue's search compares it, here and on the server (`q`,
 * graphsiem/api/queue_search.py `search_fold`): NFKC, then lower, upper and lower
 * again (Unicode's full case mappings: `ÄDMIN` is `ädmin`, `STRASSE` is `straße`,
 * the dotless ı is i), and İ's combining dot dropped.
 */
export function searchFold(text) {
  return text.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC').replaceAll('i\u0307', 'i');
}

// Each listed cluster's folded text, made once (a keystroke filters 1,000 clusters of up to
// hundreds of hosts each); the objects are replaced by each listing, so entries go with them.
const folded = new WeakMap();

/**
 * The texts the box searches in a cluster, folded. Keys as well as values: a file keyed
 * by its digest has its path as value, so a pasted SHA-256 is found in the key only
 * (members' keys, the list's `entity_keys`, and the pivot's key).
 */
function searchableText(c) {
  let texts = folded.get(c);
  if (!texts) {
    texts = [c.summary, ...c.hosts, ...c.entities.map((e) => e.value), ...c.members.map((m) => m.key), c.pivot?.key]
      .map((v) => searchFold(String(v ?? '')));
    folded.set(c, texts);
  }
  return texts;
}

function pollInterval() {
  // Tests and demos may poll faster; never below 500 ms.
  const wanted = Number(new URLSearchParams(window.location.search).get('poll'));
  return Number.isFinite(wanted) && wanted >= 500 ? wanted : 5000;
}

export class Queue {
  constructor({ onOpen }) {
    this.onOpen = onOpen;
    this.clusters = [];
    this.seen = null; // ids this session has listed, under any filter; null before the first look
    this.fresh = new Set();
    this.emptyHint = null; // why the last listing was empty (queue_hint.js)
    this.sort = { key: 'score', descending: true };
    this.timer = null;
    this.loading = false;
    this.shown = null; // what the table shows now (render skips an identical one)
    this.reopened = new ReopenedCache();
    this.carried = []; // the active detection's carried verdicts, as the cluster list gave them
    this.suppressed = 0; // clusters benign verdicts keep out of the queue (the list's suppressed_by_verdicts)
    this.emptyFacts = null; // an empty first page's latest_detection and inactive_clusters
    this.selected = new Set(); // ids ticked for a bulk triage
    this.total = 0; // how many clusters the last listing's filters hold (the API's `total`)
    this.capped = false; // the queue without the text holds more clusters than the page reads
    this.searchTimer = null;
    this.bulk = new BulkTriage(this);
    byId('queue-select-all').addEventListener('change', (e) => this.selectShown(e.target.checked));
    byId('queue-suppressed-show').addEventListener('click', () => {
      // The benign verdict filter lists them (resolved cases included): the same filter as by hand.
      byId('filter-verdict').value = 'benign';
      this.saveView();
      this.refresh();
    });
    // Each header's button sorts (Tab reaches it, Enter or Space presses it).
    byId('queue-table').querySelectorAll('th[data-sort]').forEach((th) => {
      th.addEventListener('click', () => this.sortBy(th.dataset.sort));
    });
    this.restoreView();
    byId('queue-filters').addEventListener('change', () => {
      this.saveView();
      this.refresh();
    });
    byId('queue-filters').addEventListener('submit', (e) => e.preventDefault());
    byId('filter-text').addEventListener('input', () => {
      this.saveView();
      this.render(); // at once over the rows read; the server's answer follows
      if (this.capped || this.searchedText !== null) this.searchSoon();
    });
    this.searchedText = null; // the text the shown listing was searched with on the server, else null
    this.sortedBy = null; // the `sort` the shown listing was read with (the server's order), else null
  }

  /** Keep the filters and the sort for a reload of this tab. */
  saveView() {
    const view = {
      minScore: byId('filter-min-score').value,
      status: byId('filter-status').value,
      verdict: byId('filter-verdict').value,
      text: byId('filter-text').value,
      inactive: byId('filter-inactive').checked,
      foldLow: byId('filter-fold-low').checked,
      sort: this.sort,
    };
    sessionStorage.setItem(VIEW_KEY, JSON.stringify(view));
  }

  restoreView() {
    let view = null;
    try {
      view = JSON.parse(sessionStorage.getItem(VIEW_KEY) || 'null');
    } catch {
      view = null; // a damaged entry: start from the defaults
    }
    if (!view || typeof view !== 'object') return;
    byId('filter-min-score').value = String(view.minScore ?? '0');
    byId('filter-status').value = String(view.status ?? '');
    byId('filter-verdict').value = String(view.verdict ?? '');
    byId('filter-text').value = String(view.text ?? '');
    byId('filter-inactive').checked = Boolean(view.inactive);
    byId('filter-fold-low').checked = view.foldLow !== false; // folded unless unfolded (a view saved before it: folded)
    const sort = view.sort;
    if (sort && typeof sort.key === 'string' && byId('queue-table').querySelector(`th[data-sort="${CSS.escape(sort.key)}"]`)) {
      this.sort = { key: sort.key, descending: Boolean(sort.descending) };
      this.markSorted();
    }
  }

  start() {
    this.stop();
    this.refresh();
    this.timer = window.setInterval(() => this.refresh(), pollInterval());
  }

  stop() {
    if (this.timer) window.clearInterval(this.timer);
    this.timer = null;
    if (this.searchTimer) window.clearTimeout(this.searchTimer);
    this.searchTimer = null;
  }

  /**
   * The API's `sort` for the column sort chosen, when the page cannot read the whole queue;
   * null for the queue's own order (risk, highest first) or when the rows read are all of it.
   */
  serverSort() {
    const { key, descending } = this.sort;
    if (!this.capped || (key === 'score' && descending)) return null;
    return `${descending ? '-' : ''}${key}`;
  }

  /** List again once typing (or sorting) pauses: the text and the sort go to the server (see the top of this file). */
  searchSoon() {
    if (this.searchTimer) window.clearTimeout(this.searchTimer);
    this.searchTimer = window.setTimeout(() => {
      this.searchTimer = null;
      if (this.loading) this.searchSoon(); // a poll is reading: search after it, not never
      else this.refresh();
    }, SEARCH_DELAY_MS);
  }

  reset() {
    this.stop();
    this.clusters = [];
    this.seen = null;
    this.fresh.clear();
    this.emptyHint = null;
    this.shown = null;
    this.reopened.clear();
    this.carried = [];
    this.suppressed = 0;
    this.emptyFacts = null;
    this.selected.clear();
    this.total = 0;
    this.capped = false;
    this.searchedText = null;
    this.sortedBy = null;
    fill(byId('queue-body'));
    fill(byId('queue-fold'));
    byId('queue-suppressed').hidden = true;
    setText(byId('queue-bulk-result'), '');
    this.bulk.update(0);
    byId('queue-empty').hidden = true;
  }

  /** Whether the analyst has text selected in the queue table (a re-render would clear it). */
  selecting() {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return false;
    const table = byId('queue-table');
    return table.contains(selection.anchorNode) || table.contains(selection.focusNode);
  }

  filters() {
    const minScore = Number(byId('filter-min-score').value) || 0;
    const text = byId('filter-text').value.trim();
    return {
      // Only when the page cannot read the whole queue: else its own filter sees every row.
      q: text && this.capped ? text : null,
      min_score: minScore > 0 ? minScore : null,
      status: byId('filter-status').value || null,
      verdict: byId('filter-verdict').value || null,
      // An API without the parameter ignores it (and lists active clusters only).
      include_inactive: byId('filter-inactive').checked ? 'true' : null,
    };
  }

  /**
   * Every cluster of the queue under `filters`, page by page (at most MAX_PAGES).
   * The first page's `verdicts_carried` (the active detection's) is kept in `this.carried`:
   * the poll no longer reads GET /v1/detections for them (task PAGE3 #2).
   */
  async listAll(filters) {
    const clusters = [];
    let cursor = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const answer = await api('/v1/clusters', { params: { ...filters, limit: PAGE_SIZE, cursor } });
      const items = Array.isArray(answer) ? answer : answer.clusters ?? answer.items ?? [];
      if (page === 0 && Array.isArray(answer?.verdicts_carried)) this.carried = answer.verdicts_carried;
      if (page === 0) this.suppressed = Number(answer?.suppressed_by_verdicts) || 0;
      if (page === 0) this.total = Number(answer?.total) || 0;
      // An empty queue's page says why (its newest run, the clusters no longer detected): the
      // poll of an idle queue makes this one request (task OLDQ #2).
      if (page === 0) this.emptyFacts = { latest: answer?.latest_detection ?? null, inactive: answer?.inactive_clusters ?? null };
      clusters.push(...items.map(normaliseCluster));
      cursor = answer.next_cursor ?? answer.cursor ?? null;
      if (!cursor || !items.length) break;
    }
    return clusters;
  }

  /** Flag what this session has not listed before (see the top of this file). */
  noteSeen(clusters) {
    for (const c of clusters) {
      if (this.seen.has(c.id)) continue;
      const continued = c.previous_ids.some((id) => this.seen.has(id));
      if (c.active && !continued) this.fresh.add(c.id);
      this.seen.add(c.id);
    }
  }

  async refresh() {
    if (this.loading) return;
    this.loading = true;
    const status = byId('queue-status');
    let searchNow = false;
    try {
      const filters = this.filters();
      const sort = this.serverSort();
      const clusters = await this.listAll({ ...filters, sort });
      // Whether the page reads the whole queue is known from a listing without the text only.
      if (filters.q === null) this.capped = this.total > clusters.length;
      this.searchedText = filters.q;
      this.sortedBy = sort;
      searchNow = filters.q === null && this.capped && Boolean(byId('filter-text').value.trim());
      // A sort kept from before (a reload) over a queue found too big: sort it on the server now.
      searchNow ||= this.serverSort() !== sort;
      const facts = this.emptyFacts;
      if (this.seen === null) {
        const unfiltered = Object.values(filters).every((v) => v === null);
        const baseline = unfiltered ? clusters : await this.listAll({});
        this.seen = new Set(baseline.map((c) => c.id));
      }
      this.noteSeen(clusters);
      await this.reopened.update(clusters, normaliseAudit);
      this.clusters = clusters;
      this.emptyHint = clusters.length ? null : this.explainEmpty(filters, facts);
      // The benign verdicts the active detection carried to a new build, in the header (carried_verdicts.js).
      showCarriedVerdicts(byId('queue-carried'), this.carried);
      this.showSuppressed(filters);
      const listed = new Set(clusters.map((c) => c.id));
      for (const id of [...this.selected]) if (!listed.has(id)) this.selected.delete(id);
      const inactive = clusters.filter((c) => !c.active).length;
      const paused = this.selecting();
      setText(status, `${this.countText(clusters.length, filters.q)}${inactive ? ` (${inactive} no longer detected)` : ''}`
        + (sort ? ' · sorted over the whole queue' : '')
        + ` · updated ${new Date().toISOString().slice(11, 19)}Z`
        + (paused ? ' · table not redrawn while text is selected in it' : ''));
      // Redrawing under a selection would clear it; the next poll catches up.
      if (!paused) this.render();
    } catch (error) {
      setText(status, `Could not load clusters: ${error.message}`);
    } finally {
      this.loading = false;
    }
    // A text kept from before (a reload) over a queue found too big: search it on the server now.
    if (searchNow) this.refresh();
  }

  /** "2,393 clusters", "1,000 of 2,393 clusters (raise the minimum risk or search)", or what a search found. */
  countText(read, searched) {
    const count = (n) => n.toLocaleString('en-US');
    const total = Math.max(this.total, read);
    const found = searched === null ? 'clusters' : `clusters match "${searched}" (searched over the whole queue)`;
    if (total <= read) return `${count(read)} ${found}`;
    return `${count(read)} of ${count(total)} ${found} (raise the minimum risk or search)`;
  }

  /**
   * "10 suppressed by your verdicts" in the header: a restart's detection left them out of
   * the default queue without a word (review U2 #2).  Said under the default filters only
   * (a status or verdict filter, or "show inactive", lists them already).
   */
  showSuppressed(filters) {
    const box = byId('queue-suppressed');
    const unfiltered = filters.status === null && filters.verdict === null && filters.include_inactive === null;
    box.hidden = !(unfiltered && this.suppressed > 0);
    setText(byId('queue-suppressed-text'), `${fmtNumber(this.suppressed)} suppressed by your verdicts`
      + ' (judged benign, no longer detected).');
  }

  /** The clusters whose rows show now (the text filter, the fold), in the table's order. */
  shownClusters() {
    const folded = byId('filter-fold-low').checked;
    const visible = this.visible();
    const low = foldedIds(visible);
    return visible.filter((c) => !(folded && low.has(c.id)));
  }

  /** The selected clusters the table shows (a row hidden by a filter or the fold is not acted on). */
  selectedClusters() {
    return this.shownClusters().filter((c) => this.selected.has(c.id));
  }

  /** Untick every row but those of `keep` (ids a bulk action could not change). */
  clearSelection(keep = []) {
    const kept = new Set(keep);
    for (const id of [...this.selected]) if (!kept.has(id)) this.selected.delete(id);
    this.syncSelection();
  }

  selectShown(checked) {
    for (const c of this.shownClusters()) {
      if (checked) this.selected.add(c.id);
      else this.selected.delete(c.id);
    }
    this.syncSelection();
  }

  /** The row boxes, the select-all box and the bulk bar as the selection is now. */
  syncSelection() {
    byId('queue-body').querySelectorAll('tr[data-cluster-id] input.row-select').forEach((box) => {
      box.checked = this.selected.has(box.closest('tr').dataset.clusterId);
    });
    const shown = this.shownClusters();
    const ticked = shown.filter((c) => this.selected.has(c.id)).length;
    const all = byId('queue-select-all');
    all.checked = shown.length > 0 && ticked === shown.length;
    all.indeterminate = ticked > 0 && ticked < shown.length;
    this.bulk.update(ticked);
  }

  /**
   * Why the queue is empty (the filters, clusters no longer detected, no detection), for render(),
   * from the empty page itself (`latest_detection`, `inactive_clusters`: no further request; the
   * newest run there is never a backtest, which does not fill the queue).
   */
  explainEmpty(filters, facts) {
    const filtered = filters.min_score !== null || filters.status !== null || filters.verdict !== null;
    const includeInactive = filters.include_inactive !== null;
    const inactive = filtered || includeInactive ? null : facts?.inactive ?? null;
    const detections = filtered ? null : (facts?.latest ? [facts.latest] : []);
    return emptyQueueHint({ filtered, includeInactive, inactive, detections });
  }

  sortBy(key) {
    this.sort = this.sort.key === key ? { key, descending: !this.sort.descending } : { key, descending: key === 'score' || key === 'host_count' || key === 'last_seen' };
    this.markSorted();
    this.saveView();
    this.render(); // at once over the rows read; past them the server's order follows
    if (this.capped || this.sortedBy !== null) this.searchSoon();
  }

  markSorted() {
    const { key, descending } = this.sort;
    byId('queue-table').querySelectorAll('th[data-sort]').forEach((th) => {
      if (th.dataset.sort === key) th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    });
  }

  visible() {
    const text = searchFold(byId('filter-text').value.trim());
    const matches = (c) => !text || searchableText(c).some((v) => v.includes(text));
    const listed = this.clusters.filter(matches);
    // Read in the server's order of the whole queue for this sort: kept as read (sorting again
    // here could order ties and text otherwise than the rows the server chose).
    if (this.sortedBy !== null && this.sortedBy === this.serverSort()) return listed;
    const { key, descending } = this.sort;
    const sign = descending ? -1 : 1;
    return listed.sort((a, b) => {
      const x = a[key] ?? '';
      const y = b[key] ?? '';
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return sign * order || b.score - a.score;
    });
  }

  /**
   * Draw the rows.  Skipped when they would be the same as those shown (the
   * poll every 5 s must not reset focus or selection for nothing); when they
   * change, the focused row keeps the focus by its cluster id.
   */
  render() {
    const folded = byId('filter-fold-low').checked;
    // Low-signal rows go last, each part in the sort asked for; folded, they stay in the
    // table hidden, under the fold row (queue_fold.js).
    const listed = this.visible();
    const lowIds = foldedIds(listed);
    const low = listed.filter((c) => lowIds.has(c.id));
    const visible = [...listed.filter((c) => !lowIds.has(c.id)), ...low];
    const hint = this.clusters.length || this.searchedText !== null ? 'No cluster matches the text filter.' : this.emptyHint;
    const shown = JSON.stringify([hint, folded, visible.map((c) => [
      c.id, c.score, c.host_count, c.summary, c.first_seen, c.last_seen, c.status, c.verdict, c.benign_sources,
      c.active, c.previous_ids, this.fresh.has(c.id), this.reopened.get(c), c.version, c.ordinary_score])]);
    if (shown === this.shown) {
      this.syncSelection();
      return;
    }
    this.shown = shown;
    const active = document.activeElement;
    const focused = active?.closest?.('#queue-body tr')?.dataset.clusterId ?? null;
    const focusedBox = Boolean(active?.classList?.contains('row-select'));
    const rows = visible.map((c) => {
      const open = () => this.onOpen(c.id);
      const reopened = this.reopened.get(c);
      const lowSignal = lowIds.has(c.id);
      // The box's click and keys are its own: ticking it must not open the cluster.
      const box = el('input', {
        type: 'checkbox', class: 'row-select', 'aria-label': `Select: ${c.summary || c.id}`,
        onclick: (e) => e.stopPropagation(),
        onkeydown: (e) => e.stopPropagation(),
        onchange: (e) => {
          if (e.target.checked) this.selected.add(c.id);
          else this.selected.delete(c.id);
          this.syncSelection();
        },
      });
      box.checked = this.selected.has(c.id);
      return el(
        'tr',
        {
          class: [this.fresh.has(c.id) ? 'is-new' : '', c.active ? '' : 'is-inactive', reopened ? 'is-reopened' : '',
            lowSignal ? 'is-low-signal' : ''].filter(Boolean).join(' ') || null,
          dataset: { clusterId: c.id },
          tabindex: '0',
          hidden: folded && lowSignal,
          onclick: open,
          onkeydown: (e) => { if (e.key === 'Enter') open(); },
        },
        el('td', { class: 'select', onclick: (e) => { if (e.target === e.currentTarget) { e.stopPropagation(); box.click(); } } }, box),
        el('td', { class: 'risk', text: c.score.toFixed(1) }),
        el('td', { class: 'num', text: String(c.host_count) }),
        el(
          'td',
          { class: 'summary' },
          this.fresh.has(c.id) ? el('span', { class: 'badge', text: 'new' }) : null,
          c.active ? null : el('span', { class: 'badge inactive', title: 'the last detection did not produce this cluster', text: 'no longer detected' }),
          c.previous_ids.length ? el('span', {
            class: 'badge continued',
            title: `the same case as ${c.previous_ids.join(', ')} under an earlier pivot (triage carried over)`,
            text: 'continued',
          }) : null,
          el('span', { text: c.summary || '(no summary)', made: true }),
          reopened ? reopenedNode(reopened, { compact: true }) : null,
        ),
        el('td', { text: fmtTime(c.first_seen) }),
        el('td', { text: fmtTime(c.last_seen) }),
        el('td', { text: c.status }),
        verdictCell(c),
      );
    });
    fill(byId('queue-body'), rows);
    fill(byId('queue-fold'), low.length ? foldRow(low, folded, COLUMNS, () => {
      byId('filter-fold-low').checked = !folded;
      this.saveView();
      this.render();
      byId('queue-fold').querySelector('button')?.focus();
    }) : null);
    this.syncSelection();
    if (focused !== null) {
      const row = rows.find((r) => r.dataset.clusterId === focused);
      (focusedBox ? row?.querySelector('input.row-select') : row)?.focus();
    }
    const empty = byId('queue-empty');
    empty.hidden = rows.length > 0 || !hint;
    setText(empty, rows.length ? '' : hint ?? '');
  }
}
