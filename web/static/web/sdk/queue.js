// @ts-check
import { ApiError } from "./errors.js";
import { newIdempotencyKey } from "./http.js";

/** @typedef {import("../../../types/api").components["schemas"]["CheckInSubmitRequest"]} CheckInBody */
/** @typedef {import("../../../types/api").components["schemas"]["CheckIn"]} CheckIn */
/**
 * A check-in waiting to reach the server. `key` is its Idempotency-Key: every
 * attempt sends the same one, so however often it is sent it is stored once.
 * @typedef {{key: string, body: CheckInBody, createdAt: string, status: "pending" | "conflict", error?: {code: string, message: string, details?: unknown}}} QueuedCheckIn
 */
/**
 * @typedef {{all(): Promise<QueuedCheckIn[]>, put(item: QueuedCheckIn): Promise<void>, delete(key: string): Promise<void>}} QueueStore
 */

/** Errors that sending again cannot fix: shown to the user, kept until dismissed. */
const CONFLICTS = new Set(["DUPLICATE_CHECKIN", "CHECKIN_PERIOD_CLOSED", "VALIDATION_ERROR", "NOT_FOUND"]);

/** The queue kept in IndexedDB, so a reload or a closed tab loses nothing. */
export class IndexedDbStore {
  /** @param {string} [name] */
  constructor(name = "hucares") {
    /** @type {Promise<IDBDatabase>} */
    this.db = new Promise((resolve, reject) => {
      const open = indexedDB.open(name, 1);
      open.onupgradeneeded = () => open.result.createObjectStore("checkins", { keyPath: "key" });
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  }

  /**
   * @template T
   * @param {IDBTransactionMode} mode
   * @param {(store: IDBObjectStore) => IDBRequest<T>} action
   * @returns {Promise<T>}
   */
  async #run(mode, action) {
    const db = await this.db;
    return new Promise((resolve, reject) => {
      const request = action(db.transaction("checkins", mode).objectStore("checkins"));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async all() {
    const items = /** @type {QueuedCheckIn[]} */ (await this.#run("readonly", (store) => store.getAll()));
    return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** @param {QueuedCheckIn} item */
  async put(item) {
    await this.#run("readwrite", (store) => store.put(item));
  }

  /** @param {string} key */
  async delete(key) {
    await this.#run("readwrite", (store) => store.delete(key));
  }
}

/** The same queue in memory (tests, and browsers without IndexedDB). */
export class MemoryStore {
  constructor() {
    /** @type {Map<string, QueuedCheckIn>} */
    this.items = new Map();
  }
  async all() {
    return [...this.items.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
  /** @param {QueuedCheckIn} item */
  async put(item) {
    this.items.set(item.key, structuredClone(item));
  }
  /** @param {string} key */
  async delete(key) {
    this.items.delete(key);
  }
}

/**
 * Check-ins are written here first and then sent, so one made offline waits,
 * shown as pending, and goes out once when the browser is back online.
 */
export class OfflineQueue {
  /**
   * @param {{store: QueueStore, send: (body: CheckInBody, key: string) => Promise<CheckIn>, now?: () => Date}} options
   */
  constructor({ store, send, now = () => new Date() }) {
    this.store = store;
    this.send = send;
    this.now = now;
    /** @type {Promise<CheckIn[]> | null} */
    this.flushing = null;
    /** @type {Set<() => void>} */
    this.listeners = new Set();
  }

  /** @param {() => void} listener */
  onChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  #changed() {
    for (const listener of this.listeners) listener();
  }

  /** @param {CheckInBody} body */
  async add(body) {
    /** @type {QueuedCheckIn} */
    const item = { key: newIdempotencyKey(), body, createdAt: this.now().toISOString(), status: "pending" };
    await this.store.put(item);
    this.#changed();
    return item;
  }

  list() {
    return this.store.all();
  }

  /** @param {string} key */
  async dismiss(key) {
    await this.store.delete(key);
    this.#changed();
  }

  /** Send every pending check-in once; one flush at a time. @returns {Promise<CheckIn[]>} what was stored */
  flush() {
    if (!this.flushing) {
      this.flushing = this.#flush().finally(() => {
        this.flushing = null;
      });
    }
    return this.flushing;
  }

  async #flush() {
    /** @type {CheckIn[]} */
    const sent = [];
    for (const item of await this.store.all()) {
      if (item.status !== "pending") continue;
      try {
        sent.push(await this.send(item.body, item.key));
        await this.store.delete(item.key);
      } catch (error) {
        if (!(error instanceof ApiError) || !CONFLICTS.has(error.code)) break; // offline or server trouble: later
        await this.store.put({ ...item, status: "conflict", error: { code: error.code, message: error.message, details: error.details } });
      }
      this.#changed();
    }
    return sent;
  }
}
