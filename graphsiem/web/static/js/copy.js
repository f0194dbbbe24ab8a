// "Copy as Cypher" and "Copy as Python": the current view as code an analyst
// can re-run in Neo4j Browser or a notebook.
//
// Values are passed as parameters, never spliced into the query text: a
// command line full of quotes and braces stays data.  JSON string literals
// are valid Cypher and Python string literals, so JSON.stringify is the
// escaping for both; `literal` then writes the characters that steer the
// display or hide text (C1 controls, BiDi overrides, line separators,
// zero-width and tag characters: JSON leaves them raw) as \uXXXX too (beyond
// U+FFFF a surrogate pair for Cypher, \UXXXXXXXX for Python), which both
// languages read back as the same character, so the analyst reads in the
// snippet what the query will match.

// JSON.stringify already writes the C0 controls as escapes; the rest is
// dom.js's STEERING_BEYOND_C0.
import { codeEscape, STEERING_BEYOND_C0 } from './dom.js';

/** Each UTF-16 code unit of `char` as \uXXXX: a character beyond U+FFFF as its surrogate pair. */
function utf16Escape(char) {
  let out = '';
  for (let i = 0; i < char.length; i += 1) out += `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/**
 * JSON text of `value` with the display-steering and invisible characters escaped.
 *
 * Beyond U+FFFF (the tag characters) the escape depends on the reader: JSON and
 * Cypher (Java strings, UTF-16) read a \u surrogate pair as one character,
 * Python reads it as two lone surrogates, so the Python snippet writes
 * \UXXXXXXXX instead (not JSON, which that snippet never needs to be).
 * @param {*} value
 * @param {{python?: boolean}} options
 * @returns {string}
 */
export function literal(value, { python = false } = {}) {
  // Such characters only ever occur inside JSON strings, so escaping them
  // keeps the text valid JSON, Python and Cypher.
  return JSON.stringify(value).replace(STEERING_BEYOND_C0, python ? codeEscape : utf16Escape);
}

// graphsiem.store.neo4j_store indexes keys of more than 4,000 UTF-8 bytes
// (or starting with "~h:") by a hash the browser cannot compute (BLAKE2b);
// those entities are matched on their verbatim `full_key` instead.
const MAX_INDEXED_KEY_BYTES = 4000;
const HASHED_PREFIX = '~h:';

function isIndexedVerbatim(key) {
  return !key.startsWith(HASHED_PREFIX) && new TextEncoder().encode(key).length <= MAX_INDEXED_KEY_BYTES;
}

/**
 * Parameterised Cypher for the entities of the view and the relations among them.
 * @param {Array<{type, key}>} entities
 * @param {{clusterId?: string}} context
 * @returns {{query: string, params: Object, text: string}}
 */
export function asCypher(entities, { clusterId } = {}) {
  const unique = [...new Map(entities.map((e) => [`${e.type}:${e.key}`, e])).values()];
  const params = {
    uids: unique.filter((e) => isIndexedVerbatim(e.key)).map((e) => `${e.type}:${e.key}`).sort(),
    full_keys: unique.filter((e) => !isIndexedVerbatim(e.key)).map((e) => e.key).sort(),
  };
  const query = [
    'MATCH (n:Entity) WHERE n.uid IN $uids OR n.full_key IN $full_keys',
    // SEEN: the store's host sightings, bookkeeping rather than relations.
    "OPTIONAL MATCH (n)-[r]->(m:Entity) WHERE type(r) <> 'SEEN' AND (m.uid IN $uids OR m.full_key IN $full_keys)",
    'RETURN n, r, m',
  ].join('\n');
  const count = unique.length;
  const header = clusterId
    ? `// GraphSIEM view of cluster ${literal(clusterId)}: ${count} entities.`
    : `// GraphSIEM exploration view: ${count} entities.`;
  const text = [
    header,
    '// Neo4j Browser: run the :param line first, then the query.',
    '// A driver (session.run(query, params)): the same parameters as JSON:',
    `// params: ${literal(params)}`,
    `:param {uids: ${literal(params.uids)}, full_keys: ${literal(params.full_keys)}};`,
    '',
    `${query};`,
    '',
  ].join('\n');
  return { query, params, text };
}

/**
 * The `open_store(...)` line for the service's store (/v1/store), without
 * credentials: a Neo4j user and password come from the same GRAPHSIEM_NEO4J_*
 * variables the service reads.  Unknown: a placeholder the analyst must edit.
 * @param {?{kind: string, spec: string, database: ?string}} store
 * @returns {string[]}
 */
function openStoreLines(store) {
  if (!store || typeof store.spec !== 'string') {
    return [
      '# The service did not say which store it uses: put its spec and data directory here.',
      'store = open_store("embedded", data_dir="<the service\'s data directory>", reading=True)',
    ];
  }
  const py = (value) => literal(String(value ?? ''), { python: true });
  const lines = [`# The service's store (${store.kind}), read only.`];
  if (store.kind === 'neo4j') {
    lines.push(`# User and password from GRAPHSIEM_NEO4J_USER / GRAPHSIEM_NEO4J_PASSWORD; database ${py(store.database ?? 'neo4j')} from GRAPHSIEM_NEO4J_DATABASE.`);
  }
  // The service does not give its data directory (no response carries a server path):
  // the notebook names it as the CLI does, GRAPHSIEM_DATA else ./.graphsiem
  lines.push('import os');
  lines.push(`store = open_store(${py(store.spec)}, data_dir=os.environ.get("GRAPHSIEM_DATA", ".graphsiem"), reading=True)`);
  return lines;
}

/**
 * Python for a notebook: the same view through the GraphSIEM library.
 * @param {Array<{type, key}>} entities
 * @param {{clusterId?: string, store?: Object}} context  `store`: /v1/store's answer
 */
export function asPython(entities, { clusterId, store = null } = {}) {
  const keys = [...new Map(entities.map((e) => [`${e.type}:${e.key}`, [e.type, e.key]])).values()]
    .sort((a, b) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`));
  const lines = [
    clusterId
      ? `# GraphSIEM view of cluster ${literal(clusterId, { python: true })}: ${keys.length} entities.`
      : `# GraphSIEM exploration view: ${keys.length} entities.`,
    'from graphsiem.store import open_store',
    '',
    ...openStoreLines(store),
    'keys = [',
    ...keys.map(([type, key]) => `    (${literal(type, { python: true })}, ${literal(key, { python: true })}),`),
    ']',
    '# radius=0: these entities and the relations among them.',
    'view = store.subgraph(keys, radius=0)',
    'print(view.number_of_nodes(), "entities,", view.number_of_edges(), "relations")',
    '',
  ];
  return { text: lines.join('\n') };
}
