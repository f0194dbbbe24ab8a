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

/**
 * "10.9.0.5 → ws-a (IP map)" for each address of a record that names no host,
 * as the service's IP map held it at the record's time (`mapped_hosts`, source
 * first), with how the map knew it and for when as the title.
 * @param {Object} event  an evidence event, with `mapped_hosts` when the map ties it to hosts
 * @returns {{text: string, title: string, side: string}[]}
 */
export function mappedHostLines(event) {
  const mapped = Array.isArray(event.mapped_hosts) ? event.mapped_hosts : [];
  return mapped.map((m) => ({
    text: `${m.ip} → ${m.host} (IP map)`,
    title: `The record names no host: by the IP map, its ${m.mapped_from === 'dst' ? 'destination' : 'source'} `
      + `${m.ip} was ${m.host} from ${m.start} to ${m.end} (${m.how})`,
    side: String(m.mapped_from),
  }));
}
