// The Cytoscape.js graph of a cluster or an exploration: styling per entity
// type, the host aggregate, pin / hide / undo / re-layout.
//
// Labels are drawn on a canvas by Cytoscape, so attacker-controlled values
// are pixels, never markup.

import cytoscape from '../vendor/cytoscape.esm.min.js';
import { AGGREGATE_ID, collapse, edgesOf, findAggregates } from './aggregate.js';
import { shorten, visibleText } from './dom.js';
import { baseName, digestOf, entityName, mappedHost, shortDigest } from './entity_label.js';
import { legendEntries, showLegend } from './graph_legend.js';

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

/**
 * The graph's stylesheet, labels `nodeFont` / `edgeFont` high in model units
 * (GraphView.scaleLabels raises them as the view zooms out).
 */
function stylesheet({ nodeFont = 10, edgeFont = 8 } = {}) {
  const rules = [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        'font-size': nodeFont,
        'text-valign': 'bottom',
        'text-margin-y': 3,
        'text-wrap': 'ellipsis',
        'text-max-width': 16 * nodeFont,
        width: 26,
        height: 26,
        'background-color': '#888',
        'border-width': 1,
        'border-color': '#333',
        // Labels too small to read are not drawn: with a thousand hosts on
        // screen, text is most of the rendering cost.
        'min-zoomed-font-size': 5,
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
        'font-size': edgeFont,
        color: '#555',
        'text-rotation': 'autorotate',
        'min-zoomed-font-size': 5,
      },
    },
    // Thousands of edges: straight, unlabelled, no arrows (far cheaper to draw).
    { selector: 'node.expanded', style: { 'border-style': 'dashed', 'border-width': 4 } },
    { selector: 'edge.dense', style: { 'curve-style': 'haystack', 'haystack-radius': 0, label: '', 'target-arrow-shape': 'none', width: 1 } },
    { selector: 'node:selected', style: { 'border-width': 4, 'border-color': '#111' } },
    { selector: 'edge:selected', style: { 'line-color': '#111', 'target-arrow-color': '#111', width: 4 } },
    { selector: 'node.pinned', style: { 'border-style': 'double', 'border-width': 5, 'border-color': '#c00' } },
    // Name and short digest fit whole (the default width would cut the digest).
    { selector: 'node[digest]', style: { 'text-max-width': 22 * nodeFont } },
    { selector: 'node[type = "aggregate"]', style: { width: 54, height: 54, 'font-size': 1.3 * nodeFont, 'font-weight': 'bold' } },
  ];
  for (const [type, { shape, color }] of Object.entries(TYPE_STYLE)) {
    rules.push({ selector: `node[type = "${type}"]`, style: { shape, 'background-color': color } });
    // An aggregate wears the colour of what it stands for on its border.
    rules.push({ selector: `node[memberType = "${type}"]`, style: { 'border-color': color, 'border-width': 5 } });
  }
  return rules;
}

/**
 * A node's label.  A file keyed by its digest wears the digest after its
 * name: its value is the same path as the path-keyed node of the same file,
 * and two identical labels would hide that one of them is the hash.
 */
function nodeLabel(node) {
  if (node.type === 'aggregate') return visibleText(node.value);
  const mapped = mappedHost(node);
  if (mapped) return `${shorten(visibleText(node.value), 40)} (${shorten(visibleText(mapped), 40)})`;
  const digest = digestOf(node);
  if (!digest) return shorten(visibleText(node.value), 40);
  const { value } = entityName(node);
  return value ? `${shorten(visibleText(baseName(value)), 24)} · ${shortDigest(digest)}` : shortDigest(digest);
}

function nodeElement(node) {
  // Drawn on a canvas, which applies BiDi too: the label shows the codes, not their effect.
  const label = nodeLabel(node);
  const memberType = node.type === 'aggregate' ? node.props?.member_type ?? '' : '';
  const data = { id: node.id, type: node.type, key: node.key, value: node.value, label, memberType, props: node.props || {} };
  const digest = digestOf(node);
  if (digest) data.digest = digest.digest;
  return { group: 'nodes', data };
}

function edgeElement(edge) {
  const type = visibleText(edge.type);
  const label = edge.aggregate ? `${type} ×${edge.hosts}` : edge.count > 1 ? `${type} ×${edge.count}` : type;
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
      // An IDS alert edge's rules (the selection panel lists them).
      signatures: edge.signatures ?? null,
      signatures_dropped: edge.signatures_dropped ?? null,
      // A credential validation edge's outcomes and claimed workstations.
      tallies: edge.tallies ?? null,
      tallies_dropped: edge.tallies_dropped ?? null,
      label,
    },
  };
}

// Past this many host edges the expanded view draws the edges the cheap way
// (straight, unlabelled).  Host nodes keep their labels: at most
// HOSTS_DRAWN_MAX are drawn, and a host the analyst cannot name cannot be
// followed (review R4, item 6).
const DENSE_EDGES = 300;
// Labels are drawn at least this many screen pixels high however far the view
// is zoomed out (Cytoscape scales them with the zoom: 5-6 px at a fitted
// cluster, review R4 item 7) ...
const NODE_LABEL_MIN_PX = 11;
const EDGE_LABEL_MIN_PX = 9;
const NODE_FONT = 10;
const EDGE_FONT = 8;
// ... while this many nodes at most are drawn; past it, text would be most of
// the drawing cost and a wall of overlapping words (labels then shrink with
// the zoom and vanish below 5 px, as before).
const LABELS_SCALED_MAX = 400;
// Hosts of an opened host aggregate are laid on a grid of cells this large
// (model units), so that their labels do not overlap.
const HOST_CELL = { width: 170, height: 50 };
// Past this many hosts, expanding lists them in the host table only: a ring
// of thousands of nodes costs seconds to draw and tells the analyst nothing
// the table does not.
export const HOSTS_DRAWN_MAX = 200;

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
    this.data = { nodes: [], edges: [] }; // everything known, drawn or not
    this.aggregates = new Map();
    this.collapsed = new Set();
    this.hidden = new Set();
    this.hostGroup = null; // {hosts, hostEdges, expanded} when hosts are aggregated
  }

  /** Draw a normalised graph, fan-outs aggregated; resolves after the first layout. */
  load(graph, { aggregate = true } = {}) {
    this.destroy();
    this.data = { nodes: [...graph.nodes], edges: [...graph.edges] };
    this.aggregates = aggregate ? findAggregates(this.data) : new Map();
    this.collapsed = new Set(this.aggregates.keys());
    this.hidden = new Set();
    const hosts = this.aggregates.get(AGGREGATE_ID);
    this.hostGroup = hosts ? { hosts: hosts.members, hostEdges: edgesOf(this.data, hosts.members), expanded: false } : null;
    const view = collapse(this.data, this.aggregates, this.collapsed);
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
    // Double-click a node: expand it (neighbours, or the members of an aggregate).
    this.cy.on('dbltap', 'node', (evt) => this.hooks.onExpand?.(evt.target));
    this.cy.on('tap', (evt) => {
      if (evt.target === this.cy) this.hooks.onSelect?.(null);
    });
    this.labelSizes = null;
    this.cy.on('viewport', () => this.scaleLabels());
    // The legend follows what is drawn (expand, hide, undo add and remove nodes), once per batch.
    this.cy.on('add remove', 'node', () => this.queueLegend());
    this.showLegend();
    this.history = [];
    this.hooks.onHistory?.(0);
    return this.relayout();
  }

  queueLegend() {
    if (this.legendQueued) return;
    this.legendQueued = true;
    queueMicrotask(() => { this.legendQueued = false; this.showLegend(); });
  }

  /** List in the legend (the `.graph-legend` beside the container) the node types drawn now. */
  showLegend() {
    const list = this.container.parentElement?.querySelector('.graph-legend');
    const types = this.cy ? this.cy.nodes().map((n) => n.data('type')) : [];
    showLegend(list, legendEntries(types, TYPE_STYLE));
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
    return done.then(() => this.scaleLabels());
  }

  /**
   * Keep labels at least NODE_LABEL_MIN_PX / EDGE_LABEL_MIN_PX high on screen:
   * their font size in model units grows as the view zooms out (up to
   * LABELS_SCALED_MAX nodes drawn).
   */
  scaleLabels() {
    const cy = this.cy;
    if (!cy) return;
    const zoom = cy.zoom();
    const scaled = cy.nodes().length <= LABELS_SCALED_MAX;
    const node = scaled ? Math.max(NODE_FONT, NODE_LABEL_MIN_PX / zoom) : NODE_FONT;
    const edge = scaled ? Math.max(EDGE_FONT, EDGE_LABEL_MIN_PX / zoom) : EDGE_FONT;
    const sizes = `${node.toFixed(1)}|${edge.toFixed(1)}`;
    if (sizes === this.labelSizes) return;
    this.labelSizes = sizes;
    cy.style(stylesheet({ nodeFont: node, edgeFont: edge }));
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
    const ids = elements.nodes().map((n) => n.id());
    ids.forEach((id) => this.hidden.add(id));
    const removed = elements.union(elements.connectedEdges()).remove();
    this.push('hide', () => {
      ids.forEach((id) => this.hidden.delete(id));
      removed.restore();
    });
    return removed.nodes().length + removed.edges().length;
  }

  /** Add nodes and edges not yet drawn; returns how many were new (`lastAdded` splits them). */
  addGraph(graph, near = null) {
    const cy = this.cy;
    const known = new Set(this.data.nodes.map((n) => n.id));
    const newNodes = graph.nodes.filter((n) => cy.getElementById(n.id).empty() && !known.has(n.id));
    const nodeIds = new Set(newNodes.map((n) => n.id));
    const present = (id) => nodeIds.has(id) || !cy.getElementById(id).empty();
    const newEdges = graph.edges.filter((e) => cy.getElementById(e.id).empty() && present(e.source) && present(e.target));
    // nodes and relations apart: "50 new elements" beside "relations shown 25" (review U5B #4)
    this.lastAdded = { nodes: newNodes.length, edges: newEdges.length };
    if (!newNodes.length && !newEdges.length) return 0;
    this.data.nodes.push(...newNodes);
    this.data.edges.push(...newEdges);
    const center = near?.position?.() ?? { x: 0, y: 0 };
    const added = cy.add([
      ...newNodes.map((n, i) => ({
        ...nodeElement(n),
        position: { x: center.x + 120 * Math.cos((2 * Math.PI * i) / newNodes.length), y: center.y + 120 * Math.sin((2 * Math.PI * i) / newNodes.length) },
      })),
      ...newEdges.map(edgeElement),
    ]);
    this.push('expand', () => {
      added.remove();
      const nodeSet = new Set(newNodes);
      const edgeSet = new Set(newEdges);
      this.data.nodes = this.data.nodes.filter((n) => !nodeSet.has(n));
      this.data.edges = this.data.edges.filter((e) => !edgeSet.has(e));
    });
    return added.length;
  }

  /**
   * Redraw after the set of collapsed aggregates changed: nodes still drawn
   * keep their place, pins and hidden nodes are kept, members of an opened
   * aggregate are laid on a ring where the aggregate was.
   */
  redraw(opened = null) {
    const cy = this.cy;
    const positions = new Map(cy.nodes().map((n) => [n.id(), { ...n.position() }]));
    const pinned = new Set(cy.nodes('.pinned').map((n) => n.id()));
    const view = collapse(this.data, this.aggregates, this.collapsed);
    const nodes = view.nodes.filter((n) => !this.hidden.has(n.id));
    const drawn = new Set(nodes.map((n) => n.id));
    const edges = view.edges.filter((e) => drawn.has(e.source) && drawn.has(e.target));
    const center = (opened && positions.get(opened)) || { x: 0, y: 0 };
    const fresh = nodes.filter((n) => !positions.has(n.id));
    if (opened === AGGREGATE_ID && fresh.length > 24) {
      // Many hosts: rows of a grid below where the aggregate was, wide enough
      // for each name (a ring of 200 put them 13 px apart on screen).
      // Wider than tall: the members sit above, and the view is landscape.
      const columns = Math.ceil(Math.sqrt(fresh.length * 2.5 * (HOST_CELL.height / HOST_CELL.width)));
      const others = cy.nodes().filter((n) => n.id() !== AGGREGATE_ID);
      const top = (others.empty() ? center.y : others.boundingBox({ includeLabels: false }).y2) + 2 * HOST_CELL.height;
      fresh.forEach((n, i) => positions.set(n.id, {
        x: center.x + ((i % columns) - (columns - 1) / 2) * HOST_CELL.width,
        y: top + Math.floor(i / columns) * HOST_CELL.height,
      }));
    } else {
      const ring = Math.max(80, fresh.length * 3);
      fresh.forEach((n, i) => positions.set(n.id, {
        x: center.x + ring * Math.cos((2 * Math.PI * i) / fresh.length),
        y: center.y + ring * Math.sin((2 * Math.PI * i) / fresh.length),
      }));
    }
    const dense = edges.length > DENSE_EDGES;
    cy.batch(() => {
      cy.elements().remove();
      cy.add([
        ...nodes.map((n) => ({ ...nodeElement(n), position: positions.get(n.id) })),
        ...edges.map((e) => ({ ...edgeElement(e), classes: dense ? 'dense' : '' })),
      ]);
      cy.nodes().forEach((n) => {
        if (pinned.has(n.id())) n.addClass('pinned').lock();
      });
    });
    this.fit();
    this.scaleLabels();
  }

  /** Open or close one aggregate. */
  toggleAggregate(id, { record = true } = {}) {
    const agg = this.aggregates.get(id);
    if (!agg || !this.cy) return false;
    const opening = this.collapsed.has(id);
    if (id === AGGREGATE_ID && agg.members.length > HOSTS_DRAWN_MAX) {
      // Too many to draw usefully: the host table is the expanded view.
      // The node stays collapsed in the graph, marked as opened.
      const opening2 = !this.hostGroup.expanded;
      this.cy.getElementById(AGGREGATE_ID).toggleClass('expanded', opening2);
      this.hostGroup.expanded = opening2;
      if (record) this.push(`${opening2 ? 'expand' : 'collapse'} ${agg.label}`, () => this.toggleAggregate(id, { record: false }));
      this.hooks.onHosts?.(opening2, this.hostGroup);
      return opening2;
    } else {
      if (opening) this.collapsed.delete(id);
      else this.collapsed.add(id);
      this.redraw(opening ? id : null);
      if (id === AGGREGATE_ID) this.hostGroup.expanded = opening;
    }
    if (record) this.push(`${opening ? 'expand' : 'collapse'} ${agg.label}`, () => this.toggleAggregate(id, { record: false }));
    if (id === AGGREGATE_ID) this.hooks.onHosts?.(opening, this.hostGroup);
    return opening;
  }

  toggleHosts(options) {
    return this.toggleAggregate(AGGREGATE_ID, options);
  }

  /** Entities drawn now: (type, key) pairs, an aggregate standing for its members. */
  visibleEntities() {
    const out = [];
    if (!this.cy) return out;
    this.cy.nodes().forEach((n) => {
      const agg = this.aggregates.get(n.id());
      if (agg) agg.members.forEach((m) => out.push({ type: m.type, key: m.key, value: m.value }));
      else out.push({ type: n.data('type'), key: n.data('key'), value: n.data('value') });
    });
    return out;
  }
}
