// The graph's legend (review U5B #2): which shape and colour stand for which
// entity type, listing only the types drawn now.  Types come from the API and
// are written as text (textContent), never markup.

import { el, fill } from './dom.js';

// CSS shapes for the swatches, as near as a small square gets to Cytoscape's.
const CLIP = {
  hexagon: 'polygon(25% 0, 75% 0, 100% 50%, 75% 100%, 25% 100%, 0 50%)',
  diamond: 'polygon(50% 0, 100% 50%, 50% 100%, 0 50%)',
  triangle: 'polygon(50% 0, 100% 100%, 0 100%)',
  pentagon: 'polygon(50% 0, 100% 38%, 82% 100%, 18% 100%, 0 38%)',
  tag: 'polygon(0 0, 70% 0, 100% 50%, 70% 100%, 0 100%)',
  'round-octagon': 'polygon(30% 0, 70% 0, 100% 30%, 100% 70%, 70% 100%, 30% 100%, 0 70%, 0 30%)',
};
const RADIUS = { ellipse: '50%', 'round-rectangle': '25%' };

// What an aggregate node is: its border wears its members' colour.
const AGGREGATE_TEXT = 'group of many (border: their type)';

/**
 * The legend entries for the node types in `types`, in the order of `styles`
 * (types without a style last, in grey).
 * @param {Iterable<string>} types  the `type` of every node drawn
 * @param {Object<string, {shape: string, color: string}>} styles  by type
 * @returns {Array<{type: string, shape: string, color: string, text: string}>}
 */
export function legendEntries(types, styles) {
  const seen = new Set(types);
  const known = Object.keys(styles).filter((t) => seen.has(t));
  const other = [...seen].filter((t) => !(t in styles)).sort();
  return [...known, ...other].map((type) => {
    const { shape, color } = styles[type] ?? { shape: 'ellipse', color: '#888' };
    return { type, shape, color, text: type === 'aggregate' ? AGGREGATE_TEXT : type };
  });
}

/** Fill `list` (a <ul>) with one item per entry: a swatch and the type as text. */
export function showLegend(list, entries) {
  if (!list) return;
  fill(list, entries.map((e) => {
    const swatch = el('span', { class: 'legend-swatch', 'aria-hidden': 'true' });
    swatch.style.background = e.color;
    if (CLIP[e.shape]) swatch.style.clipPath = CLIP[e.shape];
    if (RADIUS[e.shape]) swatch.style.borderRadius = RADIUS[e.shape];
    return el('li', { dataset: { type: e.type } }, swatch, el('span', { class: 'legend-text', text: e.text }));
  }));
  list.hidden = entries.length === 0;
}
