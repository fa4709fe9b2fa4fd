// @ts-check
/** Backoff policy shared by HTTP retries and socket reconnects. */

/**
 * Full-jitter exponential backoff: a random delay up to base·2^attempt, capped.
 * @param {number} attempt 0 for the first retry
 * @param {{baseMs?: number, capMs?: number, random?: () => number}} [options]
 */
export function backoffDelay(attempt, { baseMs = 500, capMs = 15000, random = Math.random } = {}) {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Milliseconds a `Retry-After` header asks for (seconds or an HTTP date), or null.
 * @param {string | null} header
 * @param {number} [now]
 */
export function retryAfterMs(header, now = Date.now()) {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** @param {number} ms */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
