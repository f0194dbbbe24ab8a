// Why a search hit matched when its row does not show it.  A hit found in its
// value or key past what the row's shortened label shows (a script whose
// "Pk.Loader" sits 140 characters in, a base64 fragment deep in a command
// line) listed only the label's start: nothing on the row held the text
// searched for (review U5 #6).  Hits inside a property come with the API's
// snippet; these get one made here from the value the hit holds.  Attacker
// text: the caller sets it as text.

/** Characters kept on each side of the match (the API's property snippets keep 60). */
const CONTEXT = 40;

/**
 * "value: …GetType('Pk.Loader').GetMethod…" when `q` is in the hit's value (else its key) but not
 * in `shown`, the label the row displays; null when the row shows it, or the hit does not hold it.
 * @param {{value?: *, key?: *}} hit  a search hit
 * @param {string} q  the text searched for
 * @param {string} shown  the row's label as displayed
 * @returns {?string}
 */
export function hiddenMatch(hit, q, shown) {
  const needle = String(q ?? '').toLowerCase();
  if (!needle || String(shown ?? '').toLowerCase().includes(needle)) return null;
  for (const field of ['value', 'key']) {
    const text = String(hit?.[field] ?? '');
    const lowered = text.toLowerCase();
    const at = lowered.indexOf(needle);
    // A character whose lower case is longer ("İ") would shift the excerpt: none then.
    if (at < 0 || lowered.length !== text.length) continue;
    const start = Math.max(0, at - CONTEXT);
    const end = Math.min(text.length, at + needle.length + CONTEXT);
    return `${field}: ${start ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
  }
  return null;
}
