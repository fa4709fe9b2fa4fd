// @ts-check
/** Backoff policy shared by HTTP retries and socket reconnects. */

/**
 * Full-jitter exponential backoff: a random delay from 0 up to base·2^attempt, capped.
 * @param {number} attempt 0 for the first retry
 * @param {{baseMs?: number, capMs?: number, random?: () => number}} [options]
 */
export function backoffDelay(attempt, { baseMs = 500, capMs = 15000, random = Math.random } = {}) {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}

/**
 * Close codes of a server that is going away or shedding load (1001 going away, 1012 restarting,
 * 1013 try again later, 4503 its Redis unreachable) or of a client that flooded it (4429): the
 * reconnect after one waits one doubling longer.
 */
export const BUSY_CLOSE_CODES = new Set([1001, 1012, 1013, 4429, 4503]);

/**
 * Milliseconds before a socket reconnects: full jitter over `spreadMs`·2^failures, capped.
 *
 * The first reconnect after an open socket dropped (`failures` 0) is spread over `spreadMs` too:
 * when a proxy restarts or the network blips, every client drops at the same instant, and a
 * short or fixed first delay would bring them all back within a moment, a storm of handshakes.
 * @param {number} failures handshakes failed in a row since the socket was last open
 * @param {{code?: number, spreadMs?: number, capMs?: number, random?: () => number}} [options]
 */
export function reconnectDelay(failures, { code = 1006, spreadMs = 5000, capMs = 60_000, random = Math.random } = {}) {
  const attempt = Math.min(failures, 6) + (BUSY_CLOSE_CODES.has(code) ? 1 : 0);
  return backoffDelay(attempt, { baseMs: spreadMs, capMs, random });
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
