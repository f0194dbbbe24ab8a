// A credential finding in the cluster view (task SPRAY): a password spray,
// brute force, rotating claimed workstations or a success after failures on
// one validating host (a DC).  The API's cluster detail carries it as
// `credential` (analytics/credential_words.py): the pattern, the validator,
// the accounts with their attempts, the workstation names the clients claimed
// and the addresses they came from, the outcomes with their meaning, and the
// accounts that succeeded after failing.  A claimed name is whatever the
// client sent (an attacker's tool writes it): text nodes only, and never a
// host.  Null on a fan-out cluster: the section stays hidden.

import { el, fill, fmtNumber, fmtTime } from './dom.js';

const PATTERN_TITLES = {
  likely_compromise: 'Likely compromise',
  password_spray: 'Password spray',
  brute_force: 'Brute force',
  rotating_workstations: 'Rotating claimed workstations',
  ssh_guessing: 'SSH guessing of default names',
};

export function list(rows) {
  return Array.isArray(rows) ? rows.filter((r) => r && typeof r === 'object') : [];
}

/** A compromise row's `privileges` (its session's 4672) as strings; none when absent or not a list. */
function privilegesOf(row) {
  return Array.isArray(row.privileges) ? row.privileges.map(String) : [];
}

function times(n, word, many = `${word}s`) {
  return `${fmtNumber(Number(n))} ${Number(n) === 1 ? word : many}`;
}

/** One labelled list, "and N more" when the record holds fewer rows than its total. */
export function labelled(heading, rows, total, row, cls) {
  if (!rows.length) return null;
  const more = Number(total) - rows.length;
  return el('section', { class: `credential-part ${cls}` },
    el('h4', { text: heading }),
    el('ul', {}, ...rows.map(row)),
    more > 0 ? el('p', { class: 'muted credential-more', text: `and ${fmtNumber(more)} more` }) : null);
}

/**
 * Fill `container` with a cluster's credential finding, or hide it.
 * @param {HTMLElement} container  the cluster view's #cluster-credential
 * @param {*} record  the API cluster's `credential` (null on other clusters)
 */
export function showCredential(container, record) {
  if (!record || typeof record !== 'object' || Array.isArray(record)) {
    fill(container);
    container.hidden = true;
    return;
  }
  const patterns = record.patterns && typeof record.patterns === 'object' ? Object.keys(record.patterns) : [];
  const compromised = list(record.compromised);
  fill(container,
    el('h3', { text: PATTERN_TITLES[record.pattern] ?? String(record.pattern ?? 'Credential finding') }),
    el('p', { class: 'credential-source' },
      'On ', el('span', { class: 'mono credential-validator', text: String(record.validator ?? '') }),
      Number(record.validators_total) > 1 ? el('span', { class: 'muted credential-validators',
        text: ` and ${Number(record.validators_total) - 1} more host${Number(record.validators_total) > 2 ? 's' : ''}: `
          + list(record.validators).slice(1).map(String).join(', ') }) : null,
      ` from ${fmtTime(record.start)} to ${fmtTime(record.end)}`,
      patterns.length > 1 ? el('span', { class: 'muted', text: ` · also ${patterns.filter((p) => p !== record.pattern)
        .map((p) => PATTERN_TITLES[p] ?? p).join(', ').toLowerCase()}` }) : null),
    compromised.length ? el('section', { class: 'credential-part credential-compromised' },
      el('h4', { text: 'Succeeded after failing' }),
      el('ul', {}, ...compromised.map((c) => el('li', {},
        el('span', { class: 'mono credential-account', text: String(c.account ?? '') }),
        el('span', { class: 'muted', text: ` at ${fmtTime(c.at)} after ${times(c.failures_before ?? 0, 'failure')}` }),
        c.workstation ? el('span', { class: 'muted', text: ' · claimed ' }) : null,
        c.workstation ? el('span', { class: 'mono', text: String(c.workstation) }) : null,
        c.source_ip ? el('span', { class: 'muted', text: ` · from ${String(c.source_ip)}` }) : null,
        // the session was an administrator's (its 4672): names as Windows wrote them, text only
        privilegesOf(c).length ? el('span', { class: 'credential-privileges',
          text: ` · given administrator rights: ${privilegesOf(c).join(', ')}` }) : null)))) : null,
    labelled('Outcomes', list(record.outcomes), list(record.outcomes).length, (o) => el('li', {},
      el('span', { class: 'mono outcome-label', text: String(o.label ?? '') }),
      el('span', { class: 'muted outcome-meaning', text: ` (${String(o.meaning ?? '')})` }),
      el('span', { class: 'muted outcome-count', text: ` · ${times(o.count ?? 0, 'attempt')}` })), 'credential-outcomes'),
    labelled('Accounts', list(record.accounts), record.accounts_total, (a) => el('li', { 'data-account': String(a.account ?? '') },
      el('span', { class: 'mono credential-account', text: String(a.account ?? '') }),
      el('span', { class: 'muted', text: ` · ${times(a.failures ?? 0, 'failure')}, ${times(a.successes ?? 0, 'success', 'successes')}` }),
      a.compromised ? el('span', { class: 'badge compromised', text: 'compromised?' }) : null), 'credential-accounts'),
    labelled('Claimed workstations (what the clients wrote: not hosts)', list(record.workstations), record.workstations_total,
      (w) => el('li', {}, el('span', { class: 'mono credential-claim', text: String(w.label ?? '') }),
        el('span', { class: 'muted', text: ` · ${times(w.count ?? 0, 'attempt')}` })), 'credential-workstations'),
    labelled('Source addresses', list(record.source_ips), record.source_ips_total,
      (s) => el('li', {}, el('span', { class: 'mono', text: String(s.label ?? '') }),
        el('span', { class: 'muted', text: ` · ${times(s.count ?? 0, 'attempt')}` })), 'credential-addresses'),
    // what a benign verdict on this case covers (analytics/credential_verdicts.py): the finding, not the host
    el('p', { class: 'muted credential-verdict-scope', text: 'A benign verdict covers this finding only: its patterns, '
      + 'accounts, claimed workstations, addresses and successes. Anything new on '
      + `${String(record.validator ?? 'this host')} (another source, other accounts, a success) is shown again.` }));
  container.hidden = false;
}
