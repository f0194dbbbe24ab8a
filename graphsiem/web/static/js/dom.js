// DOM helpers that only ever create text nodes from data.
//
// Every string shown on this page may come from an attacker (command lines,
// URLs, file and host names), so nothing here parses markup: no innerHTML,
// no insertAdjacentHTML, no document.write.  Attributes are set one by one.
// Text goes through visibleText first: a character that steers the display
// (a right-to-left override, a line separator, a terminal escape) is shown as
// its \uXXXX code instead of acting.

// DEL, C1 controls, the BiDi marks, embeddings, overrides and isolates
// (U+061C, U+200E/F, U+202A-E, U+2066-9), the line and paragraph separators,
// and the invisible format characters that hide or split a word without a
// trace: soft hyphen, combining grapheme joiner, Mongolian vowel separator,
// zero-width space, word joiner and invisible operators (U+2060-4), the
// deprecated format controls (U+206A-F), the BOM as zero-width no-break
// space, and the tag characters (U+E0001, U+E0020-7F: invisible text that
// rides along a string).  ZWNJ and ZWJ (U+200C/D) stay: scripts and emoji
// sequences need them.  What JSON.stringify leaves raw (copy.js escapes them
// after it).  The `u` flag makes a tag character one match, not two halves.
const STEERING = '\\u007f-\\u009f\\u00ad\\u034f\\u061c\\u180e\\u200b\\u200e\\u200f\\u2028\\u2029'
  + '\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\u{e0001}\\u{e0020}-\\u{e007f}';
export const STEERING_BEYOND_C0 = new RegExp(`[${STEERING}]`, 'gu');
// With the C0 controls but tab and line feed: what visibleText escapes in a
// raw record kept on its lines (keepLines).
const HIDDEN_BUT_LINES = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${STEERING}]`, 'gu');
// A line break in one-line text (a script body in Members, a search row, an
// evidence detail) is shown as LINE_MARK and a space, where the text may wrap
// (review U5B #3: `\u000a` read as noise in every script): a marker, never a
// real break, so a value cannot draw a fake row under its own.  The mark
// itself in the data is written as its code (\u23ce), so a ⏎ is always one
// the page (or the server, madeText) drew.  \r\n is one break.
export const LINE_MARK = '\u23ce';
const MARKED = new RegExp(`\\r\\n|[\\u0000-\\u001f\\u23ce${STEERING}]`, 'gu');
// Text the server made (a summary, a check, a timeline row: graphsiem/visible_text.py
// `visible`) is one line already, its breaks marked with LINE_MARK by the same rule and a
// ⏎ of the data written \u23ce there: its marks are the server's and stay marks (review U5).
const MARKED_BUT_MARKS = new RegExp(`\\r\\n|[\\u0000-\\u001f${STEERING}]`, 'gu');
const markOrEscape = (m) => (m === '\r\n' || m === '\n' || m === '\r' ? `${LINE_MARK} ` : codeEscape(m));

/**
 * `\uXXXX` (lower-case hex) for one character; `\UXXXXXXXX` beyond U+FFFF:
 * one code for one character, as Python writes it (Python would read a pair
 * of `\u` surrogates as two characters; copy.js uses this for Python).
 */
export function codeEscape(char) {
  const code = char.codePointAt(0);
  return code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Data as the analyst must read it: display-steering characters made visible.
 *
 * "report\u202Eexe.txt" is shown as `report\u202eexe.txt`, not as the
 * "reporttxt.exe" the override would draw; a line break as "⏎ " (LINE_MARK).
 * @param {*} value  anything; null and undefined give ''
 * @param {{keepLines?: boolean, made?: boolean}} options  keep tab and line
 *   feed (a raw record pretty-printed in a <pre>); `made`: text the server
 *   made, whose ⏎ are its marks (madeText)
 * @returns {string}
 */
export function visibleText(value, { keepLines = false, made = false } = {}) {
  const text = value === null || value === undefined ? '' : String(value);
  if (keepLines) return text.replace(HIDDEN_BUT_LINES, codeEscape);
  return text.replace(made ? MARKED_BUT_MARKS : MARKED, markOrEscape);
}

/**
 * Text the server made from data (`made`: a cluster's summary, a check, a timeline row):
 * as visibleText, but its ⏎ marks stay (the server writes a ⏎ of the data as \u23ce).
 */
export function madeText(value) {
  return visibleText(value, { made: true });
}

/** Set the text of `node` to `value`, display-steering characters made visible (`made`: see madeText). */
export function setText(node, value, { made = false } = {}) {
  node.textContent = visibleText(value, { made });
  return node;
}

/**
 * Create an element.
 * @param {string} tag
 * @param {Object} props  `text` sets textContent (through visibleText;
 *   `lines: true` keeps its tabs and line feeds, `made: true` keeps the
 *   ⏎ marks of a text the server made), `class` the class list,
 *   `on<event>` adds a listener, `dataset` copies data-* values; anything
 *   else becomes an attribute (never use this for href/src with data), a
 *   `title` through visibleText as it is shown too.
 * @param {...(Node|string|number|null)} children  strings become text nodes
 *   (through visibleText).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false || name === 'lines' || name === 'made') continue;
    const made = Boolean(props.made);
    if (name === 'text') node.textContent = visibleText(value, { keepLines: Boolean(props.lines), made });
    else if (name === 'title') node.setAttribute('title', visibleText(value, { made }));
    else if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : visibleText(child));
  }
  return node;
}

/** Look up an element by id, failing loudly when the page and script disagree. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing element #${id}`);
  return node;
}

/** Replace the children of `node` with `children` (strings become text, through visibleText). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined)
    .map((c) => (c instanceof Node ? c : visibleText(c))));
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
