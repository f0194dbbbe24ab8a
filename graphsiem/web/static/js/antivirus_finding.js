// An antivirus finding in the cluster view (task AV3): one threat's detections
// that no fan-out cluster carries (adware quarantined on many laptops, a
// trojan Defender failed to remove).  The API's cluster detail carries it as
// `antivirus` (analytics/antivirus_finding_words.py): the threat, its class
// (not remediated / remediated on many hosts / remediated) and why, the
// products, each host's actions and files (those it may still be on first),
// the files, the resources that are no file (a registry key, a process, a
// behaviour, memory: task AVX), and the hosts whose detections a fan-out
// cluster carries.
// Threat names and paths are the vendor's and the file writer's: text nodes
// only.  Null on other clusters: the section stays hidden.

import { labelled, list } from './credential_finding.js';
import { el, fill, fmtNumber, fmtTime } from './dom.js';

const CLASS_TITLES = {
  not_remediated: 'Antivirus: threat not remediated',
  remediated_on_many: 'Antivirus: threat remediated on many hosts',
  remediated: 'Antivirus: threat remediated',
};

function counted(actions) {
  if (!actions || typeof actions !== 'object') return '';
  return Object.entries(actions).map(([label, n]) => `${String(label)} ${fmtNumber(Number(n))}`).join(', ');
}

function texts(values) {
  return Array.isArray(values) ? values.map(String) : [];
}

/**
 * Fill `container` with a cluster's antivirus finding, or hide it.
 * @param {HTMLElement} container  the cluster view's #cluster-antivirus
 * @param {*} record  the API cluster's `antivirus` (null on other clusters)
 */
export function showAntivirus(container, record) {
  if (!container) return;
  if (!record || typeof record !== 'object' || Array.isArray(record)) {
    fill(container);
    container.hidden = true;
    return;
  }
  const products = list(record.products).map((p) => String(p.label ?? '')).filter(Boolean);
  const carried = Array.isArray(record.carried_hosts) ? record.carried_hosts.map(String) : [];
  fill(container,
    el('h3', { text: CLASS_TITLES[record.outcome_class] ?? 'Antivirus finding' }),
    el('p', { class: 'antivirus-threat' },
      el('span', { class: 'mono antivirus-threat-name', text: String(record.threat ?? '') }),
      el('span', { class: 'muted antivirus-reason', text: ` · ${String(record.risk_reason ?? '')}` }),
      el('span', { class: 'muted', text: ` · from ${fmtTime(record.start)} to ${fmtTime(record.end)}` }),
      products.length ? el('span', { class: 'muted antivirus-products', text: ` · by ${products.join(', ')}` }) : null),
    labelled('Hosts', list(record.hosts), record.hosts_total, (h) => el('li', { 'data-host': String(h.host ?? '') },
      el('span', { class: 'mono antivirus-host', text: String(h.host ?? '') }),
      h.remediated ? null : el('span', { class: 'badge compromised', text: 'not remediated' }),
      el('span', { class: 'muted antivirus-actions', text: ` · ${counted(h.actions)}` }),
      el('span', { class: 'muted', text: ' · ' }),
      el('span', { class: 'mono antivirus-host-files', text: [...texts(h.files), ...texts(h.resources)].join(', ') })),
    'antivirus-hosts'),
    labelled('Files', list(record.files), record.files_total, (f) => el('li', {},
      el('span', { class: 'mono antivirus-file', text: String(f.path ?? '') }),
      el('span', { class: 'muted', text: ` · ${fmtNumber(Number(f.hosts ?? 0))} host${Number(f.hosts) === 1 ? '' : 's'}` })),
    'antivirus-files'),
    labelled('Found in no file', list(record.resources), record.resources_total, (r) => el('li', {},
      el('span', { class: 'mono antivirus-resource', text: String(r.words ?? '') }),
      el('span', { class: 'muted', text: ` · ${fmtNumber(Number(r.hosts ?? 0))} host${Number(r.hosts) === 1 ? '' : 's'}` })),
    'antivirus-resources'),
    carried.length ? el('p', { class: 'muted antivirus-carried', text: `Its detections on ${carried.join(', ')}`
      + `${Number(record.carried_hosts_total) > carried.length ? ' and more' : ''} are in the fan-out cluster of the `
      + 'file they ran (its first step and risk floor).' }) : null,
    // what a benign verdict covers (analytics/antivirus_findings.py): this outcome or a better one
    el('p', { class: 'muted antivirus-verdict-scope', text: 'A benign verdict covers this threat while it stays '
      + 'as remediated as now: a host where it is later not removed shows it again.' }));
  container.hidden = false;
}
