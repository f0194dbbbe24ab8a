// Bulk triage in the queue (review U2 #1): marking 11 noise clusters benign took 11
// rounds of open, fill, save.  Rows are selected with their checkbox (Tab reaches it,
// Space ticks it) or all shown rows at once; one action with one note is then sent as
// the page sends a single triage: one PATCH per cluster, each with the triage version
// the queue listed as If-Match (a cluster someone changed since is refused, not
// overwritten) and its own Idempotency-Key, so each cluster's audit trail says who
// changed what.  The result names every cluster not changed and why; cluster words are
// data (text nodes only, dom.js).
//
// A benign verdict on a cluster whose log-ons name a source host holds, by default, only
// for that cluster's own sources (`lateral_source_hosts`, sent as `benign_when_source`):
// bulk benign sent no scope, so eleven verdicts meant for IT's admin hosts covered every
// host.  "any source" is an explicit choice; the bar says before Apply what each will do.

import { api, newIdempotencyKey, noAnswerText } from './api.js';
import { byId, el, fill, fmtNumber, setText } from './dom.js';

/** The actions: what each sends (the note is added to every one). */
export const BULK_ACTIONS = {
  'benign-close': { words: 'marked benign and closed', patch: () => ({ verdict: 'benign', status: 'closed' }) },
  benign: { words: 'marked benign', patch: () => ({ verdict: 'benign' }) },
  close: { words: 'closed', patch: () => ({ status: 'closed' }) },
  assign: { words: 'assigned', patch: (assignee) => ({ assignee }) },
};

const BENIGN_ACTIONS = new Set(['benign-close', 'benign']);

/**
 * The source scope a bulk benign gives `cluster` (`scope`: 'own' or 'any'), as `benign_when_source`:
 * its own named sources (the exact list), null for any source (widening a verdict held for some
 * hosts), or undefined when its log-ons name no source (the verdict then holds for any).
 */
export function bulkScope(cluster, scope) {
  const hosts = cluster.source_hosts || [];
  if (!hosts.length) return undefined;
  return scope === 'any' ? null : [...hosts];
}

/** What a bulk benign will do to `clusters` with `scope`, in words (said before it is applied). */
export function scopePreview(clusters, scope) {
  const named = clusters.filter((c) => (c.source_hosts || []).length);
  const unnamed = clusters.length - named.length;
  const parts = [];
  if (named.length && scope === 'any') {
    parts.push(`${fmtNumber(named.length)} with a named source will hold for any source (every host)`);
  } else if (named.length) {
    const hosts = [...new Set(named.flatMap((c) => c.source_hosts))].sort();
    const shown = hosts.slice(0, 5).join(', ') + (hosts.length > 5 ? ` and ${fmtNumber(hosts.length - 5)} more` : '');
    parts.push(`${fmtNumber(named.length)} will hold only when the log-ons come from its own source (${shown}): `
      + 'from any other host it is shown again');
  }
  if (unnamed) parts.push(`${fmtNumber(unnamed)} with no named source will hold for any source`);
  return `Benign: ${parts.join('; ')}.`;
}

/** Why one cluster's write was refused, in words. */
function refusal(error) {
  if (error.status === 412) {
    const now = error.details?.[0]?.triage;
    const who = now?.updated_by ? ` by ${now.updated_by}` : '';
    return `changed${who} since the queue was read; not changed (open it to see its triage)`;
  }
  if (error.status === 0 || error instanceof TypeError) return `${noAnswerText(error)}; it may have been applied, apply again to be sure (not applied twice)`;
  return error.message;
}

export class BulkTriage {
  /**
   * @param {{selectedClusters: function(): Array<Object>, clearSelection: function(): void,
   *          refresh: function(): Promise<void>}} queue
   */
  constructor(queue) {
    this.queue = queue;
    this.running = false;
    this.keys = new Map(); // cluster id -> [patch JSON, Idempotency-Key] of a write whose answer was lost
    byId('queue-bulk').addEventListener('submit', (e) => {
      e.preventDefault();
      this.apply();
    });
    byId('bulk-clear').addEventListener('click', () => this.queue.clearSelection());
    // Made here (index.html has no slot for them): the benign verdicts' source scope and what it will do.
    this.scopeSelect = el('select', { id: 'bulk-scope' },
      el('option', { value: 'own', text: "each cluster's own source" }),
      el('option', { value: 'any', text: 'any source (every host)' }));
    this.scopeLabel = el('label', { id: 'bulk-scope-label', hidden: true }, 'Benign only when the source is ', this.scopeSelect);
    this.preview = el('p', { id: 'bulk-scope-preview', class: 'muted', role: 'status', hidden: true });
    const form = byId('queue-bulk');
    form.insertBefore(this.scopeLabel, byId('bulk-apply'));
    form.after(this.preview);
    this.scopeSelect.addEventListener('change', () => this.showScope());
    byId('bulk-action').addEventListener('change', () => this.showAssignee());
    this.showAssignee();
  }

  showAssignee() {
    byId('bulk-assignee-label').hidden = byId('bulk-action').value !== 'assign';
    this.showScope();
  }

  /** Offer the source scope, and say what it will do, while a benign action is chosen on clusters with a named source. */
  showScope() {
    const benign = BENIGN_ACTIONS.has(byId('bulk-action').value);
    const clusters = benign && !byId('queue-bulk').hidden ? this.queue.selectedClusters() : [];
    const named = clusters.some((c) => (c.source_hosts || []).length);
    this.scopeLabel.hidden = !named;
    this.preview.hidden = !named;
    if (named) setText(this.preview, scopePreview(clusters, this.scopeSelect.value));
  }

  /** Show the bar when rows are selected, with how many. */
  update(count) {
    byId('queue-bulk').hidden = count === 0;
    setText(byId('queue-bulk-count'), `${fmtNumber(count)} selected`);
    this.showScope();
  }

  /** The one change every selected cluster gets, or an error message. */
  change() {
    const action = BULK_ACTIONS[byId('bulk-action').value];
    if (!action) return { problem: 'choose an action' };
    const assignee = byId('bulk-assignee').value.trim();
    if (byId('bulk-action').value === 'assign' && !assignee) return { problem: 'name the assignee' };
    const patch = action.patch(assignee);
    const note = byId('bulk-note').value.trim();
    if (note) patch.note = note;
    return { action, patch };
  }

  async apply() {
    if (this.running) return;
    const result = byId('queue-bulk-result');
    const clusters = this.queue.selectedClusters();
    const { action, patch, problem } = this.change();
    if (problem || !clusters.length) {
      setText(result, `Nothing sent: ${problem || 'no cluster selected'}.`);
      return;
    }
    this.running = true;
    byId('bulk-apply').disabled = true;
    const failed = [];
    let done = 0;
    try {
      for (const cluster of clusters) {
        setText(result, `Sending ${done + failed.length + 1} of ${clusters.length}…`);
        try {
          await this.write(cluster, this.scoped(cluster, patch));
          done += 1;
        } catch (error) {
          failed.push([cluster, refusal(error)]);
        }
      }
    } finally {
      this.running = false;
      byId('bulk-apply').disabled = false;
    }
    const said = `${fmtNumber(done)} of ${fmtNumber(clusters.length)} ${action.words}.`;
    fill(result, el('p', { text: failed.length ? `${said} Not changed:` : said }),
      failed.length ? el('ul', { class: 'bulk-failures' }, failed.map(([cluster, why]) => el('li', {
        dataset: { clusterId: cluster.id }, text: `${cluster.summary || cluster.id} (${cluster.id}): ${why}`,
      }))) : null);
    if (done) {
      byId('bulk-note').value = '';
      this.queue.clearSelection(failed.map(([cluster]) => cluster.id));
    }
    await this.queue.refresh();
  }

  /** `patch` for `cluster`: a benign verdict gets the source scope chosen (its own sources by default). */
  scoped(cluster, patch) {
    if (!BENIGN_ACTIONS.has(byId('bulk-action').value)) return patch;
    const scope = bulkScope(cluster, this.scopeSelect.value);
    return scope === undefined ? patch : { ...patch, benign_when_source: scope };
  }

  /** One cluster's PATCH: its listed version as If-Match; a resend after a lost answer keeps its key. */
  async write(cluster, patch) {
    const body = JSON.stringify(patch);
    const kept = this.keys.get(cluster.id);
    const key = kept && kept[0] === body ? kept[1] : newIdempotencyKey();
    this.keys.set(cluster.id, [body, key]);
    const headers = { 'Idempotency-Key': key, 'If-Match': `"${cluster.version}"` };
    try {
      await api(`/v1/clusters/${encodeURIComponent(cluster.id)}`, { method: 'PATCH', body: patch, headers });
      this.keys.delete(cluster.id);
    } catch (error) {
      if (!(error.status === 0 || error instanceof TypeError)) this.keys.delete(cluster.id);
      throw error;
    }
  }
}
