// @ts-check
import { AuthState } from "./auth.js";
import { ApiError } from "./errors.js";
import { createApiClient, createAuthFetch, unwrap, unwrapWithMeta } from "./http.js";
import { LiveClient } from "./live.js";
import { IndexedDbStore, MemoryStore, OfflineQueue } from "./queue.js";

/** @typedef {import("../../../types/api").components["schemas"]} Schemas */
/** @typedef {Schemas["CheckInSubmitRequest"]} CheckInBody */
/** @typedef {import("./queue.js").QueueStore} QueueStore */
/** @typedef {import("./auth.js").KeyValueStore} KeyValueStore */
/** @typedef {(input: Request) => Promise<Response>} FetchLike */

/**
 * The HuCares SDK: auth state, the typed API with retries, live events and the
 * offline check-in queue, wired together.
 */
export class HuCares {
  /**
   * @param {{baseUrl: string, wsUrl?: string, storage: KeyValueStore, fetch?: FetchLike, queueStore?: QueueStore,
   *          WebSocket?: typeof WebSocket, locks?: LockManager | null, sleep?: (ms: number) => Promise<void>, random?: () => number}} options
   */
  constructor({ baseUrl, wsUrl, storage, fetch = (input) => globalThis.fetch(input), queueStore, WebSocket, locks = null, sleep, random }) {
    this.storage = storage;
    this.auth = new AuthState({ baseUrl, storage, fetch, locks });
    this.fetch = createAuthFetch({ auth: this.auth, fetch, sleep, random });
    this.api = createApiClient({ baseUrl, fetch: this.fetch });
    // Queued check-ins are sent once per flush: no extra retries behind the queue's back.
    this.fetchOnce = createAuthFetch({ auth: this.auth, fetch, retries: 0, sleep, random });
    this.queue = new OfflineQueue({
      store: queueStore ?? (globalThis.indexedDB ? new IndexedDbStore() : new MemoryStore()),
      send: (body, key) => this.submitCheckIn(body, key),
    });
    this.live = new LiveClient({
      url: wsUrl ?? `${baseUrl.replace(/^http/, "ws")}/ws/`,
      auth: this.auth,
      poll: (since, wait) => this.pollEvents(since, wait),
      WebSocket,
      random,
    });
  }

  // --- auth -----------------------------------------------------------------------

  /** @param {Schemas["RegisterRequest"]} body */
  async register(body) {
    const result = await unwrap(this.api.POST("/api/v1/auth/register", { body }));
    this.auth.signIn({ accessToken: result.accessToken, refreshToken: result.refreshToken, user: result.user });
    return result.user;
  }

  /** @param {Schemas["LoginRequest"]} body */
  async login(body) {
    const result = await unwrap(this.api.POST("/api/v1/auth/login", { body }));
    this.auth.signIn({ accessToken: result.accessToken, refreshToken: result.refreshToken, user: result.user });
    return result.user;
  }

  async logout() {
    const refreshToken = this.auth.session?.refreshToken;
    try {
      await unwrap(this.api.POST("/api/v1/auth/logout", { body: { refreshToken, all: false } }));
    } finally {
      this.auth.signOut();
    }
  }

  // --- check-ins ----------------------------------------------------------------------

  /**
   * Store a check-in: queued first (with its idempotency key), then sent.
   * @param {CheckInBody} body
   */
  async checkIn(body) {
    const item = await this.queue.add(body);
    await this.queue.flush();
    const left = (await this.queue.list()).find((queued) => queued.key === item.key);
    return { item, sent: !left, queued: left ?? null };
  }

  /** @param {CheckInBody} body @param {string} key */
  submitCheckIn(body, key) {
    return unwrap(this.api.POST("/api/v1/checkins", { body, headers: { "Idempotency-Key": key }, fetch: this.fetchOnce }));
  }

  // --- live ---------------------------------------------------------------------------

  /**
   * One long-poll. Null when the server has no long-poll endpoint.
   * @param {string | null} since @param {number} wait
   * @returns {Promise<{events: {event: string, data?: any, cursor?: string}[], cursor: string} | null>}
   */
  async pollEvents(since, wait) {
    const query = since ? { since, wait } : { wait: 0 };
    try {
      const page = await unwrap(this.api.GET("/api/v1/events", { params: { query } }));
      return { events: /** @type {{event: string, data?: any, cursor?: string}[]} */ (page.events), cursor: page.cursor };
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }
}

export { unwrap, unwrapWithMeta };
