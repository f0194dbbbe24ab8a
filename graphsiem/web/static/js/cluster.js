// The cluster view (and the exploration view, which is the same page without
// a cluster): graph, selection details, evidence, explanation, triage, copy.

import { api, entityPath } from './api.js';
import { checksOf, showChecks } from './checks.js';
import { asCypher, asPython } from './copy.js';
import { hostRows } from './aggregate.js';
import { byId, el, fill, fmtNumber, fmtTime, setText, shorten } from './dom.js';
import { clearEvidence, showEvidence } from './evidence.js';
import { GraphView, HOSTS_DRAWN_MAX } from './graph.js';
import { clusterHref, fetchCase, showLineage } from './lineage.js';
import { showMembers } from './members.js';
import { normaliseCluster, normaliseEvents, normaliseGraph, normaliseNeighbors, normaliseNode, uidOf } from './model.js';
import { Triage } from './triage.js';

/**
 * One row of "Why it scored high": the feature in words (the API's
 * `description`), its name as a small code label for whoever reads the
 * scorer, then value, fleet baseline and contribution.  API text is data:
 * text nodes only.
 */
function featureRow(feature) {
  const contribution = Number(feature.contribution ?? 0);
  const meter = el('meter', { min: '0', max: '1', value: String(Math.min(1, Math.abs(contribution))) });
  const name = String(feature.name ?? feature.label ?? '');
  const description = String(feature.description ?? '').trim();
  const label = description
    ? el('td', { class: 'feature' }, el('span', { class: 'feature-text', text: description }), ' ',
      el('code', { class: 'feature-name', title: 'feature name', text: name }))
    : el('td', { class: 'feature' }, el('code', { class: 'feature-name', text: name }));
  return el(
    'tr',
    { dataset: { feature: name } },
    label,
    el('td', { class: 'num', text: fmtNumber(feature.value) }),
    el('td', { class: 'num', text: fmtNumber(feature.baseline) }),
    el('td', { class: 'num' }, meter, ` ${fmtNumber(contribution)}`),
  );
}

// Events fetched per click: enough to read, bounded so a 1,000-host edge
// does not turn into 1,000 journal reads.
const EVIDENCE_FETCH_MAX = 200;
const EVIDENCE_BATCH = 100;

export class ClusterView {
  constructor() {
    this.cluster = null;
    this.events = new Map();
    this.graph = new GraphView(byId('graph'), {
      onSelect: (target) => this.select(target),
      onExpand: (node) => this.expand(node),
      onHistory: (depth, what) => {
        byId('tool-undo').disabled = depth === 0;
        if (what) this.status(`${what} · ${depth} step${depth === 1 ? '' : 's'} to undo`);
      },
      onHosts: (expanded, group) => this.showHosts(expanded, group),
    });
    this.triage = new Triage();
    this.wireToolbar();
  }

  status(text) {
    setText(byId('tool-status'), text);
  }

  wireToolbar() {
    byId('tool-hosts').addEventListener('click', () => this.graph.toggleHosts());
    byId('tool-expand').addEventListener('click', () => this.expandSelected());
    byId('tool-pin').addEventListener('click', () => {
      const n = this.graph.pinToggle(this.graph.selected() ?? null);
      this.status(n ? `pinned/unpinned ${n} node(s)` : 'select a node to pin');
    });
    byId('tool-hide').addEventListener('click', () => {
      const n = this.graph.hide(this.graph.selected());
      this.status(n ? `hid ${n} element(s)` : 'select something to hide');
    });
    byId('tool-undo').addEventListener('click', () => {
      const what = this.graph.undo();
      this.status(what ? `undid ${what}` : 'nothing to undo');
    });
    byId('tool-layout').addEventListener('click', () => this.graph.relayout());
    byId('tool-fit').addEventListener('click', () => this.graph.fit());
    byId('copy-cypher').addEventListener('click', () => this.copy(asCypher(this.graph.visibleEntities(), { clusterId: this.cluster?.id }).text));
    byId('copy-python').addEventListener('click', () => this.copy(asPython(this.graph.visibleEntities(), { clusterId: this.cluster?.id }).text));
  }

  async copy(text) {
    byId('copy-panel').hidden = false;
    byId('copy-output').value = text;
    try {
      await navigator.clipboard.writeText(text);
      this.status('copied to the clipboard');
    } catch {
      // Clipboard access can be refused (permissions, no focus); the text
      // stays in the panel for a manual copy.
      byId('copy-output').select();
      this.status('clipboard unavailable: the text is selected in the panel');
    }
  }

  /**
   * Open cluster `id`; resolves when the page is interactive.
   * @param {string} id
   * @param {{follow?: boolean}} options  by default an id a later detection
   *   continues under another pivot leads to the live case (the address
   *   becomes its id); `follow: false` shows the old id as it was.
   */
  async open(id, { follow = true } = {}) {
    performance.clearMarks();
    performance.mark('cluster-open');
    document.body.dataset.state = 'cluster-loading';
    const detail = await fetchCase(id, { follow });
    performance.mark('cluster-fetched');
    const raw = detail.cluster ?? detail;
    const cluster = normaliseCluster(raw);
    this.cluster = cluster;
    // replaceState: no hashchange (no second load), and Back skips the old id.
    if (cluster.id !== id) window.history.replaceState(null, '', clusterHref(cluster.id));
    showLineage(byId('cluster-lineage'), cluster, cluster.id !== id ? id : null);
    showMembers(cluster.members, (member) => this.showMember(member));
    this.events = normaliseEvents(detail);
    byId('cluster-title').textContent = `Risk ${cluster.score.toFixed(1)} · ${cluster.host_count} hosts`;
    setText(byId('cluster-summary'), cluster.summary);
    fill(
      byId('cluster-meta'),
      cluster.active ? null : el('span', { class: 'badge inactive', title: 'the last detection did not produce this cluster', text: 'no longer detected' }),
      `cluster ${cluster.id} · first seen ${fmtTime(cluster.first_seen)} · last seen ${fmtTime(cluster.last_seen)}`,
    );
    fill(byId('explanation-table').tBodies[0], cluster.features.map(featureRow));
    showChecks(byId('explanation-table'), checksOf(raw));
    byId('explanation-table').closest('details').hidden = false;
    this.resetPanels();
    const graph = normaliseGraph(detail);
    await this.graph.load(graph);
    performance.mark('graph-laid-out');
    byId('tool-hosts').hidden = !this.graph.hostGroup;
    byId('tool-hosts').textContent = 'Expand hosts';
    this.triage.show(cluster);
    document.body.dataset.state = 'cluster-ready';
    await new Promise((resolve) => requestAnimationFrame(() => resolve()));
    performance.mark('cluster-interactive');
  }

  /** An exploration without a cluster, starting from one entity. */
  async explore(entity) {
    if (this.cluster !== null || !this.graph.cy) {
      this.cluster = null;
      this.events = new Map();
      byId('cluster-title').textContent = 'Exploration';
      byId('cluster-summary').textContent = 'Search entities and expand their neighbours.';
      byId('cluster-meta').textContent = '';
      showLineage(byId('cluster-lineage'), null);
      showMembers([], null);
      byId('explanation-table').closest('details').hidden = true;
      this.triage.show(null);
      this.resetPanels();
      await this.graph.load({ nodes: [], edges: [] }, { aggregate: false });
      byId('tool-hosts').hidden = true;
    }
    if (entity) await this.addEntity(entity);
    document.body.dataset.state = 'explore-ready';
  }

  resetPanels() {
    byId('hosts-panel').hidden = true;
    byId('copy-panel').hidden = true;
    clearEvidence();
    fill(byId('selection'), el('p', { class: 'muted', text: 'Click a node or an edge to see its details and the events behind it.' }));
  }

  /** Add one entity (from search) to the graph, with its neighbours. */
  async addEntity(entity) {
    const node = normaliseNode(entity);
    const added = this.graph.addGraph({ nodes: [node], edges: [] });
    const element = this.graph.cy.getElementById(node.id);
    element.select();
    this.select(element);
    this.status(added ? `added ${node.type} ${shorten(node.value, 120)}` : `${node.type} already shown`);
    await this.expand(element);
  }

  /** Select a member of the member list in the graph (or the aggregate standing for it). */
  showMember(member) {
    const cy = this.graph.cy;
    if (!cy) return;
    const id = uidOf(member.type, member.key);
    let node = cy.getElementById(id);
    if (node.empty()) {
      const owner = [...this.graph.aggregates.values()].find((agg) => agg.members.some((m) => m.id === id));
      node = owner ? cy.getElementById(owner.id) : node;
    }
    if (node.empty()) {
      this.status(`${member.type} ${shorten(member.value, 120)} is not drawn (hidden, or not in the store)`);
      return;
    }
    cy.elements().unselect();
    node.select();
    cy.center(node);
    this.select(node);
  }

  async expandSelected() {
    const nodes = this.graph.selected()?.filter('node');
    if (!nodes || nodes.empty()) {
      this.status('select a node to expand');
      return;
    }
    await this.expand(nodes[0]);
  }

  async expand(node) {
    if (node.data('type') === 'aggregate') {
      this.graph.toggleAggregate(node.id());
      return;
    }
    const limit = Math.max(1, Math.min(500, Number(byId('tool-limit').value) || 25));
    const type = byId('tool-types').value;
    try {
      const answer = await api(`${entityPath(node.data('type'), node.data('key'))}/neighbors`, {
        params: { depth: 1, limit, types: type || null },
      });
      const graph = normaliseNeighbors(answer, node.id());
      const added = this.graph.addGraph(graph, node);
      this.mergeEvents(answer);
      if (added) await this.graph.relayout();
      this.status(added ? `expanded ${shorten(node.data('value'), 120)}: ${added} new element(s)` : 'no new neighbours');
      // The panels describe the selection: its relations and evidence just grew.
      if (added && node.selected() && node.inside()) this.select(node);
    } catch (error) {
      this.status(`could not expand: ${error.message}`);
    }
  }

  mergeEvents(answer) {
    for (const [id, event] of normaliseEvents(answer || {})) this.events.set(id, event);
  }

  showHosts(expanded, group) {
    byId('tool-hosts').textContent = expanded ? 'Collapse hosts' : 'Expand hosts';
    byId('hosts-panel').hidden = !expanded;
    if (!expanded) return;
    const rows = hostRows(group.hosts, group.hostEdges);
    byId('hosts-title').textContent = rows.length > HOSTS_DRAWN_MAX
      ? `Hosts (${rows.length}; drawn one by one up to ${HOSTS_DRAWN_MAX})`
      : `Hosts (${rows.length})`;
    fill(byId('hosts-table').tBodies[0], rows.map((r) => el(
      'tr',
      { dataset: { host: r.name } },
      el('td', { class: 'mono', text: r.name }),
      el('td', { class: 'num', text: String(r.relations) }),
      el('td', { class: 'num', text: String(r.events) }),
      el('td', { text: fmtTime(r.first_seen) }),
      el('td', { text: fmtTime(r.last_seen) }),
    )));
  }

  select(target) {
    const panel = byId('selection');
    if (!target) {
      return;
    }
    const data = target.data();
    if (target.isNode()) {
      const edges = target.connectedEdges();
      const ids = edges.map((e) => e.data('evidence') || []).flat();
      const rows = [
        ['type', data.type],
        ['value', data.value],
        ['key', data.key],
        ['relations shown', String(edges.length)],
        ...Object.entries(data.props || {}).slice(0, 12).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
      ];
      fill(panel, this.definitionList(rows), data.type === 'aggregate'
        ? el('button', { type: 'button', text: `Expand ${data.value}`, onclick: () => this.graph.toggleAggregate(target.id()) })
        : el('button', { type: 'button', text: 'Expand neighbours', onclick: () => this.expand(target) }));
      this.evidenceFor(`${data.type} ${data.value}`, ids);
      if (data.type !== 'aggregate') this.loadPrevalence(target, panel);
    } else {
      const source = target.source().data('value');
      const dest = target.target().data('value');
      const rows = [
        ['relation', data.type],
        ['from', source],
        ['to', dest],
        ['count', String(data.count)],
        ['first seen', fmtTime(data.first_seen)],
        ['last seen', fmtTime(data.last_seen)],
      ];
      if (data.aggregate) rows.push(['hosts', String(data.hosts)]);
      fill(panel, this.definitionList(rows));
      this.evidenceFor(`${source} ${data.type} ${dest}`, data.evidence || []);
    }
  }

  /** Show the evidence of a click now, then again once missing events are fetched. */
  async evidenceFor(caption, ids) {
    const token = (this.evidenceToken = (this.evidenceToken ?? 0) + 1);
    document.body.dataset.evidence = 'loading';
    showEvidence(caption, ids, this.events);
    const missing = [...new Set(ids)].filter((id) => !this.events.has(id)).slice(0, EVIDENCE_FETCH_MAX);
    for (let i = 0; i < missing.length; i += EVIDENCE_BATCH) {
      try {
        const answer = await api('/v1/evidence', { params: { ids: missing.slice(i, i + EVIDENCE_BATCH) } });
        for (const event of answer.items || []) this.events.set(String(event.id), event);
      } catch {
        break; // the ids stay listed; the table says they were not loaded
      }
    }
    if (token !== this.evidenceToken) return;
    if (missing.length) showEvidence(caption, ids, this.events);
    document.body.dataset.evidence = 'ready';
  }

  definitionList(rows) {
    return el('dl', { class: 'kv' }, rows.map(([k, v]) => [el('dt', { text: k }), el('dd', { class: 'mono', text: v ?? '' })]));
  }

  async loadPrevalence(node, panel) {
    try {
      const info = await api(entityPath(node.data('type'), node.data('key')));
      if (this.graph.selected()?.id?.() !== node.id() && !node.selected()) return;
      const prevalence = info.prevalence ?? info;
      const hosts = prevalence.hosts ?? prevalence.host_count;
      const rows = [
        ['fleet hosts', Array.isArray(hosts) ? String(hosts.length) : fmtNumber(hosts)],
        ['first seen', fmtTime(prevalence.first_seen ?? info.first_seen)],
        ['last seen', fmtTime(prevalence.last_seen ?? info.last_seen)],
      ];
      panel.append(el('h4', { text: 'Prevalence' }), this.definitionList(rows));
    } catch {
      // Prevalence is a bonus; the selection details stand without it.
    }
  }
}
