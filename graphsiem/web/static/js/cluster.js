// The cluster view (and the exploration view, which is the same page without
// a cluster): graph, selection details, evidence, explanation, triage, copy.
// A backtest's cluster opens here too, as it was detected and without triage
// (openSnapshot).

import { signatureList } from './alert_signatures.js';
import { api, entityPath } from './api.js';
import { exportCase, serviceStore } from './case_export.js';
import { checksOf, showChecks } from './checks.js';
import { asCypher, asPython } from './copy.js';
import { byId, el, fill, fmtTime, setText, shorten } from './dom.js';
import { definitionList, loadEntityDetails, propertyNodes } from './entity_details.js';
import { shownType } from './entity_label.js';
import { showAntivirus } from './antivirus_finding.js';
import { showCredential } from './credential_finding.js';
import { showHostFinding } from './host_finding.js';
import { clearEvidence, showEvidence } from './evidence.js';
import { edgeEvidenceOptions } from './evidence_span.js';
import { hostsOfEvents } from './evidence_hosts.js';
import { showFeatures } from './features.js';
import { showFoldedHit } from './folded_hit.js';
import { GraphView } from './graph.js';
import { showHostTable } from './hosts_panel.js';
import { clusterHref, fetchCase, showLineage } from './lineage.js';
import { showMembers } from './members.js';
import { normaliseAudit, normaliseCluster, normaliseEvents, normaliseGraph, normaliseNeighbors, normaliseNode, uidOf, withMappedHosts } from './model.js';
import { relationButtons } from './relations.js';
import { reopenedFrom, reopenedNode } from './reopened.js';
import { Triage } from './triage.js';
import { tallyLists } from './validation_tallies.js';

// Events fetched per click (and per "load more"): enough to read, bounded so
// a 1,000-host edge does not turn into 1,000 journal reads at once.
const EVIDENCE_FETCH_MAX = 200;
const EVIDENCE_BATCH = 100;

/**
 * The panels a cluster's record fills, as the live cluster and a backtest's
 * show them alike: its features, checks, credential, antivirus and host
 * finding records, and the explanation opened.
 * @param {Object} cluster  the normalised cluster
 * @param {Object} raw  the API's cluster answer
 */
function showPanels(cluster, raw) {
  showFeatures(cluster.features, cluster.score);
  showChecks(checksOf(raw));
  showCredential(byId('cluster-credential'), raw.credential);
  showAntivirus(byId('cluster-antivirus'), raw.antivirus);
  showHostFinding(byId('cluster-host-finding'), raw.host_finding);
  byId('explanation-table').closest('details').hidden = false;
}

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
    byId('copy-python').addEventListener('click', async () => {
      const store = await serviceStore();
      await this.copy(asPython(this.graph.visibleEntities(), { clusterId: this.cluster?.id, store }).text);
    });
    byId('export-case').addEventListener('click', async () => {
      if (!this.cluster) return;
      try {
        const size = await exportCase(this.cluster.id);
        this.status(`case ${this.cluster.id} exported (${Math.ceil(size / 1024)} KB of JSON)`);
      } catch (error) {
        this.status(`could not export the case: ${error.message}`);
      }
    });
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
    await this.showReopened(cluster);
    const graph = normaliseGraph(detail);
    const drawnNodes = new Map(graph.nodes.map((n) => [n.id, n]));
    showMembers(cluster.members, (member) => this.showMember(member), (member) => drawnNodes.get(uidOf(member.type, member.key)));
    this.events = normaliseEvents(detail);
    byId('cluster-title').textContent = `Risk ${cluster.score.toFixed(1)} · ${cluster.host_count} hosts`;
    setText(byId('cluster-summary'), cluster.summary, { made: true });
    fill(
      byId('cluster-meta'),
      cluster.active ? null : el('span', { class: 'badge inactive', title: 'the last detection did not produce this cluster', text: 'no longer detected' }),
      // first and last sighting of any member: the checks' first-contact times are the pivot's (review U5B #1)
      `cluster ${cluster.id} · first seen (any member) ${fmtTime(cluster.first_seen)} · last seen ${fmtTime(cluster.last_seen)}`,
    );
    showPanels(cluster, raw);
    byId('export-case').hidden = false;
    this.resetPanels();
    await this.graph.load(graph);
    performance.mark('graph-laid-out');
    byId('tool-hosts').hidden = !this.graph.hostGroup;
    byId('tool-hosts').textContent = 'Expand hosts';
    this.triage.show(cluster, raw.triage, raw.lateral_sources);
    serviceStore(); // asked now, so "Copy as Python" answers at once
    document.body.dataset.state = 'cluster-ready';
    await new Promise((resolve) => requestAnimationFrame(() => resolve()));
    performance.mark('cluster-interactive');
  }

  /**
   * Say above the graph when the case was reopened: its benign verdict (or
   * closed status) not carried onto entities nobody judged (reopened.js).
   */
  async showReopened(cluster) {
    const banner = byId('cluster-reopened');
    let info = null;
    if (cluster?.previous_ids.length) {
      try {
        const audit = normaliseAudit(await api(`/v1/clusters/${encodeURIComponent(cluster.id)}/audit`));
        info = reopenedFrom(audit, cluster.members);
      } catch {
        info = null; // the lineage banner still says the case continues
      }
    }
    fill(banner, info ? reopenedNode(info) : null);
    banner.hidden = !info;
  }

  /**
   * A backtest's cluster as that run detected it (the stored dict of
   * GET /v1/detections/{id}/clusters): read-only, no triage, no case export.
   * A backtest keeps no subgraph: the members are drawn, and each can be
   * expanded to its neighbours as the store holds them today.
   * @param {Object} raw  the stored cluster
   * @param {{detectionId: string, now: string}} backtest
   */
  async openSnapshot(raw, { detectionId, now }) {
    document.body.dataset.state = 'cluster-loading';
    const cluster = normaliseCluster(raw);
    this.cluster = null; // nothing here may be triaged or exported under this id
    this.events = new Map();
    showLineage(byId('cluster-lineage'), null);
    fill(byId('cluster-reopened'));
    byId('cluster-reopened').hidden = true;
    byId('cluster-title').textContent = `Backtest at ${fmtTime(now)} · Risk ${cluster.score.toFixed(1)} · ${cluster.host_count} hosts`;
    setText(byId('cluster-summary'), cluster.summary, { made: true });
    fill(
      byId('cluster-meta'),
      el('span', { class: 'badge backtest', text: 'backtest, read-only' }),
      `cluster ${cluster.id} as backtest ${detectionId} detected it · first seen ${fmtTime(cluster.first_seen)} · last seen ${fmtTime(cluster.last_seen)} · `,
      el('a', { href: `#/backtests/${encodeURIComponent(detectionId)}`, text: 'back to the backtest' }),
    );
    const nodes = [...cluster.members, ...(cluster.pivot && !cluster.members.some((m) => m.type === cluster.pivot.type && m.key === cluster.pivot.key) ? [{ ...cluster.pivot, value: cluster.pivot.value ?? cluster.pivot.key }] : [])]
      .map((m) => normaliseNode({ type: m.type, key: m.key, value: m.value }));
    showMembers(cluster.members, (member) => this.showMember(member), (member) => nodes.find((n) => n.id === uidOf(member.type, member.key)));
    showPanels(cluster, raw);
    byId('export-case').hidden = true;
    this.triage.show(null);
    this.resetPanels();
    await this.graph.load({ nodes, edges: [] }, { aggregate: false });
    byId('tool-hosts').hidden = true;
    this.status('a backtest keeps no graph: its members are drawn; expand one to see its neighbours today');
    document.body.dataset.state = 'backtest-cluster-ready';
  }

  /**
   * An exploration without a cluster, starting from one entity.
   * @param {?Object} entity  an entity ({type, key, value}) to add, or null
   * @param {{fresh?: boolean}} options  `fresh`: start from an empty graph
   *   even if an exploration is shown (a new address)
   */
  async explore(entity, { fresh = false } = {}) {
    if (fresh || this.cluster !== null || !this.graph.cy) {
      this.cluster = null;
      this.events = new Map();
      byId('cluster-title').textContent = 'Exploration';
      byId('cluster-summary').textContent = 'Search entities and expand their neighbours.';
      byId('cluster-meta').textContent = '';
      showLineage(byId('cluster-lineage'), null);
      fill(byId('cluster-reopened'));
      byId('cluster-reopened').hidden = true;
      showMembers([], null);
      showChecks([]);
      showCredential(byId('cluster-credential'), null);
      showAntivirus(byId('cluster-antivirus'), null);
      showHostFinding(byId('cluster-host-finding'), null);
      byId('export-case').hidden = true;
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
    if (showFoldedHit(this, node.id)) return; // a member folded into an aggregate (a cluster's host)
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
      const { nodes, edges } = this.graph.lastAdded;
      this.status(added ? `expanded ${shorten(node.data('value'), 120)}: ${nodes} new node(s), ${edges} new relation(s); ${node.connectedEdges().length} relation(s) shown at it` : 'no new neighbours');
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
    showHostTable(group, this.memberIds(), (row) => this.showHost(row));
  }

  /** Node ids of the cluster's members and pivot (a host's first contact is with one of them). */
  memberIds() {
    const cluster = this.cluster;
    const members = cluster ? [...cluster.members, ...(cluster.pivot ? [cluster.pivot] : [])] : [];
    return new Set(members.map((m) => uidOf(m.type, m.key)));
  }

  /**
   * A host of the host table: its node selected and centred with its details
   * and evidence; a host not drawn (more than HOSTS_DRAWN_MAX) gets the same
   * panels from the edges the aggregate holds.
   */
  showHost(row) {
    const cy = this.graph.cy;
    const node = cy?.getElementById(row.id);
    if (node && !node.empty()) {
      cy.elements().unselect();
      node.select();
      // Close enough to read the host and its neighbours' names.
      if (cy.zoom() < 1) cy.zoom(1);
      cy.center(node);
      this.select(node);
      return;
    }
    const edges = this.graph.hostGroup?.hostEdges.filter((e) => e.source === row.id || e.target === row.id) ?? [];
    const panel = byId('selection');
    fill(panel, this.definitionList([
      ['type', 'host'],
      ['value', row.name],
      ['relations', String(row.relations)],
      ['events', String(row.events)],
      ['first contact with the cluster', fmtTime(row.first_contact) || '—'],
      ['first seen (any relation)', fmtTime(row.first_seen)],
      ['last seen', fmtTime(row.last_seen)],
    ]), el('p', { class: 'muted', text: 'Not drawn in the graph (too many hosts): the details come from the host table.' }));
    const prevalence = el('div', { class: 'prevalence' });
    panel.append(prevalence);
    // Every edge of the table's row is this host's: its events without a host of their own are its.
    this.evidenceFor(`host ${row.name}`, edges.flatMap((e) => e.evidence),
      new Map(edges.flatMap((e) => e.evidence).map((id) => [id, [row.name]])));
    loadEntityDetails('host', row.key, { prevalence, anchor: this.clusterSpan() }, () => prevalence.isConnected);
    panel.closest('details').scrollIntoView({ block: 'nearest' });
  }

  select(target) {
    const panel = byId('selection');
    if (!target) {
      return;
    }
    // The panel may be below the checks and the triage form: bring it into view.
    panel.closest('details').scrollIntoView({ block: 'nearest' });
    const data = target.data();
    if (target.isNode()) {
      const edges = target.connectedEdges();
      const ids = edges.map((e) => e.data('evidence') || []).flat();
      const rows = [
        ['type', shownType(data)],
        ['value', data.value],
        ['key', data.key],
        ['relations shown', String(edges.length)],
      ];
      // Filled from the graph now and from the API's answer when it comes
      // (a node added from a search hit holds none of the entity's properties).
      const props = el('div', { class: 'entity-props' }, propertyNodes(data.props));
      const prevalence = el('div', { class: 'prevalence' });
      fill(panel, this.definitionList(rows), props, data.type === 'aggregate'
        ? el('button', { type: 'button', text: `Expand ${data.value}`, onclick: () => this.graph.toggleAggregate(target.id()) })
        : el('button', { type: 'button', text: 'Expand neighbours', onclick: () => this.expand(target) }),
      // The edges as buttons: their evidence without a mouse on the canvas.
      relationButtons(target, (edge) => {
        this.graph.cy.elements().unselect();
        edge.select();
        this.select(edge);
      }), prevalence);
      this.evidenceFor(`${data.type} ${data.value}`, ids, hostsOfEvents(edges));
      if (data.type !== 'aggregate') {
        loadEntityDetails(data.type, data.key, { props, shown: data.props, prevalence, anchor: this.clusterSpan() },
          () => prevalence.isConnected && (this.graph.selected()?.id?.() === target.id() || target.selected()));
      }
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
      fill(panel, this.definitionList(rows), signatureList(data.signatures, data.signatures_dropped),
        tallyLists(data.tallies, data.tallies_dropped), el('button', {
        type: 'button',
        class: 'back-to-node',
        text: `Back to ${shorten(source, 40)}`,
        onclick: () => {
          this.graph.cy.elements().unselect();
          target.source().select();
          this.select(target.source());
        },
      }));
      this.evidenceFor(`${source} ${data.type} ${dest}`, data.evidence || [], hostsOfEvents(target),
        edgeEvidenceOptions(target, (host) => this.select(host)));
    }
  }

  /**
   * Show the evidence of a click now, then again once the first missing
   * events are fetched; "load more" fetches the next EVIDENCE_FETCH_MAX.
   */
  async evidenceFor(caption, ids, hostsOf = new Map(), edge = {}) {
    const token = (this.evidenceToken = (this.evidenceToken ?? 0) + 1);
    this.evidenceShown = { caption, ids, token, hostsOf, edge };
    this.unavailable = this.unavailable ?? new Set();
    this.renderEvidence({ loading: true });
    await this.loadMoreEvidence(token);
  }

  /** The shown evidence again; no "load more" while a load is under way. */
  renderEvidence({ loading = false } = {}) {
    const { caption, ids, hostsOf, edge } = this.evidenceShown;
    showEvidence(caption, ids, this.events, {
      ...edge, // an edge's count and span (evidence_span.js)
      unavailable: this.unavailable,
      hostsOf,
      batch: EVIDENCE_FETCH_MAX,
      onMore: loading ? null : () => this.loadMoreEvidence(this.evidenceShown.token),
    });
  }

  /** Fetch the next EVIDENCE_FETCH_MAX events of the shown evidence (by id, /v1/evidence). */
  async loadMoreEvidence(token) {
    document.body.dataset.evidence = 'loading';
    const { ids } = this.evidenceShown;
    const missing = [...new Set(ids)].filter((id) => !this.events.has(id) && !this.unavailable.has(id)).slice(0, EVIDENCE_FETCH_MAX);
    for (let i = 0; i < missing.length; i += EVIDENCE_BATCH) {
      try {
        const answer = await api('/v1/evidence', { params: { ids: missing.slice(i, i + EVIDENCE_BATCH) } });
        for (const event of answer.items || []) this.events.set(String(event.id), withMappedHosts(event, answer.mapped_hosts?.[event.id]));
        // Ids the journal does not hold: not asked for again by "load more".
        for (const id of answer.missing || []) this.unavailable.add(String(id));
      } catch {
        break; // the ids stay listed; the table says they were not loaded
      }
    }
    if (token !== this.evidenceToken) return;
    this.renderEvidence();
    document.body.dataset.evidence = 'ready';
  }

  definitionList(rows) {
    return definitionList(rows);
  }

  /** The shown cluster's span, where a host's Timeline opens ({since, until}); null when exploring. */
  clusterSpan() {
    return this.cluster ? { since: this.cluster.first_seen, until: this.cluster.last_seen } : null;
  }
}
