// @ts-check
import { errorFromResponse, networkError } from "./errors.js";

/** @typedef {import("../../../types/api").components["schemas"]["UserProfile"]} UserProfile */
/** @typedef {{accessToken: string, refreshToken: string, user: UserProfile | null}} Session */
/** @typedef {{getItem(key: string): string | null, setItem(key: string, value: string): void, removeItem(key: string): void}} KeyValueStore */
/** @typedef {(input: Request) => Promise<Response>} FetchLike */

export const SESSION_KEY = "hucares.session";
/** Refresh this long before the access token's `exp`, so no request goes out with a token about to die. */
export const REFRESH_MARGIN_MS = 60_000;

/**
 * The `exp` claim of a JWT in milliseconds, or null when it cannot be read.
 * @param {string} token
 */
export function tokenExpiry(token) {
  try {
    const payload = token.split(".")[1];
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const exp = JSON.parse(json).exp;
    return typeof exp === "number" ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * Tokens and the signed-in user, kept in localStorage so a reload stays signed
 * in. One refresh is in flight at a time in this tab; across tabs a Web Lock
 * serialises them, because refresh tokens rotate and presenting a retired one
 * revokes the whole session.
 */
export class AuthState {
  /**
   * @param {{baseUrl: string, storage: KeyValueStore, fetch: FetchLike, now?: () => number, locks?: LockManager | null}} options
   */
  constructor({ baseUrl, storage, fetch, now = Date.now, locks = null }) {
    this.baseUrl = baseUrl;
    this.storage = storage;
    this.fetch = fetch;
    this.now = now;
    this.locks = locks;
    /** @type {Promise<string> | null} */
    this.inflight = null;
    /** @type {Set<(session: Session | null, reason?: string) => void>} */
    this.listeners = new Set();
  }

  /** @returns {Session | null} */
  get session() {
    const raw = this.storage.getItem(SESSION_KEY);
    if (!raw) return null;
    try {
      return /** @type {Session} */ (JSON.parse(raw));
    } catch {
      return null;
    }
  }

  get signedIn() {
    return this.session !== null;
  }

  /** @param {(session: Session | null, reason?: string) => void} listener */
  onChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @param {Session | null} session @param {string} [reason] */
  #emit(session, reason) {
    for (const listener of this.listeners) listener(session, reason);
  }

  /** @param {Session} session */
  signIn(session) {
    this.storage.setItem(SESSION_KEY, JSON.stringify(session));
    this.#emit(session);
  }

  /** @param {UserProfile} user */
  updateUser(user) {
    const session = this.session;
    if (session) this.storage.setItem(SESSION_KEY, JSON.stringify({ ...session, user }));
  }

  /** @param {string} [reason] a message for the user, when they did not ask to sign out */
  signOut(reason) {
    this.storage.removeItem(SESSION_KEY);
    this.#emit(null, reason);
  }

  /** An access token good for at least the margin, refreshing first if needed. */
  async accessToken() {
    const session = this.session;
    if (!session) return null;
    const expiry = tokenExpiry(session.accessToken);
    if (expiry !== null && expiry - this.now() < REFRESH_MARGIN_MS) return this.refresh(session.accessToken);
    return session.accessToken;
  }

  /**
   * Replace a stale access token. Callers that saw the same stale token share
   * one request; a caller whose token was already replaced gets the new one.
   * @param {string} staleAccessToken
   * @returns {Promise<string>}
   */
  refresh(staleAccessToken) {
    const current = this.session;
    if (current && current.accessToken !== staleAccessToken) return Promise.resolve(current.accessToken);
    if (!this.inflight) {
      const run = () => this.#refreshOnce(staleAccessToken);
      const pending = this.locks ? this.locks.request("hucares-token-refresh", run) : run();
      this.inflight = pending.finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  /** @param {string} staleAccessToken */
  async #refreshOnce(staleAccessToken) {
    const session = this.session;
    if (!session) throw networkError(new Error("signed out"));
    // Another tab may have refreshed while this one waited for the lock.
    if (session.accessToken !== staleAccessToken) return session.accessToken;
    let response;
    try {
      response = await this.fetch(
        new Request(`${this.baseUrl}/api/v1/auth/refresh`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refreshToken: session.refreshToken }),
        }),
      );
    } catch (cause) {
      throw networkError(cause);
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const error = errorFromResponse(response, body);
      if (response.status === 401) this.signOut(signOutReason(error.code));
      throw error;
    }
    const tokens = body.data;
    const next = { ...session, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
    this.storage.setItem(SESSION_KEY, JSON.stringify(next));
    this.#emit(next);
    return next.accessToken;
  }
}

/**
 * Why a refresh was refused, in the user's words. A session that ended on its
 * own is "expired"; one ended by a sign-out elsewhere (the device list, a
 * password change, "sign out everywhere") answers TOKEN_INVALID, and the user
 * should know it was signed out, not that time ran out.
 * @param {string} code
 */
export function signOutReason(code) {
  if (code === "TOKEN_REUSED") return "Your session was ended because it was used from somewhere else. Please sign in again.";
  if (code === "SESSION_EXPIRED") return "Your session has expired. Please sign in again.";
  return "This device was signed out. Sign in again to go on.";
}
