// @ts-check
import { backoffDelay, reconnectDelay, sleep } from "./retry.js";

/**
 * Server → client events and their data: the frames of the WebSocket protocol, generated from
 * docs/asyncapi.yaml into frames.d.ts (`make web-check` fails when they drift), plus the two
 * events this client raises itself, `resync` and `state`.
 * @typedef {import("./frames").ServerFrames} ServerFrames
 * @typedef {{[K in keyof ServerFrames]: ServerFrames[K]["data"]} & {
 *   "resync": {reason: string},
 *   "state": {state: LiveState},
 * }} LiveEvents
 */
/** @typedef {"connecting" | "open" | "polling" | "offline" | "stopped"} LiveState */
/** @typedef {{event: string, data?: any, cursor?: string}} Frame */
/** @typedef {import("./auth.js").AuthState} AuthState */
/** @typedef {(since: string | null, wait: number) => Promise<{events: Frame[], cursor: string} | null>} PollFn */

export const SUBPROTOCOL = "hucares.v1";
export const AUTH_SUBPROTOCOL_PREFIX = "hucares.auth.";

/**
 * One live connection per tab: a WebSocket with heartbeats, reconnects with
 * backoff, resume from the last cursor, and the long-poll when sockets fail.
 * Frames replayed twice (a resume that overlaps live delivery) are dropped by
 * their cursor.
 */
export class LiveClient {
  /**
   * @param {{
   *   url: string, auth: AuthState, poll?: PollFn | null,
   *   WebSocket?: typeof WebSocket, heartbeatMs?: number, heartbeatTimeoutMs?: number,
   *   failuresBeforePolling?: number, reconnectSpreadMs?: number, random?: () => number,
   * }} options `reconnectSpreadMs`: the window the first reconnect after a drop is spread over (retry.js reconnectDelay)
   */
  constructor({ url, auth, poll = null, WebSocket = globalThis.WebSocket, heartbeatMs = 25_000, heartbeatTimeoutMs = 10_000, failuresBeforePolling = 3, reconnectSpreadMs = 5000, random = Math.random }) {
    this.url = url;
    this.auth = auth;
    this.poll = poll;
    this.WebSocketImpl = WebSocket;
    this.heartbeatMs = heartbeatMs;
    this.heartbeatTimeoutMs = heartbeatTimeoutMs;
    this.failuresBeforePolling = failuresBeforePolling;
    this.reconnectSpreadMs = reconnectSpreadMs;
    this.random = random;
    /** @type {string | null} the cursor of the last event handled */
    this.cursor = null;
    /** @type {LiveState} */
    this.state = "stopped";
    /** @type {WebSocket | null} */
    this.socket = null;
    this.failures = 0;
    this.everConnected = false;
    /** @type {Set<string>} groups whose room this tab is in; rejoined after a reconnect */
    this.rooms = new Set();
    /** @type {Map<string, Set<(data: any, frame: Frame) => void>>} */
    this.handlers = new Map();
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.heartbeatTimer = null;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.ackTimer = null;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.reconnectTimer = null;
    this.polling = false;
    this.unsubscribeAuth = auth.onChange((session) => {
      if (!session) this.stop();
      else this.send("authenticate", { token: session.accessToken });
    });
  }

  /**
   * @template {keyof LiveEvents} K
   * @param {K} event
   * @param {(data: LiveEvents[K], frame: Frame) => void} handler
   * @returns {() => void} removes the handler
   */
  on(event, handler) {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** @param {string} event @param {any} data @param {Frame} [frame] */
  #dispatch(event, data, frame) {
    for (const handler of this.handlers.get(event) ?? []) {
      try {
        handler(data, frame ?? { event, data });
      } catch (error) {
        console.error(`handler of ${event} failed`, error);
      }
    }
  }

  /** @param {LiveState} state */
  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.#dispatch("state", { state });
  }

  start() {
    if (this.state !== "stopped") return;
    this.#setState("connecting");
    this.#connect();
  }

  stop() {
    this.#setState("stopped");
    this.polling = false;
    this.#clearTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
  }

  /** Reconnect now (the browser came back online). */
  reconnectNow() {
    if (this.state === "stopped" || this.state === "open") return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.failures = 0;
    this.#connect();
  }

  /** @param {string} event @param {Record<string, unknown>} data */
  send(event, data) {
    if (this.socket && this.socket.readyState === this.WebSocketImpl.OPEN && this.state === "open") {
      this.socket.send(JSON.stringify({ event, data }));
      return true;
    }
    return false;
  }

  /** @param {string} groupId */
  joinGroup(groupId) {
    this.rooms.add(groupId);
    this.send("join-group", { groupId });
  }

  /** @param {string} groupId */
  leaveGroup(groupId) {
    this.rooms.delete(groupId);
    this.send("leave-group", { groupId });
  }

  /** @param {string} groupId @param {boolean} isTyping */
  typing(groupId, isTyping) {
    this.send("user-typing", { groupId, isTyping });
  }

  #clearTimers() {
    for (const timer of [this.heartbeatTimer, this.ackTimer, this.reconnectTimer]) if (timer) clearTimeout(timer);
    this.heartbeatTimer = this.ackTimer = this.reconnectTimer = null;
  }

  async #connect() {
    const token = await this.auth.accessToken().catch(() => null);
    if (this.state === "stopped") return;
    if (!token) {
      this.#scheduleReconnect();
      return;
    }
    this.#setState(this.polling ? "polling" : "connecting");
    const url = this.cursor ? `${this.url}?since=${encodeURIComponent(this.cursor)}` : this.url;
    // The token rides in a subprotocol, never in the URL (which servers and proxies log).
    const socket = new this.WebSocketImpl(url, [SUBPROTOCOL, `${AUTH_SUBPROTOCOL_PREFIX}${token}`]);
    this.socket = socket;
    let connected = false;
    socket.onopen = () => {
      // A server that did not pick hucares.v1 did not read the token: authenticate by frame.
      if (socket.protocol !== SUBPROTOCOL) socket.send(JSON.stringify({ event: "authenticate", data: { token } }));
    };
    socket.onmessage = (message) => {
      let frame;
      try {
        frame = JSON.parse(String(message.data));
      } catch {
        return;
      }
      if (frame.event === "connected") {
        connected = true;
        this.#onConnected(frame);
      } else {
        this.#handleFrame(frame);
      }
    };
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.#clearTimers();
      if (this.state === "stopped") return;
      if (!connected) this.failures += 1;
      if (close.code === 4401) {
        // The token died: renew it before the next handshake.
        this.auth.refresh(token).catch(() => undefined);
      }
      if (this.failures >= this.failuresBeforePolling && this.poll && !this.polling) this.#startPolling();
      this.#scheduleReconnect(close.code);
    };
  }

  /** @param {Frame} frame */
  #onConnected(frame) {
    const resumed = this.everConnected;
    this.failures = 0;
    this.polling = false;
    this.#setState("open");
    const serverCursor = frame.data?.cursor ?? null;
    if (!this.cursor && serverCursor) this.cursor = serverCursor;
    for (const groupId of this.rooms) this.send("join-group", { groupId });
    this.#scheduleHeartbeat();
    this.#dispatch("connected", frame.data, frame);
    // Without cursors the server cannot replay what was missed: refetch instead.
    if (resumed && !serverCursor) this.#dispatch("resync", { reason: "reconnected" });
    this.everConnected = true;
  }

  /** @param {Frame} frame */
  #handleFrame(frame) {
    if (frame.event === "heartbeat-ack" && this.ackTimer) {
      clearTimeout(this.ackTimer);
      this.ackTimer = null;
    }
    if (frame.event === "resync-required") {
      this.cursor = frame.data?.cursor ?? null;
      this.#dispatch("resync", { reason: "resync-required" });
      return;
    }
    if (frame.cursor !== undefined) {
      if (this.cursor !== null && BigInt(frame.cursor) <= BigInt(this.cursor)) return;
      this.cursor = frame.cursor;
    }
    this.#dispatch(frame.event, frame.data, frame);
  }

  #scheduleHeartbeat() {
    this.heartbeatTimer = setTimeout(() => {
      if (!this.send("heartbeat", {})) return;
      // No answer in time: the connection is dead even if the browser has not noticed.
      this.ackTimer = setTimeout(() => this.socket?.close(4000), this.heartbeatTimeoutMs);
      this.#scheduleHeartbeat();
    }, this.heartbeatMs);
  }

  /** @param {number} [code] the close code of the socket that dropped */
  #scheduleReconnect(code) {
    if (this.state === "stopped" || this.reconnectTimer) return;
    if (!this.polling) this.#setState("offline");
    // The first reconnect after a drop is spread over reconnectSpreadMs, then the short scale
    // (retry.js); a socket that never opened is on the short scale from the start.
    const spreadMs = this.everConnected ? this.reconnectSpreadMs : 500;
    const delay = reconnectDelay(this.failures, { code, spreadMs, random: this.random });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.#connect();
    }, delay);
  }

  async #startPolling() {
    const poll = this.poll;
    if (!poll) return;
    this.polling = true;
    this.#setState("polling");
    let errors = 0;
    while (this.polling && this.state !== "stopped") {
      try {
        const result = await poll(this.cursor, 25);
        if (result === null) break; // the server has no long-poll endpoint
        errors = 0;
        for (const frame of result.events) this.#handleFrame(frame);
        if (this.cursor === null || BigInt(result.cursor) > BigInt(this.cursor)) this.cursor = result.cursor;
      } catch (error) {
        const resync = /** @type {{code?: string, details?: any}} */ (error);
        if (resync.code === "RESYNC_REQUIRED") {
          this.cursor = resync.details?.cursor ?? null;
          this.#dispatch("resync", { reason: "resync-required" });
          continue;
        }
        errors += 1;
        await sleep(backoffDelay(Math.min(errors, 6), { random: this.random }));
      }
    }
    this.polling = false;
  }
}
