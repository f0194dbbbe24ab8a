// A node's relations as buttons in the selection panel: each one selects that
// edge and shows its evidence, so edges are reachable with the keyboard
// (Tab, Enter) and not only by clicking a line on the canvas (review R4, item 11).

import { el, shorten } from './dom.js';
import { mappedHost, shownType } from './entity_label.js';

// More than this many relations: the first ones, and a note (the rest stay
// reachable through the graph and "Expand").
const LISTED_MAX = 50;

/**
 * A list of buttons, one per edge of `node` (a Cytoscape node).
 * @param {Object} node
 * @param {Function} onPick  called with the edge
 * @returns {?HTMLElement}  null when the node has no edge
 */
export function relationButtons(node, onPick) {
  const edges = node.connectedEdges();
  if (edges.empty()) return null;
  const items = edges.slice(0, LISTED_MAX).map((edge) => {
    const outgoing = edge.source().id() === node.id();
    const other = outgoing ? edge.target() : edge.source();
    // An aggregate edge counts the aggregate's members it reaches (`hosts` names the host
    // aggregate's case): "RAN 2 of 24 processes", not "RAN aggregate 24 processes (2 hosts)"
    // (review U5B #4); an edge to one entity, its events (×count).
    const arrow = `${outgoing ? '→' : '←'} ${edge.data('type')}`;
    let text;
    if (other.data('type') === 'aggregate') {
      text = `${arrow} ${edge.data('hosts')} of ${shorten(other.data('value'), 60)}`;
    } else {
      const count = edge.data('aggregate') ? `${edge.data('hosts')} hosts` : `×${edge.data('count')}`;
      // a lateral movement's source address names the host the IP map held it on then
      const mapped = mappedHost({ type: other.data('type'), props: other.data('props') });
      const name = mapped ? `${shorten(other.data('value'), 60)} (${shorten(mapped, 40)})` : shorten(other.data('value'), 60);
      const type = shownType({ type: other.data('type'), value: other.data('value'), props: other.data('props') });
      text = `${arrow} ${type} ${name} (${count})`;
    }
    return el('li', {}, el('button', { type: 'button', class: 'relation', dataset: { edgeId: edge.id() }, text, onclick: () => onPick(edge) }));
  });
  return el('div', { class: 'relations' },
    el('h4', { text: `Relations (${edges.length})` }),
    el('ul', { class: 'relation-list' }, items),
    edges.length > LISTED_MAX ? el('p', { class: 'muted', text: `first ${LISTED_MAX} listed` }) : null);
}
