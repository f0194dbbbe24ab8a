// Triage: status, verdict, assignee and note, saved with PATCH; the audit trail.

import { api } from './api.js';
import { byId, el, fill, fmtTime, setText } from './dom.js';
import { normaliseAudit } from './model.js';

export class Triage {
  constructor() {
    this.clusterId = null;
    this.current = {};
    byId('triage-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.save();
    });
  }

  show(cluster) {
    this.clusterId = cluster?.id ?? null;
    byId('triage-form').closest('details').hidden = !cluster;
    if (!cluster) return;
    this.current = { status: cluster.status || 'open', verdict: cluster.verdict || '', assignee: cluster.assignee || '' };
    byId('triage-status').value = this.current.status;
    byId('triage-verdict').value = this.current.verdict;
    byId('triage-assignee').value = this.current.assignee;
    byId('triage-note').value = '';
    // A case continued under another id is triaged there (a PATCH here would
    // change the live cluster while this page shows the old one).
    const movedTo = cluster.superseded_by;
    for (const control of byId('triage-form').elements) control.disabled = Boolean(movedTo);
    setText(byId('triage-result'), movedTo ? `This case continues as cluster ${movedTo}: triage it there.` : '');
    this.loadAudit();
  }

  async save() {
    const wanted = {
      status: byId('triage-status').value,
      verdict: byId('triage-verdict').value,
      assignee: byId('triage-assignee').value.trim(),
    };
    const patch = {};
    for (const [name, value] of Object.entries(wanted)) {
      if (value !== (this.current[name] ?? '')) patch[name] = value === '' ? null : value;
    }
    const note = byId('triage-note').value.trim();
    if (note) patch.note = note;
    const result = byId('triage-result');
    if (!Object.keys(patch).length) {
      result.textContent = 'Nothing changed.';
      return;
    }
    try {
      await api(`/v1/clusters/${encodeURIComponent(this.clusterId)}`, { method: 'PATCH', body: patch });
      this.current = wanted;
      byId('triage-note').value = '';
      await this.loadAudit();
      // Said last, so that "Saved" means the audit trail shows the change too.
      result.textContent = `Saved ${new Date().toISOString().slice(11, 19)}Z.`;
    } catch (error) {
      setText(result, `Not saved: ${error.message}`);
    }
  }

  async loadAudit() {
    const list = byId('audit-list');
    try {
      const entries = normaliseAudit(await api(`/v1/clusters/${encodeURIComponent(this.clusterId)}/audit`));
      const text = (v) => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
      fill(list, entries.length
        ? entries.map((a) => el(
          'li',
          {},
          el('span', { class: 'muted', text: `${fmtTime(a.at)} ` }),
          el('strong', { text: a.who || '?' }),
          ` ${a.field || 'changed'}: `,
          a.old !== null && a.old !== undefined ? `${text(a.old)} → ` : '',
          el('span', { class: 'mono', text: text(a.new) }),
        ))
        : [el('li', { class: 'muted', text: 'No changes yet.' })]);
    } catch (error) {
      fill(list, el('li', { class: 'error', text: `Audit trail unavailable: ${error.message}` }));
    }
  }
}
