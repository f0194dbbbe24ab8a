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
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function detailText(body, fallback) {
  if (!body) return fallback;
  const detail = body.detail ?? body.error ?? body.message;
  if (typeof detail === 'string') return detail;
  // the API's error envelope: {"error": {"code", "message", "field", "details"}}
  if (detail && typeof detail.message === 'string') {
    return detail.field ? `${detail.field}: ${detail.message}` : detail.message;
  }
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).join('.')}: ${d.msg ?? JSON.stringify(d)}`).join('; ');
  }
  return detail ? JSON.stringify(detail) : fallback;
}

/**
 * Call the API.
 * @param {string} path  e.g. "/v1/clusters"
 * @param {{method?: string, params?: Object, body?: any, key?: string}} options
 *   `params` with null/'' values are left out; arrays repeat the parameter.
 */
export async function api(path, { method = 'GET', params, body, key } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => url.searchParams.append(name, v));
    else url.searchParams.set(name, value);
  }
  const headers = { Accept: 'application/json' };
  const token = key ?? auth.get();
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
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
    throw new ApiError(response.status, detailText(payload, `${response.status} ${response.statusText}`));
  }
  return payload;
}

/** The path of an entity by its key (the API also accepts values, but a process is found by its key only). */
export function entityPath(type, key) {
  return `/v1/entities/${encodeURIComponent(type)}/${encodeURIComponent(key)}`;
}
