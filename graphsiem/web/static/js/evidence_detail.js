// What an evidence row says of its event, in a line or three: the signature of
// an alert, the field that names what happened (a command line, a URL, a DNS
// name, a file), and for network events the flow itself, source first.
// Returned as strings: evidence.js renders them as text.

// The fields that say what happened, most telling first; the first one the
// event holds is shown.  `destination.ip` is no longer here: a network event
// gets the whole flow (flowLine), where the source address is what ties it to
// a host.
export const DETAIL_FIELDS = [
  'process.command_line', 'url.full', 'dns.question.name', 'file.name', 'file.path',
  'file.sha256', 'powershell.script_block_text', 'process.executable', 'message',
];

/** "10.0.0.1:445", "[fe80::1]:53", or the address alone without a port. */
function endpoint(ip, port) {
  if (ip === undefined || ip === null || ip === '') return '?';
  const address = String(ip).includes(':') ? `[${ip}]` : String(ip);
  return port === undefined || port === null || port === '' ? address : `${address}:${port}`;
}

/**
 * "ET SCAN Potential SSH Scan · SID 2001219 · severity 2" of an alert (Suricata,
 * CEF, LEEF, a Zeek notice), else null: what fired is what the analyst reads first.
 */
export function alertLine(event) {
  const fields = event.fields || {};
  const name = fields['rule.name'];
  if (name === undefined || name === null || name === '') return null;
  const parts = [String(name)];
  const id = fields['rule.id'];
  // "SID" is what Suricata and Snort call a signature's number; other sources' rule ids are not SIDs.
  if (id !== undefined && id !== null && id !== '') parts.push(`${event.source === 'suricata' ? 'SID' : 'rule id'} ${id}`);
  const severity = fields['alert.severity'];
  if (severity !== undefined && severity !== null && severity !== '') parts.push(`severity ${severity}`);
  return parts.join(' · ');
}

/**
 * "192.168.1.41:52605 → 192.168.1.4:53 udp/dns" of an event with a destination
 * address, else null.  The source comes first: a sensor's record names no host,
 * and its source address is the one the IP map ties to the client's host.
 */
export function flowLine(event) {
  const fields = event.fields || {};
  const dst = fields['destination.ip'];
  if (dst === undefined || dst === null || dst === '') return null;
  const protocol = [fields['network.transport'], fields['network.protocol']]
    .filter((p) => p !== undefined && p !== null && p !== '')
    .map(String)
    .filter((p, i, all) => all.indexOf(p) === i)
    .join('/');
  const flow = `${endpoint(fields['source.ip'], fields['source.port'])} → ${endpoint(dst, fields['destination.port'])}`;
  return protocol ? `${flow} ${protocol}` : flow;
}

/** The first DETAIL_FIELDS field the event holds, else null. */
function detailField(fields) {
  return DETAIL_FIELDS.find((name) => fields[name]) ?? null;
}

/** "name: value" of the first DETAIL_FIELDS field the event holds, else null. */
function fieldLine(fields) {
  const name = detailField(fields);
  return name === null ? null : `${name}: ${fields[name]}`;
}

/**
 * "target process: C:\Windows\System32\lsass.exe · granted access 0x1010" of an event
 * that acted on another process (Sysmon 8 and 10), else null.  The process that acted
 * was the row's only line: an LSASS read read as "process.executable: powershell.exe"
 * and nothing said what it opened (review U5 #2).
 */
export function targetLine(fields) {
  const target = fields['target.process.executable'] || fields['target.process.name'];
  if (!target) return null;
  const access = fields['target.granted_access'];
  return `target process: ${target}${access ? ` · granted access ${access}` : ''}`;
}

/**
 * What the event did in words, the host Timeline's line for it (the API's
 * `summary`, graphsiem/event_summary.py): "guest failed NTLM validation from
 * claimed workstation kali: wrong password", "jerry\bob logged on (network)".
 * Given when no field of DETAIL_FIELDS says it better: a logon, a credential
 * validation, NTLM, Kerberos or a privileges event named only its event code
 * (review U1 #2); a Windows event's generic message says less than the
 * summary.  An alert's signature says it already.
 * @returns {string[]}  one line, or none
 */
export function summaryLines(event) {
  const summary = typeof event.summary === 'string' ? event.summary : '';
  if (!summary || alertLine(event) !== null) return [];
  const field = detailField(event.fields || {});
  return field === null || field === 'message' ? [summary] : [];
}

/**
 * The lines of an evidence row's detail, most telling first: the alert's
 * signature, the field that names what happened, the process it acted on, the network flow.  An event
 * with none of them shows its first field.
 * @param {Object} event  an evidence event ({source, kind, fields, ...})
 * @returns {string[]}
 */
export function detailLines(event) {
  const fields = event.fields || {};
  const lines = [alertLine(event), fieldLine(fields), targetLine(fields), flowLine(event)].filter((line) => line !== null);
  // the summary stands for the event (its first field would be "event.code: 4776")
  if (lines.length || summaryLines(event).length) return lines;
  const first = Object.entries(fields)[0];
  return first ? [`${first[0]}: ${first[1]}`] : [''];
}
