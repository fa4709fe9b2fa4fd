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
 * Milliseconds before a socket reconnects, with full jitter.
 *
 * The first reconnect after an open socket dropped (`failures` 0) is at a random instant within
 * `spreadMs` (twice that after a busy server's close): when a proxy restarts or the network
 * blips, every client drops at the same instant, and a short or fixed first delay would bring
 * them all back within a moment, a storm of handshakes. After a failed handshake it backs off on
 * the short scale, `baseMs`·2^failures capped, as each client's failures fall at its own time.
 * @param {number} failures handshakes failed in a row since the socket was last open
 * @param {{code?: number, spreadMs?: number, baseMs?: number, capMs?: number, random?: () => number}} [options]
 */
export function reconnectDelay(failures, { code = 1006, spreadMs = 5000, baseMs = 500, capMs = 30_000, random = Math.random } = {}) {
  const busy = BUSY_CLOSE_CODES.has(code) ? 1 : 0;
  if (failures === 0) return backoffDelay(busy, { baseMs: spreadMs, capMs: Math.max(capMs, spreadMs * 2), random });
  return backoffDelay(Math.min(failures, 6) + busy, { baseMs, capMs, random });
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
