// Triage: status, verdict, assignee and note, saved with PATCH; the audit trail.
//
// Two analysts may have the same cluster open.  The page keeps the triage
// version it last read (the cluster's load, then each PATCH answer) and sends
// it as If-Match: a change made on a triage someone else has changed since is
// refused (412) instead of silently replacing theirs (a stale "benign" over a
// "malicious" also suppressed the pivot).  The refusal is shown in the panel
// with the triage as it is now; the form takes it, the unsent note stays, and
// "Apply my change again" sends the analyst's change on the current version.
//
// Every PATCH carries an Idempotency-Key: api.js retries a lost answer once
// under it, and a Save pressed again after a lost answer sends the same change
// under the same key, so a note is never logged twice.

import { api, newIdempotencyKey, noAnswerText } from './api.js';
import { byId, el, fill, fmtTime, setText } from './dom.js';
import { normaliseAudit } from './model.js';
import { SourceScope, chosenFrom, scopeOf, scopeOutcome, scopeToSend } from './triage_scope.js';
import { sourcesText } from './verdict_scope.js';

const FIELDS = ['status', 'verdict', 'assignee'];

/** The form's view of a triage from the API ({status, verdict, assignee}; '' for none). */
function formValues(triage) {
  return {
    status: triage?.status || 'open',
    verdict: triage?.verdict || '',
    assignee: triage?.assignee || '',
  };
}

/** A triage version the API made (an integer), or null (an API without versions: no If-Match). */
function versionOf(triage) {
  const version = triage?.version;
  return Number.isInteger(version) && version >= 0 ? version : null;
}

/** "verdict → benign, status → closed" for a patch (the note said apart). */
function describe(patch) {
  const parts = FIELDS.filter((name) => name in patch).map((name) => `${name} → ${patch[name] ?? 'none'}`);
  if ('benign_when_source' in patch) {
    const scope = patch.benign_when_source;
    parts.push(`source → ${scope === null ? 'any source' : [scope].flat().join(', ')}`);
  }
  if (patch.note) parts.push('your note');
  return parts.join(', ');
}

export class Triage {
  constructor() {
    this.clusterId = null;
    this.current = {};
    this.version = null; // the triage version last read: sent as If-Match
    this.pending = null; // {body, key}: a change whose answer was lost, resent under its key
    this.refused = null; // the fields of a change refused with 412, for "Apply my change again"
    this.pivot = null; // the shown cluster's pivot, named by the benign note
    this.saving = false;
    const form = byId('triage-form');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.save();
    });
    // Made here (index.html has no slot for it), shown only after a 412.
    this.conflict = el('div', { class: 'triage-conflict', id: 'triage-conflict', role: 'alert', hidden: true });
    form.insertBefore(this.conflict, byId('triage-result'));
    // What "benign" does beyond the label (review U1 #11: nothing said it): shown while it is chosen.
    this.suppressNote = el('p', { class: 'triage-suppress-note muted', id: 'triage-suppress-note', hidden: true });
    form.insertBefore(this.suppressNote, byId('triage-result'));
    // A benign verdict held only for some source hosts (lateral movement: "benign when from it-0005"):
    // offered while "benign" is chosen and the cluster's log-ons name a source (its lateral_sources).
    this.savedSources = []; // the hosts the saved benign verdict holds for (the API's benign_when_source)
    this.namedSources = []; // the hosts the shown cluster's log-ons name (its lateral_sources)
    this.scope = new SourceScope(() => this.showSuppressNote());
    // Beside the verdict it scopes, above Save (it came after the button: chosen after saving, review U5 #1).
    form.insertBefore(this.scope.node, form.querySelector('button[type=submit]'));
    byId('triage-verdict').addEventListener('change', () => this.showSuppressNote());
    // The form sits under the checks and the features, below the fold of a 950 px screen
    // (review U5B #5): the toolbar's "Triage" button brings it up without moving the checks.
    byId('jump-triage').addEventListener('click', () => this.reveal());
  }

  /** Open the triage panel, scroll it to the top of the side column and focus its status. */
  reveal() {
    const panel = byId('triage-form').closest('details');
    panel.open = true;
    panel.scrollIntoView({ block: 'start' });
    byId('triage-status').focus({ preventScroll: true });
  }

  /**
   * The source hosts the shown cluster's log-ons came from (as the IP map named them), offered as a scope.
   * The hosts come first, so a new benign verdict holds for the cluster's own source unless the
   * analyst chooses the wide "any source" (it was the first and the default, and a verdict meant
   * for it-0003's planned PsExec silently covered every host, review U5).
   */
  setSources(records) {
    this.namedSources = [...new Set((records || []).map((r) => r?.host).filter((h) => typeof h === 'string' && h))].sort();
    this.offerSources();
  }

  /** Offer the named sources and the hosts the saved verdict holds for (after either changes). */
  offerSources() {
    this.scope.setSources(this.namedSources, this.savedSources);
  }

  /** Say, while "benign" is chosen, that it suppresses later detections of this cluster's pivot. */
  showSuppressNote() {
    const benign = byId('triage-verdict').value === 'benign';
    this.suppressNote.hidden = !benign;
    this.scope.hidden = !benign || !this.scope.sources.length;
    if (!benign) return;
    const pivot = this.pivot ? `${this.pivot.type} ${this.pivot.value ?? this.pivot.key}` : 'its pivot';
    const saved = (this.current.verdict ?? '') === 'benign';
    const chosen = this.scope.hidden ? null : this.scope.chosen();
    const held = saved ? this.savedSources : [];
    if (Array.isArray(chosen) && !chosen.length) {
      this.suppressNote.textContent = 'Tick at least one source host, or choose any source (every host).';
      return;
    }
    const sending = this.scope.hidden ? undefined : scopeToSend(chosen, held, saved);
    if (Array.isArray(sending)) {
      const verb = held.length ? `Saving changes it to hold only when its log-ons come from ${sourcesText(sending)}`
        : `Saving benign suppresses later detections of this cluster's pivot (${pivot}) only when its log-ons come from ${sourcesText(sending)}`;
      this.suppressNote.textContent = `${verb}: from any other host it is shown, naming that host.`;
      return;
    }
    if (sending === null) {
      // Widening a verdict held for some hosts (review U5 follow-up: it answered "Nothing changed").
      this.suppressNote.textContent = `Benign holds now only when the log-ons come from ${sourcesText(held)}. `
        + `Saving widens it to any source: later detections of this cluster's pivot (${pivot}) are suppressed `
        + 'whichever host its log-ons come from.';
      return;
    }
    if (held.length) {
      // Saved for some sources only: "any source" in the select is not what holds (review U5 #1).
      this.suppressNote.textContent = `Benign suppresses later detections of this cluster's pivot (${pivot}) `
        + `only when its log-ons come from ${sourcesText(held)}: from any other host it is shown, naming that host. `
        + 'Set the verdict back to none to lift it.';
      return;
    }
    // The wide choice, when a narrower one was offered, says so: it covers every source host.
    const wide = this.scope.hidden ? '' : ', whichever host its log-ons come from';
    this.suppressNote.textContent = `${saved ? 'Benign suppresses' : 'Saving benign suppresses'} later detections `
      + `of this cluster's pivot (${pivot})${wide}: its clusters stop reaching the queue, except entities that appear `
      + 'on its hosts after the verdict. Set the verdict back to none to lift it.';
  }

  /**
   * Show the triage of `cluster` (null hides the panel).
   * @param {?Object} cluster  a normalised cluster
   * @param {{version?: number}} triage  the detail's `triage` (its `version` is the If-Match to send)
   * @param {Array<{host: ?string}>} lateralSources  the detail's `lateral_sources` (the scopes offered)
   */
  show(cluster, triage = {}, lateralSources = []) {
    this.clusterId = cluster?.id ?? null;
    this.savedSources = cluster?.benign_sources ?? []; // offered beside the named sources (setSources)
    this.setSources(cluster ? lateralSources : []);
    byId('triage-form').closest('details').hidden = !cluster;
    byId('jump-triage').hidden = !cluster;
    this.hideConflict();
    this.pending = null;
    this.version = cluster ? versionOf(triage) : null;
    if (!cluster) return;
    this.current = { status: cluster.status || 'open', verdict: cluster.verdict || '', assignee: cluster.assignee || '' };
    this.pivot = cluster.pivot ?? null;
    this.fillForm(this.current);
    byId('triage-note').value = '';
    // A case continued under another id is triaged there (a PATCH here would
    // change the live cluster while this page shows the old one).
    const movedTo = cluster.superseded_by;
    for (const control of byId('triage-form').elements) control.disabled = Boolean(movedTo);
    if (!movedTo) this.scope.modeChanged(false); // the host ticks wait, disabled, under "any source"
    setText(byId('triage-result'), movedTo ? `This case continues as cluster ${movedTo}: triage it there.` : '');
    this.loadAudit();
  }

  fillForm(values) {
    byId('triage-status').value = values.status;
    byId('triage-verdict').value = values.verdict;
    byId('triage-assignee').value = values.assignee;
    this.scope.show(this.scopeShown(values.verdict));
    this.showSuppressNote();
  }

  /**
   * The scope the form shows for a triage whose verdict is `verdict` (hosts, or null for any source):
   * a saved benign verdict's own (the named sources it holds for, or any source when it holds for
   * every host), else the narrow default, the cluster's first named source.
   */
  scopeShown(verdict) {
    const sources = this.scope.sources;
    if (verdict !== 'benign') return sources.length ? [sources[0]] : null;
    return this.savedSources.length ? this.savedSources.filter((host) => sources.includes(host)) : null;
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
    const savedBenign = (this.current.verdict ?? '') === 'benign';
    const held = savedBenign ? this.savedSources : [];
    const chosen = this.scope.hidden ? undefined : this.scope.chosen();
    if (Array.isArray(chosen) && !chosen.length) {
      // The API would refuse an empty list (422); "no host" is not "any host" either.
      byId('triage-result').textContent = 'Not saved: tick at least one source host, or choose any source (every host).';
      return;
    }
    const scope = chosen === undefined ? undefined : scopeToSend(chosen, held, savedBenign);
    if (scope !== undefined) patch.benign_when_source = scope;
    const note = byId('triage-note').value.trim();
    if (note) patch.note = note;
    if (!Object.keys(patch).length) {
      byId('triage-result').textContent = 'Nothing changed.';
      return;
    }
    await this.send(patch);
  }

  /** "Apply my change again": the refused change on the triage as it is now, with the note as it reads now. */
  async reapply() {
    const patch = {};
    for (const [name, value] of Object.entries(this.refused || {})) {
      if (name === 'benign_when_source') continue;
      if ((value ?? '') !== (this.current[name] ?? '')) patch[name] = value;
    }
    if (this.refused && 'benign_when_source' in this.refused) {
      const savedBenign = (this.current.verdict ?? '') === 'benign';
      const scope = scopeToSend(chosenFrom(this.refused.benign_when_source), savedBenign ? this.savedSources : [], savedBenign);
      if (scope !== undefined) patch.benign_when_source = scope;
    }
    const note = byId('triage-note').value.trim();
    if (note) patch.note = note;
    this.hideConflict();
    if (!Object.keys(patch).length) {
      byId('triage-result').textContent = 'Nothing to apply: the triage already is what you asked for.';
      return;
    }
    await this.send(patch);
  }

  /** PATCH `patch` under If-Match (the version last read) and an Idempotency-Key. */
  async send(patch) {
    if (this.saving) return; // a double click sends one change
    this.saving = true;
    const result = byId('triage-result');
    const body = JSON.stringify(patch);
    // The same change sent again after a lost answer keeps its key: the
    // server answers it with the first answer if the first was applied.
    if (!this.pending || this.pending.body !== body) this.pending = { body, key: newIdempotencyKey() };
    const headers = { 'Idempotency-Key': this.pending.key };
    if (this.version !== null) headers['If-Match'] = `"${this.version}"`;
    try {
      const answer = await api(`/v1/clusters/${encodeURIComponent(this.clusterId)}`, { method: 'PATCH', body: patch, headers });
      this.pending = null;
      this.refused = null;
      this.hideConflict();
      this.current = formValues(answer?.triage);
      this.version = versionOf(answer?.triage);
      this.savedSources = scopeOf(answer?.triage);
      this.offerSources();
      this.scope.show(this.scopeShown(this.current.verdict)); // the hosts as the answer reads them
      const noteField = byId('triage-note');
      if (patch.note && noteField.value.trim() === patch.note) noteField.value = '';
      await this.loadAudit();
      // Said last, so that "Saved" means the audit trail shows the change too.
      const outcome = scopeOutcome(answer?.triage, this.scope.sources);
      setText(result, `Saved ${new Date().toISOString().slice(11, 19)}Z.${outcome ? ` ${outcome}` : ''}`);
      this.showSuppressNote();
    } catch (error) {
      if (error.status === 412 && error.code === 'precondition_failed') {
        this.pending = null;
        await this.showConflict(patch, error.details?.[0]?.triage);
      } else if (error.status === 0 || error instanceof TypeError) {
        // No answer: it may or may not have been applied; Save sends it again under the same key.
        setText(result, `Not saved: ${noAnswerText(error)}. Save again to resend the same change; it is not applied twice.`);
      } else {
        this.pending = null;
        setText(result, `Not saved: ${error.message}`);
      }
    } finally {
      this.saving = false;
    }
  }

  /**
   * A 412: someone changed the triage since this page read it.  Show what it
   * is now (and who changed it, when), put it in the form, keep the note, and
   * offer the refused change again.
   */
  async showConflict(patch, triage) {
    let now = triage;
    if (!now) {
      try {
        now = (await api(`/v1/clusters/${encodeURIComponent(this.clusterId)}`)).triage;
      } catch {
        now = null;
      }
    }
    // The scope goes with the verdict: applied again without it, a benign meant for one source covered all.
    this.refused = Object.fromEntries([...FIELDS, 'benign_when_source'].filter((name) => name in patch)
      .map((name) => [name, patch[name]]));
    if (now) {
      this.current = formValues(now);
      this.version = versionOf(now);
      this.savedSources = scopeOf(now);
      this.offerSources();
      this.fillForm(this.current);
    }
    const by = now?.updated_by ? ` by ${now.updated_by}` : '';
    const at = now?.updated_at ? ` at ${fmtTime(now.updated_at)}` : '';
    const change = describe(patch);
    fill(
      this.conflict,
      el('strong', { text: 'Not saved: someone else changed this triage since you loaded it.' }),
      now ? el('p', {
        class: 'triage-now',
        text: `Now: status ${this.current.status} · verdict ${this.current.verdict || 'none'} · assignee ${this.current.assignee || '—'}`
          + ` (changed${by}${at}). The form shows it; your note is kept.`,
      }) : el('p', { text: 'The current triage could not be read: reload the page.' }),
      el('p', { class: 'triage-refused', text: `Your change, not applied: ${change}.` }),
      now ? el('button', { type: 'button', id: 'triage-reapply', text: 'Apply my change again', onclick: () => this.reapply() }) : null,
    );
    this.conflict.hidden = false;
    setText(byId('triage-result'), 'Not saved: changed by someone else (see above).');
    await this.loadAudit();
  }

  hideConflict() {
    fill(this.conflict);
    this.conflict.hidden = true;
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
