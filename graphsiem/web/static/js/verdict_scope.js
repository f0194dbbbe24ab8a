// A benign verdict held only for some source hosts (`benign_when_source`: an admin's
// planned WMI or PsExec from it-0003) said wherever the verdict is shown.  A bare
// "benign" in the queue and "any source" in the triage form after a reload read as
// benign from any host, while the same act from another host is still shown
// (review U5 #1).  Host names are attacker-reachable text: set as text only.

import { el } from './dom.js';

/** "it-0003" or "it-0003, it-0005": the hosts a scoped benign verdict holds for. */
export function sourcesText(hosts) {
  return hosts.join(', ');
}

/**
 * The queue's Verdict cell: "benign · from it-0003" for a scoped benign verdict, else the verdict.
 * @param {{verdict: string, benign_sources: string[]}} cluster  a normalised cluster
 */
export function verdictCell(cluster) {
  if (cluster.verdict !== 'benign' || !cluster.benign_sources.length) return el('td', { text: cluster.verdict || '—' });
  const from = sourcesText(cluster.benign_sources);
  return el('td', {
    class: 'verdict-scoped',
    title: `benign only when the log-ons come from ${from}: from any other host the case is shown`,
  }, 'benign', el('span', { class: 'muted', text: ` · from ${from}` }));
}
