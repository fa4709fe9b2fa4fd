// Fakes for the SDK's unit tests: a server answering Request objects, a storage, a socket.

/** A JWT-shaped token (unsigned: the client only reads `exp`). */
export function token(name, expiresInSeconds = 900) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "HS256" })}.${encode({ exp: Math.floor(Date.now() / 1000) + expiresInSeconds, name })}.sig`;
}

export function envelope(data, meta = {}) {
  return { success: true, data, meta: { requestId: "req-1", ...meta } };
}

export function failure(code, message = code, details = undefined, requestId = "req-err") {
  return { success: false, error: { code, message, details }, meta: { requestId } };
}

export function json(status, body, headers = {}) {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

/** A fetch whose answers come from `handler(request, body)`; every request is recorded. */
export function fakeServer(handler) {
  const calls = [];
  const fetch = async (request) => {
    const text = request.method === "GET" ? "" : await request.clone().text();
    const call = { method: request.method, path: new URL(request.url).pathname + new URL(request.url).search, headers: request.headers, body: text ? JSON.parse(text) : null };
    calls.push(call);
    return handler(call);
  };
  return { fetch, calls };
}

export class MemoryStorage {
  constructor(entries = {}) {
    this.map = new Map(Object.entries(entries));
  }
  getItem(key) {
    return this.map.has(key) ? this.map.get(key) : null;
  }
  setItem(key, value) {
    this.map.set(key, String(value));
  }
  removeItem(key) {
    this.map.delete(key);
  }
}

/** A WebSocket the test drives: `server` frames in, `sent` frames out. */
export class FakeSocket {
  static OPEN = 1;
  static instances = [];
  constructor(url, protocols = []) {
    this.url = url;
    this.protocols = protocols;
    this.protocol = "";
    this.readyState = 0;
    this.sent = [];
    FakeSocket.instances.push(this);
  }
  open(protocol = "") {
    this.protocol = protocol;
    this.readyState = 1;
    this.onopen?.();
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  server(frame) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  close(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

export const noSleep = async () => undefined;

/** Wait until `check()` is true (the SDK schedules work on timers and promises). */
export async function until(check, timeoutMs = 2000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
