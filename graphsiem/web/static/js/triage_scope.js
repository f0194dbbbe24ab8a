// The source hosts a benign verdict on a lateral-movement cluster holds for, chosen in the
// triage form ("Benign only when the source is": `benign_when_source`).
//
// The form offered one host or "any source" in a select: a verdict held for it-0005 and
// it-0007 showed as it-0005 alone, could not be narrowed to one of them nor set to two
// chosen hosts, and the analyst had to use the API.  Each of the cluster's named sources is
// now a checkbox (the hosts it holds for, ticked), beside the wide "any source (every
// host)"; what is sent is the list the API takes (the exact set) or null (any source).
// Host names are attacker-reachable text: set as text only (dom.js).

import { el, fill } from './dom.js';

/** Whether `a` and `b` name the same hosts (order aside). */
function sameHosts(a, b) {
  const wanted = new Set(a);
  return wanted.size === new Set(b).size && b.every((host) => wanted.has(host));
}

/**
 * The `benign_when_source` to send for the scope chosen, or undefined for none.
 *
 * @param {?string[]} chosen  the hosts ticked (sorted), or null for any source
 * @param {string[]} held  the hosts the saved benign verdict holds for ([] for any source or none saved)
 * @param {boolean} savedBenign  whether the saved verdict is benign
 * @returns {(string[]|null|undefined)}  the exact hosts (a new verdict, or a saved one narrowed, moved
 *   or widened from any source to some), null to widen a saved verdict held for some hosts to any
 *   source, undefined when nothing changes (the same hosts; any source on a new verdict, its default)
 */
export function scopeToSend(chosen, held, savedBenign) {
  if (chosen === null) return savedBenign && held.length ? null : undefined;
  if (savedBenign && held.length && sameHosts(chosen, held)) return undefined;
  return [...chosen];
}

/** The chosen scope of a `benign_when_source` sent before: its hosts, or null for any source. */
export function chosenFrom(sent) {
  if (Array.isArray(sent)) return sent.length ? sent.map(String) : null;
  return typeof sent === 'string' ? [sent] : null;
}

/** The hosts a triage's benign verdict holds for (`benign_when_source`), [] for any source. */
export function scopeOf(triage) {
  return Array.isArray(triage?.benign_when_source) ? triage.benign_when_source.map(String) : [];
}

/**
 * What a saved triage's verdict holds for, read back from the API's answer ('' when it is not a
 * benign verdict on a cluster with named sources): said after Save, so the analyst sees what the
 * service recorded, not what the form asked for.
 */
export function scopeOutcome(triage, sources) {
  if (triage?.verdict !== 'benign' || !sources.length) return '';
  const held = scopeOf(triage);
  return held.length ? `Benign now holds only when the log-ons come from ${held.join(', ')}.`
    : 'Benign now holds for any source (every host).';
}

/** The fieldset: a checkbox per named source and the wide "any source (every host)". */
export class SourceScope {
  /** @param {function(): void} onChange  called when the analyst changes the scope */
  constructor(onChange) {
    this.sources = [];
    this.offered = null; // what the boxes offer now (setSources)
    this.onChange = onChange;
    const radio = (id, value) => el('input', {
      type: 'radio', name: 'triage-source-mode', id, value, onchange: () => this.modeChanged(),
    });
    this.namedRadio = radio('triage-source-named', 'named');
    this.anyRadio = radio('triage-source-any', 'any');
    this.hostList = el('div', {
      id: 'triage-source-hosts', class: 'triage-source-hosts', role: 'group', 'aria-labelledby': 'triage-source-named-text',
    });
    this.node = el('fieldset', { id: 'triage-source', class: 'triage-source', hidden: true },
      el('legend', { text: 'Benign only when the source is' }),
      el('label', {}, this.namedRadio, el('span', { id: 'triage-source-named-text', text: 'one of these source hosts' })),
      this.hostList,
      el('label', {}, this.anyRadio, 'any source (every host)'));
  }

  get hidden() {
    return this.node.hidden;
  }

  set hidden(value) {
    this.node.hidden = value;
  }

  /**
   * Offer the cluster's named sources and the hosts its saved benign verdict holds for, one checkbox
   * each (a new box unticked).  A held host a later detection no longer names is offered too, said so: left
   * out, it could be neither kept nor seen, and any save sent the named hosts alone (review R26).
   * @param {string[]} named  the hosts the cluster's log-ons name
   * @param {string[]} held  the hosts the saved benign verdict holds for ([] for any source or none)
   */
  setSources(named, held = []) {
    const sources = [...new Set([...named, ...held])].sort();
    const offered = JSON.stringify([sources, sources.map((host) => named.includes(host))]);
    if (offered === this.offered) return; // the same boxes: kept, with their focus
    this.offered = offered;
    this.sources = sources;
    fill(this.hostList, this.sources.map((host) => el('label', { class: 'triage-source-host' },
      el('input', { type: 'checkbox', value: host, onchange: () => this.onChange() }), host,
      named.includes(host) ? null : el('span', { class: 'muted', text: ' (held by the verdict; not named by these log-ons)' }))));
  }

  /** The host checkboxes. */
  boxes() {
    return [...this.hostList.querySelectorAll('input[type=checkbox]')];
  }

  /** Show `chosen`: the hosts to tick, or null for any source (the host ticks then wait, disabled). */
  show(chosen) {
    const ticked = new Set(chosen ?? []);
    for (const box of this.boxes()) box.checked = ticked.has(box.value);
    this.namedRadio.checked = chosen !== null;
    this.anyRadio.checked = chosen === null;
    this.modeChanged(false);
  }

  /** The hosts ticked (sorted; [] when none is), or null when any source is chosen. */
  chosen() {
    if (this.anyRadio.checked) return null;
    return this.boxes().filter((box) => box.checked).map((box) => box.value).sort();
  }

  /** Hosts are chosen only while "one of these source hosts" is: disabled under "any source". */
  modeChanged(notify = true) {
    for (const box of this.boxes()) box.disabled = this.anyRadio.checked;
    if (notify) this.onChange();
  }
}
