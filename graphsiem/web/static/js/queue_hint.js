// Why the cluster queue is empty, in words the analyst can act on.
//
// An empty queue reads as "all clear" unless the page says otherwise: the
// filters may hide everything, every cluster may have stopped being detected
// (one late event moves the detection window), or no detection ran at all.

import { fmtTime } from './dom.js';

const HOW_TO_DETECT = 'Run a detection: POST /v1/detections with an analyst key, '
  + 'or start the service with GRAPHSIEM_DETECT_INTERVAL_S=<seconds> to detect periodically.';

/** The newest run of a GET /v1/detections answer (newest first), or null. */
function latest(detections) {
  const runs = Array.isArray(detections) ? detections : detections?.items ?? [];
  return runs.length ? runs[0] : null;
}

function detectionSentence(run) {
  if (!run) return 'No detection has run yet.';
  if (run.status === 'done') {
    const count = run.cluster_count ?? '?';
    return `The last detection finished at ${fmtTime(run.finished_at)} with ${count} cluster${count === 1 ? '' : 's'}.`;
  }
  if (run.status === 'failed') return `The last detection failed (${fmtTime(run.finished_at ?? run.requested_at)}): ${run.error ?? 'no reason given'}.`;
  return `A detection is ${run.status} (requested at ${fmtTime(run.requested_at)}).`;
}

/**
 * The sentence shown in place of an empty queue.
 * @param {{filtered: boolean, includeInactive: boolean, inactive: ?number, detections: ?Array}} facts
 *   `filtered`: a server-side filter (risk, status, verdict) is set;
 *   `inactive`: clusters no longer detected (null when unknown);
 *   `detections`: the GET /v1/detections answer (null when unknown).
 * @returns {string}
 */
export function emptyQueueHint({ filtered, includeInactive, inactive, detections }) {
  if (filtered) return 'No cluster matches these filters.';
  const head = includeInactive ? 'No clusters, active or not.'
    : inactive ? `No active clusters — ${inactive} no longer detected (tick "show inactive" to list them).`
      : 'No active clusters.';
  const ran = detections === null || detections === undefined ? '' : ` ${detectionSentence(latest(detections))}`;
  return `${head}${ran} ${HOW_TO_DETECT}`;
}
