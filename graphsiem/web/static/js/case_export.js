// "Export case (JSON)": the API's case bundle (/v1/clusters/{id}/bundle) saved
// as a file.  The API wants the analyst's key in a header, which a plain link
// cannot send: the page fetches the bundle and hands the browser a blob.

import { api } from './api.js';

/**
 * Download the case bundle of cluster `id` as `graphsiem-case-<id>.json`.
 * @param {string} id
 * @returns {Promise<number>}  the size of the file, in bytes
 */
export async function exportCase(id) {
  const bundle = await api(`/v1/clusters/${encodeURIComponent(id)}/bundle`);
  const text = JSON.stringify(bundle, null, 2);
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url; // a blob: URL this page made, never data
  link.download = `graphsiem-case-${id.replace(/[^\w.-]+/g, '_')}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy once started.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return text.length;
}

let storeSpec = null;

/**
 * The service's store as /v1/store describes it ({kind, spec, data_dir,
 * database}), asked once; null when the API cannot say.
 */
export async function serviceStore() {
  if (storeSpec === null) {
    try {
      storeSpec = await api('/v1/store');
    } catch {
      return null;
    }
  }
  return storeSpec;
}
