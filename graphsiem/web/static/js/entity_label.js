// How an entity is named on the page when its value alone would mislead.
//
// A file is keyed by its content digest when the sensor hashed it (SHA-256,
// else SHA-1 or MD5) and by its lower-cased path otherwise; its value is the
// path either way.  So the driver written to C:\Windows\Temp\RTCore64.sys and
// the same driver's hash node read the same, and the digest an analyst pastes
// appears nowhere.  A digest-keyed file is therefore shown as its value plus
// a short digest ("RTCore64.sys · sha256 16b7846f…"), the full digest in the
// title and in the selection panel's `key` row.

const DIGEST_ALGORITHMS = { 64: 'sha256', 40: 'sha1', 32: 'md5' };
const HEX = /^[0-9a-f]+$/;
const SHORT_DIGEST = 8;

/**
 * The digest a file entity is keyed by, or null (not a file, or keyed by path).
 * @param {{type: string, key: string}} entity
 * @returns {{algorithm: string, digest: string} | null}
 */
export function digestOf(entity) {
  if (!entity || entity.type !== 'file') return null;
  const key = String(entity.key ?? '').toLowerCase();
  const algorithm = DIGEST_ALGORITHMS[key.length];
  return algorithm && HEX.test(key) ? { algorithm, digest: key } : null;
}

/** "sha256 16b7846f…" for a digest from digestOf(). */
export function shortDigest({ algorithm, digest }) {
  return `${algorithm} ${digest.slice(0, SHORT_DIGEST)}…`;
}

/** The last component of a Windows or POSIX path ("RTCore64.sys"). */
export function baseName(path) {
  const text = String(path ?? '');
  const cut = Math.max(text.lastIndexOf('\\'), text.lastIndexOf('/'));
  return cut >= 0 && cut < text.length - 1 ? text.slice(cut + 1) : text;
}

/**
 * The value an entity is shown by and the digest to show after it.
 * @param {{type: string, key: string, value: string}} entity
 * @returns {{value: string, digest: {algorithm, digest} | null}}  `value` is
 *   '' for a file known by its digest only (its value is the digest itself).
 */
export function entityName(entity) {
  const digest = digestOf(entity);
  const value = String(entity?.value ?? '');
  if (!digest) return { value, digest: null };
  return { value: value.toLowerCase() === digest.digest ? '' : value, digest };
}

/**
 * A one-line label: "C:\Windows\Temp\RTCore64.sys · sha256 16b7846f…"; with
 * `base`, the path's last component only (the graph's short labels).
 */
export function entityLabel(entity, { base = false } = {}) {
  const { value, digest } = entityName(entity);
  if (!digest) return value;
  const shown = base ? baseName(value) : value;
  return shown ? `${shown} · ${shortDigest(digest)}` : shortDigest(digest);
}

/**
 * The host the IP map held an address node on when it logged on to the
 * cluster's hosts (the API's `props.mapped_host` of a lateral movement's
 * source address), or ''.
 */
export function mappedHost(node) {
  return node?.type === 'ip' ? String(node.props?.mapped_host ?? '') : '';
}

// A registry path as Sysmon, the kernel, reg.exe or PowerShell write it
// (graphsiem/entity_kinds.py holds the same rule for the API).
const REGISTRY_PATH = /^(?:\\registry\\|hkey_[a-z_]+(?:\\|$)|hk(?:lm|cu|cr|u|cc):?(?:\\|$))/i;

/**
 * The type an entity is shown as: 'registry' for a file entity that is a
 * registry key or value (the graph keeps those as files: the API's member
 * `kind`, a node's `props.registry`, else the path's shape), else its type.
 * @param {{type: string, value?: string, kind?: string, props?: Object}} entity
 */
export function shownType(entity) {
  if (entity?.type !== 'file') return entity?.type;
  const registry = entity.kind === 'registry' || entity.props?.registry === true
    || REGISTRY_PATH.test(String(entity.value ?? '').trim());
  return registry ? 'registry' : 'file';
}
