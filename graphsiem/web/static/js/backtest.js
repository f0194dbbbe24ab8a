// Backtests: what detection would have found at a past time (review R5, finding 7).
//
// POST /v1/detections?now=<ISO time with a zone> runs one; its clusters are
// kept under the run's id (GET /v1/detections/{id}/clusters) and never replace
// the queue.  The page runs one from the queue's "Backtest at…" form, follows
// the run by id (#/backtests/<id>) and lists its clusters read-only, under a
// heading that names the backtest's `now`; a row opens the cluster as the
// backtest detected it, without triage (#/backtests/<id>/clusters/<cluster>).

import { api } from './api.js';
import { byId, el, fill, fmtTime, setText } from './dom.js';
import { normaliseCluster } from './model.js';

// The API asks for ISO-8601 with a zone; said here before a round trip.
const WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
const POLL_MS = 500;
const WAIT_MAX_MS = 10 * 60 * 1000;

export function backtestHref(detectionId, clusterId = null) {
  const base = `#/backtests/${encodeURIComponent(detectionId)}`;
  return clusterId === null ? base : `${base}/clusters/${encodeURIComponent(clusterId)}`;
}

/** Wire the queue's "Backtest at…" form: run one, then follow it by id. */
export function wireBacktestForm() {
  byId('backtest-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const now = byId('backtest-now').value.trim();
    const result = byId('backtest-result');
    if (!WITH_ZONE.test(now)) {
      result.textContent = 'Give a time with its zone, e.g. 2026-11-02T00:00:00Z or 2026-11-02T01:00:00+01:00.';
      return;
    }
    try {
      const run = await api('/v1/detections', { method: 'POST', params: { now } });
      setText(result, `Backtest ${run.id} queued.`);
      window.location.hash = backtestHref(String(run.id));
    } catch (error) {
      setText(result, `Backtest not run: ${error.message}`);
    }
  });
}

/** The read-only list of one backtest's clusters (the #backtest section). */
export class BacktestView {
  constructor() {
    this.detectionId = null;
    this.kept = null; // {now, clusters} of the backtest shown
    this.token = 0;
  }

  /**
   * The kept result of backtest `detectionId`, waiting for the run to finish.
   * @returns {Promise<{now: string, clusters: Array}>}
   */
  async result(detectionId) {
    if (this.detectionId === detectionId && this.kept) return this.kept;
    const started = Date.now();
    let run = await api(`/v1/detections/${encodeURIComponent(detectionId)}`);
    while (run.status !== 'done' && run.status !== 'failed') {
      if (Date.now() - started > WAIT_MAX_MS) throw new Error(`backtest ${detectionId} is still ${run.status}`);
      setText(byId('backtest-status'), `Backtest ${detectionId} is ${run.status}…`);
      await new Promise((resolve) => { window.setTimeout(resolve, POLL_MS); });
      run = await api(`/v1/detections/${encodeURIComponent(detectionId)}`);
    }
    if (run.status === 'failed') throw new Error(`backtest ${detectionId} failed: ${run.error ?? 'no reason given'}`);
    const answer = await api(`/v1/detections/${encodeURIComponent(detectionId)}/clusters`);
    this.detectionId = detectionId;
    this.kept = { now: String(answer.now ?? ''), clusters: Array.isArray(answer.clusters) ? answer.clusters : [] };
    return this.kept;
  }

  /** Show backtest `detectionId`'s clusters; resolves when listed (or failed). */
  async open(detectionId) {
    const token = (this.token += 1);
    document.body.dataset.state = 'backtest-loading';
    byId('backtest-title').textContent = `Backtest ${detectionId}`;
    fill(byId('backtest-body'));
    setText(byId('backtest-status'), `Backtest ${detectionId}: waiting for its result…`);
    try {
      const { now, clusters } = await this.result(detectionId);
      if (token !== this.token) return;
      byId('backtest-title').textContent = `Backtest at ${fmtTime(now)}`;
      setText(byId('backtest-status'), `${clusters.length} cluster${clusters.length === 1 ? '' : 's'} detectable at ${fmtTime(now)} `
        + `(run ${detectionId}). Read-only: the queue is unchanged; triage happens there.`);
      fill(byId('backtest-body'), clusters.map((raw) => this.row(detectionId, normaliseCluster(raw))));
      document.body.dataset.state = 'backtest-ready';
    } catch (error) {
      if (token !== this.token) return;
      setText(byId('backtest-status'), `Backtest unavailable: ${error.message}`);
      document.body.dataset.state = 'backtest-error';
    }
  }

  row(detectionId, c) {
    const href = backtestHref(detectionId, c.id);
    return el(
      'tr',
      { dataset: { clusterId: c.id } },
      el('td', { class: 'risk', text: c.score.toFixed(1) }),
      el('td', { class: 'num', text: String(c.host_count) }),
      el('td', { class: 'summary' }, el('a', { href, text: c.summary || '(no summary)', made: true })),
      el('td', { text: fmtTime(c.first_seen) }),
      el('td', { text: fmtTime(c.last_seen) }),
    );
  }

  /** The stored cluster `clusterId` of backtest `detectionId` (for the cluster view). */
  async cluster(detectionId, clusterId) {
    const { now, clusters } = await this.result(detectionId);
    const raw = clusters.find((c) => String(c.id) === clusterId);
    if (!raw) throw new Error(`backtest ${detectionId} has no cluster ${clusterId}`);
    return { raw, now };
  }
}
