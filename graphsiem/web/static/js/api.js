// The /v1 API client: the analyst's key travels as a Bearer token.
//
// The key lives in sessionStorage: it survives a reload of this tab (so a
// triage in progress is not lost) but not the closing of the tab, and it is
// never written to localStorage or a cookie.

const KEY_NAME = 'graphsiem.apiKey';

export const auth = {
  get: () => sessionStorage.getItem(KEY_NAME),
  set: (key) => sessionStorage.setItem(KEY_NAME, key),
  clear: () => sessionStorage.removeItem(KEY_NAME),
};

export class ApiError extends Error {
  /**
   * @param {number} status  the HTTP status (0: no answer came back)
   * @param {string} message
   * @param {{code?: ?string, details?: Array}} extra  the error envelope's
   *   `code` and `details` (a 412's current triage is in `details[0].triage`)
   */
  constructor(status, message, { code = null, details = [] } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = Array.isArray(details) ? details : [];
  }
}

// A request sent with an Idempotency-Key is sent once more after a network
// failure (the answer lost, not a refusal): the server answers the retry with
// the first answer if the first did arrive, so nothing is applied twice.
const NETWORK_RETRY_DELAY_MS = 400;

/** The words of a lost answer; a caller that adds them to a message already holding them doubled them (review U2 #3). */
export const NO_ANSWER = 'no answer from the server';

/** "no answer from the server (…)" of a request that got none: an ApiError 0 says it, fetch's TypeError does not. */
export function noAnswerText(error) {
  const said = String(error?.message ?? '');
  return said.startsWith(NO_ANSWER) ? said : `${NO_ANSWER} (${said || 'the request failed'})`;
}

/**
 * A new Idempotency-Key: 128 random bits in hex.  crypto.getRandomValues,
 * not randomUUID, which only secure contexts have (a page served over plain
 * HTTP on a LAN name is not one).
 */
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function envelope(body) {
  const error = body && typeof body.error === 'object' && body.error !== null ? body.error : {};
  return { code: typeof error.code === 'string' ? error.code : null, details: error.details };
}

function detailText(body, fallback) {
  if (!body) return fallback;
  const detail = body.detail ?? body.error ?? body.message;
  if (typeof detail === 'string') return detail;
  // the API's error envelope: {"error": {"code", "message", "field", "details"}}
  if (detail && typeof detail.message === 'string') {
    // A validation error's message already starts with its field: said once (review U2 #3).
    const named = !detail.field || detail.message.startsWith(`${detail.field}: `);
    return named ? detail.message : `${detail.field}: ${detail.message}`;
  }
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).join('.')}: ${d.msg ?? JSON.stringify(d)}`).join('; ');
  }
  return detail ? JSON.stringify(detail) : fallback;
}

/**
 * Call the API.
 * @param {string} path  e.g. "/v1/clusters"
 * @param {{method?: string, params?: Object, body?: any, key?: string, headers?: Object}} options
 *   `params` with null/'' values are left out; arrays repeat the parameter.
 *   `headers` are added to the request (If-Match, Idempotency-Key); with an
 *   Idempotency-Key a network failure is retried once under the same key.
 */
export async function api(path, { method = 'GET', params, body, key, headers: extra } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => url.searchParams.append(name, v));
    else url.searchParams.set(name, value);
  }
  const headers = { ...(extra || {}), Accept: 'application/json' };
  const token = key ?? auth.get();
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await send(url, init, Boolean(headers['Idempotency-Key']));
  let payload = null;
  const text = await response.text();
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = { detail: text.slice(0, 300) };
    }
  }
  if (!response.ok) {
    if (response.status === 401 && key === undefined) {
      auth.clear();
      window.dispatchEvent(new CustomEvent('graphsiem:signed-out'));
    }
    throw new ApiError(response.status, detailText(payload, `${response.status} ${response.statusText}`),
      envelope(payload));
  }
  return payload;
}

/** fetch, once more after a network failure when the request is idempotent; a lost answer is ApiError 0. */
async function send(url, init, retry) {
  try {
    return await fetch(url, init);
  } catch (first) {
    if (!retry) throw first;
    await new Promise((resolve) => setTimeout(resolve, NETWORK_RETRY_DELAY_MS));
    try {
      return await fetch(url, init);
    } catch (second) {
      throw new ApiError(0, `${NO_ANSWER} (${second.message}; tried twice)`, { code: 'network' });
    }
  }
}

/** The path of an entity by its key (the API also accepts values, but a process is found by its key only). */
export function entityPath(type, key) {
  return `/v1/entities/${encodeURIComponent(type)}/${encodeURIComponent(key)}`;
}
