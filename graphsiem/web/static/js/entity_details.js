// The selection panel's account of one entity: its properties as the API holds
// them (GET /v1/entities/{type}/{key}), the long texts an analyst reads in full
// (a stager's decoded command, a script's text) and its fleet prevalence.
// Every value is attacker data: text nodes only (dom.js).

import { api, entityPath } from './api.js';
import { el, fill, fmtNumber, fmtTime } from './dom.js';
import { hostCases } from './host_cases.js';
import { hostTimeline } from './host_timeline.js';

/** Properties read as a block of text under their own heading, in full, lines kept. */
const TEXT_BLOCKS = new Map([['decoded_command', 'Decoded command'], ['text', 'Script text']]);

/** Properties listed as rows (the text blocks come on top of them). */
const PROPS_SHOWN = 12;

/** A value longer than this scrolls in its own box: a 4 KB base64 command line must not push the panel away. */
const LONG_VALUE = 160;

/**
 * A definition list of [term, value] rows, values as monospace text.
 * @param {Array<[string, ?string]>} rows
 * @returns {HTMLElement}
 */
export function definitionList(rows) {
  return el('dl', { class: 'kv' }, rows.map(([k, v]) => [
    el('dt', { text: k }),
    el('dd', { class: String(v ?? '').length > LONG_VALUE ? 'mono long-value' : 'mono', text: v ?? '' }),
  ]));
}

/**
 * The nodes that show an entity's properties: the rows, then each text block
 * (decoded command, script text) in full in a scrolling, wrapping box.
 * @param {Object} props  the entity's properties
 * @returns {HTMLElement[]}
 */
export function propertyNodes(props) {
  const entries = Object.entries(props || {});
  const rows = entries
    .filter(([k, v]) => !(TEXT_BLOCKS.has(k) && typeof v === 'string' && v))
    .slice(0, PROPS_SHOWN)
    .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
  const blocks = entries
    .filter(([k, v]) => TEXT_BLOCKS.has(k) && typeof v === 'string' && v)
    .flatMap(([k, v]) => [
      el('h4', { text: TEXT_BLOCKS.get(k) }),
      // `lines`: a decoded script keeps its line breaks; steering characters still show as codes.
      el('pre', { class: 'long-text', dataset: { prop: k }, text: v, lines: true }),
    ]);
  return [rows.length ? definitionList(rows) : null, ...blocks].filter((n) => n !== null);
}

/** A hex digest (MD5, SHA-1, SHA-256): a file keyed and shown by it has no name the graph was told. */
const DIGEST = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;

/**
 * What the graph knows of a file it holds by its digest only (a network
 * sensor hashed it; no path or name came with it): its type, where it came
 * from (its SERVED_BY URL, domain or address), the name its URL ends in, or
 * "name unknown" (review U1 #11: a cluster read "3 hosts first got file
 * 513e4f2a…83ed" and the panel said nothing more).  Null for other files.
 * @param {Object} info  the entity answer
 * @returns {Promise<?HTMLElement>}
 */
async function digestOnlyFile(info) {
  const props = info.props || {};
  if (info.type !== 'file' || props.name || props.path || !DIGEST.test(String(info.value ?? ''))) return null;
  let graph = { nodes: [], edges: [] };
  try {
    graph = (await api(`${entityPath('file', info.key)}/neighbors`, { params: { depth: 1, limit: 50 } })).graph ?? graph;
  } catch {
    // the type and "name unknown" still stand
  }
  const nodesById = new Map((graph.nodes || []).map((node) => [node.id, node]));
  const origins = (graph.edges || [])
    .filter((edge) => edge.type === 'SERVED_BY' && nodesById.has(edge.target))
    .map((edge) => nodesById.get(edge.target));
  const urlNames = origins.filter((node) => node.type === 'url').map((node) => {
    try {
      return decodeURIComponent(new URL(String(node.value)).pathname.split('/').pop() || '');
    } catch {
      return '';
    }
  }).filter(Boolean);
  const rows = [
    ['name', urlNames.length ? `unknown (its URL ends in ${[...new Set(urlNames)].join(', ')})` : 'unknown: the graph holds this file by its digest only'],
    ['type', props.mime_type ? String(props.mime_type) : 'unknown'],
    ...origins.map((node) => [`came from (${node.type})`, String(node.value ?? node.key)]),
  ];
  return el('section', { class: 'digest-only-file' }, el('h4', { text: 'What the graph knows of this file' }), definitionList(rows));
}

/** "1 host", "3 hosts". */
function counted(count, noun) {
  return `${fmtNumber(count)} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * "2 hosts: ws-1, ws-2", "12 hosts: ws-01, …, ws-10, …": a count and the names the API gave with
 * it (at most 10, sorted), "…" when it says more exist.
 * @param {number} count
 * @param {string} noun
 * @param {*} names  the API's list (absent from an older answer: the count alone)
 * @param {boolean} more  the API's `*_truncated`
 */
function countedAndNamed(count, noun, names, more) {
  const listed = Array.isArray(names) ? names.map(String) : [];
  return counted(count, noun) + (listed.length ? `: ${listed.join(', ')}${more ? ', …' : ''}` : '');
}

/**
 * The Prevalence heading and rows of an entity answer.  A user's `hosts` are
 * the hosts whose own events named it, beside the machines it logged on to or
 * was validated at (`logon_targets`, the first named: `logon_target_names`); a
 * file an antivirus detected gives the hosts that detected it (`detected_on`,
 * the first named: `detected_on_hosts`), a host the files it detected
 * (`detected_files`): a detection is no sighting, so without these a file known
 * only from detections read "hosts 0" (task PAGE2).  The names come with the
 * answer: no second request (task PAGE3 #1).
 * @param {Object} info  the entity answer
 * @param {string} type  the entity's type
 * @returns {HTMLElement[]}
 */
function prevalenceNodes(info, type = info.type) {
  const prevalence = info.prevalence ?? info;
  const hosts = prevalence.hosts ?? prevalence.host_count;
  const isUser = type === 'user';
  // A host's own "fleet hosts" is 1, itself: it counted nothing (review U5B #4), so a host has no such row.
  const rows = type === 'host' ? []
    : [[isUser ? 'hosts that logged it' : 'fleet hosts', Array.isArray(hosts) ? String(hosts.length) : fmtNumber(hosts)]];
  if (isUser && Number.isFinite(prevalence.logon_targets)) {
    rows.push(['logged on to / validated at', countedAndNamed(prevalence.logon_targets, 'machine',
      prevalence.logon_target_names, prevalence.logon_target_names_truncated)]);
  }
  if (Number.isFinite(prevalence.detected_on)) {
    rows.push(['detected by antivirus on', countedAndNamed(prevalence.detected_on, 'host',
      prevalence.detected_on_hosts, prevalence.detected_on_hosts_truncated)]);
  }
  if (Number.isFinite(prevalence.detected_files)) {
    rows.push(['antivirus detected', counted(prevalence.detected_files, 'file')]);
  }
  if (Number.isFinite(prevalence.alerts)) {
    // An IDS alert is no sighting: an address only a sensor saw is "fleet hosts 0" and these alerts.
    rows.push(['IDS alerts', `${counted(prevalence.alerts, 'alert')} with ${countedAndNamed(prevalence.alert_peers,
      'peer', prevalence.alert_peer_names, prevalence.alert_peer_names_truncated)}`]);
  }
  rows.push(['first seen', fmtTime(prevalence.first_seen ?? info.first_seen)]);
  rows.push(['last seen', fmtTime(prevalence.last_seen ?? info.last_seen)]);
  return [el('h4', { text: 'Prevalence' }), definitionList(rows)];
}

/**
 * Read an entity from the API and fill its boxes while `current()` says it is
 * still the one shown.  Each box is filled, never appended to: a selection
 * shown twice (an entity added, then expanded) shows one Prevalence.  A
 * host's box also gets its Timeline (host_timeline.js).
 * @param {string} type
 * @param {string} key
 * @param {{props?: ?HTMLElement, shown?: Object, prevalence: HTMLElement, anchor?: ?Object}} boxes
 *   `props` gets the properties the API holds when they differ from `shown`,
 *   those drawn from the graph (a node added from a search hit had none);
 *   `anchor` ({since, until}) opens a host's Timeline at that span (a cluster's)
 * @param {function(): boolean} current
 */
export async function loadEntityDetails(type, key, { props = null, shown = {}, prevalence, anchor = null }, current) {
  let info;
  try {
    info = await api(entityPath(type, key));
  } catch {
    return; // the details drawn from the graph stand without it
  }
  if (!current()) return;
  // Refilled only when they differ: a scrolled decoded command keeps its place.
  if (props && info.props && JSON.stringify(info.props) !== JSON.stringify(shown ?? {})) {
    fill(props, propertyNodes(info.props));
  }
  // A host's cases and Timeline go in the same box: refilled, never appended to.
  const host = type === 'host' ? String(info.key ?? key) : null;
  fill(prevalence, prevalenceNodes(info, info.type ?? type), host ? [hostCases(host), hostTimeline(host, anchor)] : null);
  const known = await digestOnlyFile({ ...info, type: info.type ?? type, key: info.key ?? key });
  if (known && current()) prevalence.prepend(known);
}
