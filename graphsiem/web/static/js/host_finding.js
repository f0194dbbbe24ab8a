// A host finding in the cluster view (task HOSTF): the single-host rules one
// host's events hit in the window (an LSASS read, a renamed tool, a cleared
// log, encoded PowerShell from a script host, a LOLBin download...), which no
// fan-out cluster can show.  The API's cluster detail carries it as
// `host_finding` (analytics/host_finding_words.py): the rules with their risk
// and ATT&CK ids, each hit (when, the event, the image, the command line and
// what matched) and the hits a fan-out cluster carries.  Command lines and
// image names are attacker text: text nodes only.  Null on other clusters:
// the section stays hidden.

import { labelled, list } from './credential_finding.js';
import { el, fill, fmtNumber, fmtTime } from './dom.js';

/**
 * Fill `container` with a cluster's host finding, or hide it.
 * @param {HTMLElement} container  the cluster view's #cluster-host-finding
 * @param {*} record  the API cluster's `host_finding` (null on other clusters)
 */
export function showHostFinding(container, record) {
  if (!container) return;
  if (!record || typeof record !== 'object' || Array.isArray(record)) {
    fill(container);
    container.hidden = true;
    return;
  }
  const rules = list(record.rules);
  const carried = Number(record.carried_hits ?? 0);
  // one act on several hosts (analytics/host_finding_groups.py): the hosts listed, each hit says its host
  const hosts = Array.isArray(record.hosts) ? record.hosts.filter((h) => typeof h === 'string') : [];
  const several = hosts.length > 1;
  // hosts no earlier benign verdict judged (analytics/host_finding_words.py, HOSTF3 #3): a judged act spreading
  // to them is why the group shows again, so each is marked where it is listed
  const fresh = new Set(Array.isArray(record.new_hosts) ? record.new_hosts.filter((h) => typeof h === 'string') : []);
  fill(container,
    el('h3', { text: several ? `Host finding on ${fmtNumber(hosts.length)} hosts` : `Host finding on ${String(record.host ?? '')}` }),
    el('p', { class: 'muted host-finding-span', text: `from ${fmtTime(record.start)} to ${fmtTime(record.end)}` }),
    several && fresh.size > 0 ? el('p', { class: 'host-finding-new-hosts', text: `${fmtNumber(fresh.size)} of these `
      + `${fmtNumber(hosts.length)} hosts ${fresh.size === 1 ? 'was' : 'were'} not judged before, marked new.` }) : null,
    several ? labelled('Hosts', hosts, hosts.length, (h) => el('li', { class: 'mono', 'data-host': h, 'data-new': fresh.has(h) },
      fresh.has(h) ? el('span', { class: 'badge host-finding-new', text: 'new' }) : null,
      el('span', { class: 'host-finding-host', text: h })), 'host-finding-hosts') : null,
    labelled('Rules', rules, rules.length, (r) => el('li', { 'data-rule': String(r.rule ?? '') },
      el('span', { class: 'host-finding-rule', text: String(r.title ?? r.rule ?? '') }),
      el('span', { class: 'muted', text: ` · risk ${fmtNumber(Number(r.risk ?? 0))} · ${fmtNumber(Number(r.hits ?? 0))} `
        + `hit${Number(r.hits) === 1 ? '' : 's'} · ` }),
      el('span', { class: 'mono host-finding-attack', text: (Array.isArray(r.attack) ? r.attack : []).map(String).join(', ') })),
    'host-finding-rules'),
    labelled('Hits', list(record.hits), record.hits_total, (h) => el('li', { 'data-event-id': String(h.event_id ?? '') },
      el('span', { class: 'muted', text: `${fmtTime(h.at)} · ${several && h.host ? `${String(h.host)} · ` : ''}` }),
      el('span', { class: 'host-finding-matched', text: String(h.matched ?? '') }),
      h.command_line ? el('div', { class: 'mono host-finding-command', text: String(h.command_line) }) : null,
      h.image && !h.command_line ? el('div', { class: 'mono host-finding-image', text: String(h.image) }) : null),
    'host-finding-hits'),
    carried > 0 ? el('p', { class: 'muted host-finding-carried', text: `${fmtNumber(carried)} more hit`
      + `${carried === 1 ? ' is' : 's are'} in the fan-out cluster of the process that made them.` }) : null,
    // what a benign verdict covers (analytics/host_finding_words.py): these hits' rules and subjects
    el('p', { class: 'muted host-finding-verdict-scope', text: `A benign verdict covers these rules for these `
      + `processes on ${several ? 'these hosts' : 'this host'}: another rule, process or command line, or a new `
      + 'cleared log, shows again.' }));
  container.hidden = false;
}
