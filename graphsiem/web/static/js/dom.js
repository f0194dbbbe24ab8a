// DOM helpers that only ever create text nodes from data.
//
// Every string shown on this page may come from an attacker (command lines,
// URLs, file and host names), so nothing here parses markup: no innerHTML,
// no insertAdjacentHTML, no document.write.  Attributes are set one by one.

/**
 * Create an element.
 * @param {string} tag
 * @param {Object} props  `text` sets textContent, `class` the class list,
 *   `on<event>` adds a listener, `dataset` copies data-* values; anything
 *   else becomes an attribute (never use this for href/src with data).
 * @param {...(Node|string|number|null)} children  strings become text nodes.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Look up an element by id, failing loudly when the page and script disagree. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing element #${id}`);
  return node;
}

/** Replace the children of `node` with `children` (strings become text). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
  return node;
}

/** Render an ISO or epoch timestamp compactly in UTC ("2026-11-28 12:03:04Z"). */
export function fmtTime(value) {
  if (value === null || value === undefined || value === '') return '';
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Format a number for a table cell: integers as is, others to 2 decimals. */
export function fmtNumber(value) {
  if (typeof value !== 'number') return value === null || value === undefined ? '' : String(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** Truncate a label for the graph; the full text is in the details panel. */
export function shorten(text, max = 48) {
  const s = String(text ?? '');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
