// Which host an evidence event stands for when the event names none.
//
// A Zeek or Suricata record has addresses, not a host: the projection ties it
// to a host through the IP map (192.168.1.41 was mkt01 at that time) and
// draws the relation from that host (mkt01 CONNECTED 192.168.1.4), with the
// record as its evidence.  The evidence API answers the record alone (host
// null), so the Host column reads the host off the relations shown: the host
// ends of the edges that carry the event.

/**
 * Event id -> the names of the hosts at either end of the edges carrying it.
 * @param {Object} edges  a Cytoscape edge or collection of edges
 * @returns {Map<string, string[]>}
 */
export function hostsOfEvents(edges) {
  const hosts = new Map();
  edges.forEach((edge) => {
    const ends = [edge.source(), edge.target()]
      .filter((node) => node.data('type') === 'host')
      .map((node) => String(node.data('value')));
    if (!ends.length) return;
    for (const id of edge.data('evidence') || []) {
      const known = hosts.get(id) ?? [];
      for (const name of ends) if (!known.includes(name)) known.push(name);
      hosts.set(id, known);
    }
  });
  return hosts;
}
