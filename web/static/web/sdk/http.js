// @ts-check
import createClient from "../vendor/openapi-fetch/index.mjs";
import { ApiError, errorFromResponse, networkError } from "./errors.js";
import { backoffDelay, retryAfterMs, sleep as realSleep } from "./retry.js";

/** @typedef {import("../../../types/api").paths} paths */
/** @typedef {import("./auth.js").AuthState} AuthState */
/** @typedef {(input: Request) => Promise<Response>} FetchLike */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
// Endpoints that take no bearer token: a stale one would make them fail.
const ANONYMOUS_PATHS = ["login", "register", "refresh", "forgot-password", "reset-password", "verify-email"].map(
  (name) => `/api/v1/auth/${name}`,
);

/** @param {Request} request */
function isAnonymous(request) {
  const path = new URL(request.url).pathname.replace(/\/$/, "");
  return ANONYMOUS_PATHS.includes(path);
}

/** A fresh idempotency key: the server stores the first answer under it for 24 hours. */
export function newIdempotencyKey() {
  return crypto.randomUUID();
}

/**
 * A fetch that signs requests, refreshes the access token, and retries.
 *
 * Unsafe requests carry an `Idempotency-Key` (one is added when missing), so a
 * retry after a lost answer cannot do anything twice; a request without one is
 * never retried after it may have reached the server.
 * @param {{auth: AuthState, fetch?: FetchLike, retries?: number, sleep?: (ms: number) => Promise<void>, random?: () => number}} options
 * @returns {FetchLike}
 */
export function createAuthFetch({ auth, fetch = (input) => globalThis.fetch(input), retries = 4, sleep = realSleep, random = Math.random }) {
  return async function hucaresFetch(input) {
    let request = input;
    if (!SAFE_METHODS.has(request.method) && !request.headers.has("Idempotency-Key") && !isAnonymous(request)) {
      request = withHeader(request, "Idempotency-Key", newIdempotencyKey());
    }
    const replayable = SAFE_METHODS.has(request.method) || request.headers.has("Idempotency-Key");
    let refreshed = false;
    for (let attempt = 0; ; attempt += 1) {
      const token = isAnonymous(request) ? null : await auth.accessToken();
      const signed = token ? withHeader(request.clone(), "Authorization", `Bearer ${token}`) : request.clone();
      let response;
      try {
        response = await fetch(signed);
      } catch (cause) {
        if (!replayable || attempt >= retries) throw networkError(cause);
        await sleep(backoffDelay(attempt, { random }));
        continue;
      }
      if (response.status === 401 && token && !refreshed) {
        const code = await errorCode(response);
        if (code === "TOKEN_INVALID") {
          refreshed = true;
          await auth.refresh(token);
          attempt -= 1; // a refresh is not a retry of a failure
          continue;
        }
        if (code === "TOKEN_REUSED") auth.signOut("Your session was ended. Please sign in again.");
      }
      const retryable = response.status === 429 || (response.status === 503 && replayable);
      if (retryable && attempt < retries) {
        const asked = retryAfterMs(response.headers.get("Retry-After"));
        await sleep(asked ?? backoffDelay(attempt, { random }));
        continue;
      }
      return response;
    }
  };
}

/** @param {Response} response */
async function errorCode(response) {
  try {
    const body = await response.clone().json();
    return body?.error?.code ?? null;
  } catch {
    return null;
  }
}

/** @param {Request} request @param {string} name @param {string} value */
function withHeader(request, name, value) {
  const headers = new Headers(request.headers);
  headers.set(name, value);
  return new Request(request, { headers });
}

/**
 * The typed client: paths, parameters and bodies are checked against the
 * OpenAPI schema by `tsc`.
 * @param {{baseUrl: string, fetch: FetchLike}} options
 */
export function createApiClient({ baseUrl, fetch }) {
  /** @type {import("../vendor/openapi-fetch/index.mjs").Client<paths>} */
  const client = createClient({ baseUrl, fetch });
  return client;
}

/**
 * What `data` holds in the success envelope of an openapi-fetch result.
 * @template R
 * @typedef {R extends {data?: infer E} ? ([NonNullable<E>] extends [never] ? never : NonNullable<E> extends {data: infer T} ? T : null) : never} PayloadOf
 */

/**
 * The payload of a successful envelope, or an ApiError.
 * @template {{error?: unknown, response: Response}} R
 * @param {Promise<R>} pending
 * @returns {Promise<PayloadOf<R>>}
 */
export async function unwrap(pending) {
  let result;
  try {
    result = /** @type {{data?: {data?: unknown}, error?: unknown, response: Response}} */ (await pending);
  } catch (cause) {
    if (cause instanceof ApiError) throw cause;
    throw networkError(cause);
  }
  if (result.response.ok) return /** @type {PayloadOf<R>} */ (result.data?.data ?? null);
  throw errorFromResponse(result.response, result.error);
}

/**
 * A successful envelope with its meta (pagination, summary, unread count).
 * @template {{error?: unknown, response: Response}} R
 * @param {Promise<R>} pending
 * @returns {Promise<{data: PayloadOf<R>, meta: Record<string, any>}>}
 */
export async function unwrapWithMeta(pending) {
  let result;
  try {
    result = /** @type {{data?: {data?: unknown, meta?: unknown}, error?: unknown, response: Response}} */ (await pending);
  } catch (cause) {
    if (cause instanceof ApiError) throw cause;
    throw networkError(cause);
  }
  if (!result.response.ok || !result.data) throw errorFromResponse(result.response, result.error);
  return { data: /** @type {PayloadOf<R>} */ (result.data.data), meta: /** @type {Record<string, any>} */ (result.data.meta ?? {}) };
}
