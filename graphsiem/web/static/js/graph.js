// The Cytoscape.js graph of a cluster or an exploration: styling per entity
// type, the host aggregate, pin / hide / undo / re-layout.
//
// Labels are drawn on a canvas by Cytoscape, so attacker-controlled values
// are pixels, never markup.

import cytoscape from '../vendor/cytoscape.esm.min.js';
import { AGGREGATE_ID, aggregateHosts } from './aggregate.js';
import { shorten } from './dom.js';

const TYPE_STYLE = {
  host: { shape: 'round-rectangle', color: '#4e79a7' },
  user: { shape: 'ellipse', color: '#f28e2b' },
  process: { shape: 'hexagon', color: '#e15759' },
  script: { shape: 'diamond', color: '#b07aa1' },
  file: { shape: 'rectangle', color: '#59a14f' },
  domain: { shape: 'triangle', color: '#d4a017' },
  ip: { shape: 'pentagon', color: '#76b7b2' },
  url: { shape: 'tag', color: '#ff9da7' },
  aggregate: { shape: 'round-octagon', color: '#9c755f' },
};

function stylesheet() {
  const rules = [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        'font-size': 10,
        'text-valign': 'bottom',
        'text-margin-y': 3,
        'text-wrap': 'ellipsis',
        'text-max-width': 160,
        width: 26,
        height: 26,
        'background-color': '#888',
        'border-width': 1,
        'border-color': '#333',
        // Labels too small to read are not drawn: with a thousand hosts on
        // screen, text is most of the rendering cost.
        'min-zoomed-font-size': 7,
      },
    },
    {
      selector: 'edge',
      style: {
        width: 'mapData(weight, 1, 10, 1, 5)',
        'curve-style': 'bezier',
        'target-arrow-shape': 'triangle',
        'line-color': '#aaa',
        'target-arrow-color': '#aaa',
        label: 'data(label)',
        'font-size': 8,
        color: '#555',
        'text-rotation': 'autorotate',
        'min-zoomed-font-size': 7,
      },
    },
    // Thousands of edges: straight, unlabelled, no arrows (far cheaper to draw).
    { selector: 'node.dense', style: { label: '' } },
    { selector: 'node.expanded', style: { 'border-style': 'dashed', 'border-width': 4 } },
    { selector: 'edge.dense', style: { 'curve-style': 'haystack', 'haystack-radius': 0, label: '', 'target-arrow-shape': 'none', width: 1 } },
    { selector: 'node:selected', style: { 'border-width': 4, 'border-color': '#111' } },
    { selector: 'edge:selected', style: { 'line-color': '#111', 'target-arrow-color': '#111', width: 4 } },
    { selector: 'node.pinned', style: { 'border-style': 'double', 'border-width': 5, 'border-color': '#c00' } },
    { selector: 'node[type = "aggregate"]', style: { width: 54, height: 54, 'font-size': 13, 'font-weight': 'bold' } },
  ];
  for (const [type, { shape, color }] of Object.entries(TYPE_STYLE)) {
    rules.push({ selector: `node[type = "${type}"]`, style: { shape, 'background-color': color } });
  }
  return rules;
}

function nodeElement(node) {
  const label = node.type === 'aggregate' ? node.value : shorten(node.value, 40);
  return { group: 'nodes', data: { id: node.id, type: node.type, key: node.key, value: node.value, label, props: node.props || {} } };
}

function edgeElement(edge) {
  const label = edge.aggregate ? `${edge.type} ×${edge.hosts}` : edge.count > 1 ? `${edge.type} ×${edge.count}` : edge.type;
  return {
    group: 'edges',
    data: {
      id: edge.id,
      source: edge.source,
      target: edge.target,
      type: edge.type,
      count: edge.count,
      weight: Math.min(10, Math.max(1, Math.log2(1 + edge.count))),
      first_seen: edge.first_seen,
      last_seen: edge.last_seen,
      evidence: edge.evidence,
      aggregate: Boolean(edge.aggregate),
      hosts: edge.hosts ?? null,
      label,
    },
  };
}

// Past this many host edges the expanded view draws them the cheap way.
const DENSE_EDGES = 1000;
// Past this many hosts, expanding lists them in the host table only: a ring
// of thousands of nodes costs seconds to draw and tells the analyst nothing
// the table does not.
export const HOSTS_DRAWN_MAX = 300;

export class GraphView {
  /**
   * @param {HTMLElement} container
   * @param {{onSelect: Function, onHistory: Function, onHosts: Function}} hooks
   */
  constructor(container, hooks) {
    this.container = container;
    this.hooks = hooks;
    this.cy = null;
    this.history = [];
    this.hostGroup = null; // {hosts, hostEdges, aggregateNode, aggregateEdges, expanded}
  }

  /** Draw a normalised graph, hosts aggregated; resolves after the first layout. */
  load(graph, { aggregate = true } = {}) {
    this.destroy();
    const view = aggregate ? aggregateHosts(graph) : { ...graph, aggregated: false };
    this.hostGroup = view.aggregated
      ? { hosts: view.hosts, hostEdges: view.hostEdges, expanded: false }
      : null;
    // Start on a circle: force-directed layouts cannot separate nodes that
    // all start at the same point.
    const radius = 40 * Math.sqrt(view.nodes.length + 1);
    const elements = [
      ...view.nodes.map((n, i) => ({
        ...nodeElement(n),
        position: { x: radius * Math.cos((2 * Math.PI * i) / view.nodes.length), y: radius * Math.sin((2 * Math.PI * i) / view.nodes.length) },
      })),
      ...view.edges.map(edgeElement),
    ];
    this.cy = cytoscape({
      container: this.container,
      elements,
      style: stylesheet(),
      layout: { name: 'preset' },
      minZoom: 0.05,
      maxZoom: 4,
      textureOnViewport: elements.length > 2000,
      hideEdgesOnViewport: elements.length > 4000,
    });
    // The browser benchmark reads this mark: the first frame with the graph.
    this.cy.one('render', () => performance.mark('graph-first-render'));
    this.cy.on('tap', 'node, edge', (evt) => this.hooks.onSelect?.(evt.target));
    this.cy.on('tap', (evt) => {
      if (evt.target === this.cy) this.hooks.onSelect?.(null);
    });
    this.history = [];
    this.hooks.onHistory?.(0);
    return this.relayout();
  }

  destroy() {
    if (this.cy) this.cy.destroy();
    this.cy = null;
  }

  /** Run a layout over unpinned nodes; resolves when it stops. */
  relayout() {
    const cy = this.cy;
    if (!cy) return Promise.resolve();
    const n = cy.nodes().length;
    // cose reads well up to a few hundred nodes; past that it costs seconds,
    // and concentric by degree still puts the shared entities in the middle.
    const options = n <= 250
      ? { name: 'cose', animate: false, randomize: false, nodeDimensionsIncludeLabels: true, nodeRepulsion: () => 400000, nodeOverlap: 40, idealEdgeLength: () => 120, gravity: 0.5, numIter: 1000, fit: true, padding: 30 }
      : { name: 'concentric', animate: false, concentric: (node) => node.degree(), levelWidth: () => 2, minNodeSpacing: 8, fit: true, padding: 30 };
    const layout = cy.elements().not('node.pinned').layout(options);
    const done = new Promise((resolve) => layout.one('layoutstop', () => {
      // A handful of nodes would otherwise be fitted at a giant zoom.
      if (cy.zoom() > 1.3) {
        cy.zoom(1.3);
        cy.center();
      }
      resolve();
    }));
    layout.run();
    return done;
  }

  /**
   * Fit the view to the nodes.  Cytoscape's own fit measures every label and
   * edge (seconds with thousands of elements); node positions are enough.
   */
  fit(padding = 30) {
    const cy = this.cy;
    if (!cy || cy.nodes().empty()) return;
    const box = cy.nodes().boundingBox({ includeLabels: false, includeOverlays: false, includeEdges: false });
    const width = cy.width();
    const height = cy.height();
    const zoom = Math.min(1.3, Math.max(cy.minZoom(), Math.min((width - 2 * padding) / Math.max(box.w, 1), (height - 2 * padding) / Math.max(box.h, 1))));
    cy.viewport({
      zoom,
      pan: { x: (width - zoom * (box.x1 + box.x2)) / 2, y: (height - zoom * (box.y1 + box.y2)) / 2 },
    });
  }

  selected() {
    return this.cy ? this.cy.$(':selected') : null;
  }

  /** Record how to undo an action. */
  push(description, undo) {
    this.history.push({ description, undo });
    this.hooks.onHistory?.(this.history.length, description);
  }

  undo() {
    const last = this.history.pop();
    if (last) last.undo();
    this.hooks.onHistory?.(this.history.length);
    return last?.description ?? null;
  }

  pinToggle(nodes) {
    const targets = nodes.filter('node');
    if (targets.empty()) return 0;
    const wasPinned = targets.map((n) => n.hasClass('pinned'));
    targets.forEach((n) => {
      if (n.hasClass('pinned')) n.removeClass('pinned').unlock();
      else n.addClass('pinned').lock();
    });
    this.push('pin', () => targets.forEach((n, i) => {
      if (wasPinned[i]) n.addClass('pinned').lock();
      else n.removeClass('pinned').unlock();
    }));
    return targets.length;
  }

  hide(elements) {
    if (!elements || elements.empty()) return 0;
    const removed = elements.union(elements.connectedEdges()).remove();
    this.push('hide', () => {
      removed.restore();
    });
    return removed.nodes().length + removed.edges().length;
  }

  /** Add nodes and edges not yet drawn; returns how many were new. */
  addGraph(graph, near = null) {
    const cy = this.cy;
    const newNodes = graph.nodes.filter((n) => cy.getElementById(n.id).empty());
    const nodeIds = new Set(newNodes.map((n) => n.id));
    const present = (id) => nodeIds.has(id) || !cy.getElementById(id).empty();
    const newEdges = graph.edges.filter((e) => cy.getElementById(e.id).empty() && present(e.source) && present(e.target));
    if (!newNodes.length && !newEdges.length) return 0;
    const center = near?.position?.() ?? { x: 0, y: 0 };
    const added = cy.add([
      ...newNodes.map((n, i) => ({
        ...nodeElement(n),
        position: { x: center.x + 120 * Math.cos((2 * Math.PI * i) / newNodes.length), y: center.y + 120 * Math.sin((2 * Math.PI * i) / newNodes.length) },
      })),
      ...newEdges.map(edgeElement),
    ]);
    this.push('expand', () => added.remove());
    return added.length;
  }

  /** Swap the host aggregate for the individual hosts, or back. */
  toggleHosts({ record = true } = {}) {
    const group = this.hostGroup;
    const cy = this.cy;
    if (!group || !cy) return false;
    const drawn = group.hosts.length <= HOSTS_DRAWN_MAX;
    cy.batch(() => {
      if (!drawn) {
        // Too many to draw usefully: the host table is the expanded view.
        group.expanded = !group.expanded;
        cy.getElementById(AGGREGATE_ID).toggleClass('expanded', group.expanded);
      } else if (!group.expanded) {
        const aggregate = cy.getElementById(AGGREGATE_ID);
        const at = aggregate.nonempty() ? aggregate.position() : { x: 0, y: 0 };
        group.removed = aggregate.union(aggregate.connectedEdges()).remove();
        const ring = Math.max(80, group.hosts.length * 3);
        const hostElements = group.hosts.map((h, i) => ({
          ...nodeElement(h),
          position: { x: at.x + ring * Math.cos((2 * Math.PI * i) / group.hosts.length), y: at.y + ring * Math.sin((2 * Math.PI * i) / group.hosts.length) },
        }));
        const ids = new Set(cy.nodes().map((n) => n.id()));
        group.hosts.forEach((h) => ids.add(h.id));
        const edges = group.hostEdges.filter((e) => ids.has(e.source) && ids.has(e.target)).map(edgeElement);
        if (edges.length > DENSE_EDGES) {
          edges.forEach((e) => { e.classes = 'dense'; });
          hostElements.forEach((n) => { n.classes = 'dense'; });
        }
        group.added = cy.add([...hostElements, ...edges]);
        group.expanded = true;
      } else {
        group.added.remove();
        group.removed.restore();
        group.expanded = false;
      }
    });
    if (drawn) this.fit();
    if (record) this.push(group.expanded ? 'expand hosts' : 'collapse hosts', () => this.toggleHosts({ record: false }));
    this.hooks.onHosts?.(group.expanded, group);
    return group.expanded;
  }

  /** Entities drawn now: (type, key) pairs, the aggregate standing for its hosts. */
  visibleEntities() {
    const out = [];
    if (!this.cy) return out;
    this.cy.nodes().forEach((n) => {
      if (n.id() === AGGREGATE_ID && this.hostGroup) {
        this.hostGroup.hosts.forEach((h) => out.push({ type: h.type, key: h.key, value: h.value }));
      } else {
        out.push({ type: n.data('type'), key: n.data('key'), value: n.data('value') });
      }
    });
    return out;
  }
}
