// The cases a host is in, under its Prevalence: an analyst who pivots to a host
// (a search hit, a node, a Timeline link) had no way back from it to the queue's
// clusters that hold it or name it (review U5 #3: ws-0147, one of the seed
// campaign's 54 hosts, showed its events and neighbours and no case).  Read from
// the queue's own search (GET /v1/clusters?q=<host>, inactive and triaged cases
// included); each is a link to its cluster.  Summaries are attacker text: text only.

import { api } from './api.js';
import { el, fill, shorten } from './dom.js';
import { normaliseCluster } from './model.js';
import { sourcesText } from './verdict_scope.js';

/** Cases listed at most (the queue's text box finds the rest). */
const CASES_SHOWN = 10;

/**
 * "investigating, malicious" of a case's triage ("benign from it-0003" when held for a source);
 * "" while it is open and unjudged.
 * @param {{status: string, verdict: string}} c  a normalised cluster
 */
function triageWords(c) {
  const verdict = c.verdict === 'benign' && c.benign_sources.length ? `benign from ${sourcesText(c.benign_sources)}` : c.verdict;
  return [c.status !== 'open' ? c.status : '', verdict].filter(Boolean).join(', ');
}

/**
 * One case as a row: its risk and summary as a link to it, then how it holds the host.
 * @param {Object} c  a normalised cluster
 * @param {string} host  the host, as the queue's hosts spell it (compared without case)
 */
function caseRow(c, host) {
  const onHost = c.hosts.some((h) => String(h).toLowerCase() === host.toLowerCase());
  const notes = [
    onHost ? '' : 'names it, not one of its hosts',
    triageWords(c),
    c.active ? '' : 'no longer detected',
  ].filter(Boolean).join(' · ');
  return el('li', { dataset: { clusterId: c.id } },
    el('a', { href: `#/clusters/${encodeURIComponent(c.id)}`, title: c.summary, text: `${c.score.toFixed(1)} · ${shorten(c.summary, 90)}`, made: true }),
    notes ? el('span', { class: 'muted', text: ` (${notes})` }) : null);
}

/**
 * A box listing the queue's cases that hold or name `host`, filled when the queue answers.
 * @param {string} host
 * @returns {HTMLElement}
 */
export function hostCases(host) {
  const list = el('ul', { class: 'host-cases-list' });
  const status = el('p', { class: 'muted', text: 'reading the queue…' });
  const box = el('section', { class: 'host-cases', 'aria-label': 'Cases with this host' }, el('h4', { text: 'Cases' }), status, list);
  fillCases(host, status, list);
  return box;
}

async function fillCases(host, status, list) {
  let answer;
  try {
    answer = await api('/v1/clusters', { params: { q: host, include_inactive: 'true', limit: CASES_SHOWN } });
  } catch (error) {
    status.textContent = `the queue could not be read: ${error.message}`;
    return;
  }
  const cases = (answer?.items ?? []).map(normaliseCluster);
  const total = Number.isFinite(answer?.total) ? answer.total : cases.length;
  status.textContent = !cases.length ? 'in no case of the queue'
    : total > cases.length ? `${total} cases name it; the ${cases.length} of highest risk:`
      : `${total} case${total === 1 ? '' : 's'} name${total === 1 ? 's' : ''} it:`;
  fill(list, cases.map((c) => caseRow(c, host)));
}
