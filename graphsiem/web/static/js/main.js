// Entry point: sign-in, routing (#/ queue, #/clusters/<id>, #/clusters/<id>/as-was,
// #/explore/<type>/<key>[/<type>/<key>…]) and search.  An exploration's
// address names the entities it started from (picked in the search), so a
// reload or a shared link opens them again.  #/clusters/<id> of a case continued under another id
// leads to the live case; /as-was shows the old id itself (lineage.js).
// #/backtests/<run id> lists a backtest's clusters read-only and
// #/backtests/<run id>/clusters/<id> opens one as it was detected (backtest.js).

import { api, auth, ApiError, entityPath } from './api.js';
import { BacktestView, wireBacktestForm } from './backtest.js';
import { ClusterView } from './cluster.js';
import { byId, el, fill, setText, shorten } from './dom.js';
import { entityLabel, shownType } from './entity_label.js';
import { Queue } from './queue.js';
import { hiddenMatch } from './search_snippet.js';

let queue;
let clusterView;
let backtestView;
const SEARCH_LIMIT = 20;

function showOnly(section) {
  for (const id of ['signin', 'queue', 'backtest', 'cluster']) byId(id).hidden = id !== section;
  const signedIn = section !== 'signin';
  byId('search-form').hidden = !signedIn;
  byId('sign-out').hidden = !signedIn;
}

async function route() {
  if (!auth.get()) {
    // Signed out (or the key was refused): no data stays in the page.
    queue.reset();
    clusterView.graph.destroy();
    byId('search-results').hidden = true;
    showOnly('signin');
    document.body.dataset.state = 'signed-out';
    byId('signin-key').focus();
    return;
  }
  const hash = window.location.hash;
  const match = hash.match(/^#\/clusters\/([^/]+)(\/as-was)?$/);
  const backtest = hash.match(/^#\/backtests\/([^/]+)(?:\/clusters\/([^/]+))?$/);
  if (backtest) {
    queue.stop();
    await openBacktest(decodeURIComponent(backtest[1]), backtest[2] === undefined ? null : decodeURIComponent(backtest[2]));
  } else if (match) {
    queue.stop();
    showOnly('cluster');
    try {
      await clusterView.open(decodeURIComponent(match[1]), { follow: !match[2] });
    } catch (error) {
      showClusterError(error);
    }
  } else if (hash.startsWith('#/explore')) {
    queue.stop();
    showOnly('cluster');
    await restoreExploration(exploredIn(hash));
  } else {
    showOnly('queue');
    queue.start();
    document.body.dataset.state = 'queue';
  }
}

/** The cluster view when its cluster could not be read. */
function showClusterError(error) {
  document.body.dataset.state = 'cluster-error';
  byId('cluster-title').textContent = 'Cluster unavailable';
  byId('cluster-lineage').hidden = true;
  byId('members-panel').hidden = true;
  setText(byId('cluster-summary'), error.message);
}

/** A backtest's list, or one of its clusters as it was detected (no triage). */
async function openBacktest(detectionId, clusterId) {
  if (clusterId === null) {
    showOnly('backtest');
    await backtestView.open(detectionId);
    return;
  }
  showOnly('cluster');
  try {
    const { raw, now } = await backtestView.cluster(detectionId, clusterId);
    await clusterView.openSnapshot(raw, { detectionId, now });
  } catch (error) {
    showClusterError(error);
  }
}

/** The [type, key] pairs an exploration address names (see the top of this file). */
function exploredIn(hash) {
  const parts = hash.slice('#/explore'.length).split('/').filter(Boolean);
  const pairs = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    try {
      pairs.push([decodeURIComponent(parts[i]), decodeURIComponent(parts[i + 1])]);
    } catch {
      // A damaged part of a hand-edited address: the other entities still open.
    }
  }
  return pairs;
}

function explorationHref(pairs) {
  return `#/explore${pairs.map(([type, key]) => `/${encodeURIComponent(type)}/${encodeURIComponent(key)}`).join('')}`;
}

/**
 * An entity as the API holds it ({type, key, value, props}): a search hit
 * carries none of its properties (no decoded command, image or hashes).
 * @throws {ApiError} when the API does not know it
 */
async function readEntity(type, key) {
  const info = await api(entityPath(type, key));
  return { type: info.type, key: info.key, value: info.value, props: info.props ?? {} };
}

/** Open the exploration of `pairs` again: each entity read back from the API, then expanded. */
async function restoreExploration(pairs) {
  await clusterView.explore(null, { fresh: true });
  const missing = [];
  for (const [type, key] of pairs) {
    try {
      await clusterView.addEntity(await readEntity(type, key));
    } catch {
      missing.push(`${type} ${key}`);
    }
  }
  if (missing.length) clusterView.status(`not found any more: ${missing.join(', ')}`);
  document.body.dataset.state = 'explore-ready';
}

async function signIn(event) {
  event.preventDefault();
  const key = byId('signin-key').value.trim();
  const error = byId('signin-error');
  error.textContent = '';
  try {
    // A cheap analyst-only call proves the key and its role before keeping it.
    await api('/v1/clusters', { params: { limit: 1 }, key });
    auth.set(key);
    byId('signin-key').value = '';
    await route();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) error.textContent = 'This key is not valid (unknown or revoked).';
    else if (e instanceof ApiError && e.status === 403) error.textContent = 'This key does not have the analyst role.';
    else setText(error, `Sign-in failed: ${e.message}`);
  }
}

function signOut() {
  auth.clear();
  window.location.hash = '#/';
  route();
}

/** `matched` values that name what the query was whole, not the text it was found in. */
const WHOLE_MATCHES = new Set(['sha256', 'sha1', 'md5', 'imphash', 'account']);

/** How a row names the property its snippet comes from, when not by its field name. */
const MATCH_LABELS = new Map([['original_file_name', 'PE original name']]);

/** "on ws1, ws2 (+3 more) · first seen …" of a hit the API gave its sightings. */
function seenText(hit) {
  const hosts = hit.seen_on.map(String);
  const more = Number(hit.seen_hosts) > hosts.length ? ` (+${Number(hit.seen_hosts) - hosts.length} more)` : '';
  const where = hosts.length ? `on ${hosts.join(', ')}${more}` : 'on no host';
  return hit.first_seen ? `${where} · first seen ${hit.first_seen}` : where;
}

async function search(event) {
  event.preventDefault();
  const q = byId('search-input').value.trim();
  const list = byId('search-results');
  if (!q) {
    list.hidden = true;
    return;
  }
  try {
    const answer = await api('/v1/entities', { params: { q, limit: SEARCH_LIMIT } });
    const items = Array.isArray(answer) ? answer : answer.entities ?? answer.items ?? answer.results ?? [];
    // The API lists an exact match first; past the limit it says `truncated`.
    const more = answer.truncated
      ? el('li', { class: 'search-truncated muted', role: 'status', text: `Only the first ${items.length} matches are listed: refine the search to see the others.` })
      : null;
    fill(list, more, items.length
      ? items.map((entity) => el(
        'li',
        {},
        el('button', {
          type: 'button',
          title: String(entity.value ?? ''),
          onclick: () => pick(entity),
        }, el('span', { class: `type type-${entity.type}`, text: shownType(entity) }), ` ${shorten(entityLabel(entity), 90)}`,
        // Hits inside a decoded command or a script's text: the value alone
        // would not show why they matched.  Attacker text, so a text node.
        // A renamed binary (svcupd.exe) says what it was built as: "PE original name: PowerShell.EXE".
        entity.snippet ? el('span', { class: 'match', text: `${MATCH_LABELS.get(entity.matched) ?? entity.matched}: ${entity.snippet}` }) : null,
        // Found in the value past what the label shows: where (search_snippet.js).
        entity.snippet || WHOLE_MATCHES.has(entity.matched) ? null
          : textMatch(hiddenMatch(entity, q, shorten(entityLabel(entity), 90))),
        // A digest or another spelling of an account: say which, the row shows neither.
        WHOLE_MATCHES.has(entity.matched) ? el('span', { class: 'match', text: `matched its ${entity.matched}` }) : null,
        // Two hits of one type and value (two processes of one image): where
        // and since when each was seen tells them apart.
        Array.isArray(entity.seen_on) ? el('span', { class: 'match', text: seenText(entity) }) : null),
      ))
      : [el('li', { class: 'muted', text: 'No entity matches.' })]);
    list.hidden = false;
  } catch (error) {
    fill(list, el('li', { class: 'error', text: `Search failed: ${error.message}` }));
    list.hidden = false;
  }
}

/** A search row's "value: …" line, or null. */
function textMatch(text) {
  return text ? el('span', { class: 'match', text }) : null;
}

/** Fields of a search hit that describe the search (what matched, where it was seen), not the entity. */
const SEARCH_ONLY = ['matched', 'snippet', 'seen_on', 'seen_hosts', 'first_seen', 'addresses'];

async function pick(hit) {
  byId('search-results').hidden = true;
  const type = String(hit.type);
  const key = String(hit.key);
  let entity;
  try {
    entity = await readEntity(type, key);
  } catch {
    if (!auth.get()) return; // the key was refused: the page went back to the sign-in
    // Gone since the search, or the API is down: the hit's own fields, none of the search's.
    entity = { type, key, value: String(hit.value ?? key), props: Object.fromEntries(
      Object.entries(hit).filter(([k]) => !SEARCH_ONLY.includes(k) && !['type', 'key', 'value'].includes(k))) };
  }
  const pair = [String(entity.type), String(entity.key)];
  if (byId('cluster').hidden) {
    // Start an exploration; the hash change must not reload the view.
    window.history.pushState(null, '', explorationHref([pair]));
    queue.stop();
    showOnly('cluster');
    await clusterView.explore(entity, { fresh: true });
  } else {
    if (window.location.hash.startsWith('#/explore')) {
      // The address keeps every entity picked into this exploration.
      const pairs = exploredIn(window.location.hash);
      if (!pairs.some(([t, k]) => t === pair[0] && k === pair[1])) pairs.push(pair);
      window.history.replaceState(null, '', explorationHref(pairs));
    }
    await clusterView.addEntity(entity);
  }
}

function start() {
  queue = new Queue({ onOpen: (id) => { window.location.hash = `#/clusters/${encodeURIComponent(id)}`; } });
  clusterView = new ClusterView();
  backtestView = new BacktestView();
  wireBacktestForm();
  byId('signin-form').addEventListener('submit', signIn);
  byId('sign-out').addEventListener('click', signOut);
  byId('search-form').addEventListener('submit', search);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') byId('search-results').hidden = true;
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('graphsiem:signed-out', route);
  // A Timeline row's user, process or file (host_timeline.js): opened as a search result is,
  // in the view shown, so the cluster being read stays.
  window.addEventListener('graphsiem:open-entity', (event) => pick(event.detail));
  // Tests and the browser benchmark read these to know what the page is doing.
  window.graphsiem = { queue, clusterView, backtestView };
  route();
}

start();
