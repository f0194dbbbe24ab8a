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

/**
 * The window a finished run read and, when it found nothing, why (review T9, F8): without
 * them "0 clusters" reads as all clear, even when the window held two sightings of one host.
 */
function windowSentence(run) {
  if (!run.window_start || !run.window_end) return '';
  const hours = run.window_hours ?? null;
  const held = run.window_hosts === null || run.window_hosts === undefined ? ''
    : `, ${run.window_sightings} sighting${run.window_sightings === 1 ? '' : 's'} on ${run.window_hosts}`
      + ` of ${run.fleet_hosts} host${run.fleet_hosts === 1 ? '' : 's'}`;
  const length = hours === null ? '' : `, ${Number(hours.toFixed(1))} h`;
  return ` Its window: ${fmtTime(run.window_start)} to ${fmtTime(run.window_end)}${length}${held}.`;
}

function reasonSentence(run) {
  const parts = [];
  if (run.no_cluster_reason) parts.push(` Why no cluster: ${run.no_cluster_reason}.`);
  if (run.window_note) parts.push(` How the window was set: ${run.window_note}.`);
  if (run.no_cluster_reason) {
    parts.push(' To look at another time range, run a backtest ("Backtest at…" below, or POST /v1/detections?now=<ISO time>).');
  }
  return parts.join('');
}

const SPANS_SHOWN = 5;

/**
 * Where the store's data lies, host by host, for a run that found nothing (its record's
 * `host_spans`, newest-ending first): a backtest within a span several hosts share can find
 * what they did together, when the run's own window held little.
 */
function spansSentence(run) {
  const spans = Array.isArray(run.host_spans) ? run.host_spans : [];
  if (!spans.length) return '';
  const shown = spans.slice(0, SPANS_SHOWN)
    .map((span) => `${span.host} has data from ${fmtTime(span.first_seen)} to ${fmtTime(span.last_seen)}`);
  const more = (run.host_spans_total ?? spans.length) - shown.length;
  const rest = more > 0 ? `; ${more} more host${more === 1 ? '' : 's'}` : '';
  return ` Data per host, newest first: ${shown.join('; ')}${rest}. Pick a backtest time within a span several hosts share.`;
}

function detectionSentence(run) {
  if (!run) return 'No detection has run yet.';
  if (run.status === 'done') {
    const count = run.cluster_count ?? '?';
    return `The last detection finished at ${fmtTime(run.finished_at)} with ${count} cluster${count === 1 ? '' : 's'}.`
      + windowSentence(run) + reasonSentence(run) + spansSentence(run);
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
