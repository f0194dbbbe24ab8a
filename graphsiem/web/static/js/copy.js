// "Copy as Cypher" and "Copy as Python": the current view as code an analyst
// can re-run in Neo4j Browser or a notebook.
//
// Values are passed as parameters, never spliced into the query text: a
// command line full of quotes and braces stays data.  JSON string literals
// are valid Cypher and Python string literals, so JSON.stringify is the
// escaping for both.

function uids(entities) {
  return [...new Set(entities.map((e) => `${e.type}:${e.key}`))].sort();
}

/**
 * Parameterised Cypher for the entities of the view and the relations among them.
 * @param {Array<{type, key}>} entities
 * @param {{clusterId?: string}} context
 * @returns {{query: string, params: Object, text: string}}
 */
export function asCypher(entities, { clusterId } = {}) {
  const params = { uids: uids(entities) };
  const query = [
    'MATCH (n) WHERE n.uid IN $uids',
    'OPTIONAL MATCH (n)-[r]->(m) WHERE m.uid IN $uids',
    'RETURN n, r, m',
  ].join('\n');
  const header = clusterId
    ? `// GraphSIEM view of cluster ${JSON.stringify(clusterId)}: ${params.uids.length} entities.`
    : `// GraphSIEM exploration view: ${params.uids.length} entities.`;
  const text = [
    header,
    '// Neo4j Browser: run the :param line first, then the query.',
    `:param uids => ${JSON.stringify(params.uids)};`,
    '',
    `${query};`,
    '',
  ].join('\n');
  return { query, params, text };
}

/**
 * Python for a notebook: the same view through the GraphSIEM library.
 * @param {Array<{type, key}>} entities
 * @param {{clusterId?: string}} context
 */
export function asPython(entities, { clusterId } = {}) {
  const keys = [...new Map(entities.map((e) => [`${e.type}:${e.key}`, [e.type, e.key]])).values()]
    .sort((a, b) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`));
  const lines = [
    clusterId
      ? `# GraphSIEM view of cluster ${JSON.stringify(clusterId)}: ${keys.length} entities.`
      : `# GraphSIEM exploration view: ${keys.length} entities.`,
    'from graphsiem.store import open_store',
    '',
    '# The store the service uses: e.g. "embedded:.graphsiem" or "neo4j://localhost:7687".',
    'store = open_store("embedded:.graphsiem")',
    'keys = [',
    ...keys.map(([type, key]) => `    (${JSON.stringify(type)}, ${JSON.stringify(key)}),`),
    ']',
    '# radius=0: these entities and the relations among them.',
    'view = store.subgraph(keys, radius=0)',
    'print(view.number_of_nodes(), "entities,", view.number_of_edges(), "relations")',
    '',
  ];
  return { text: lines.join('\n') };
}
