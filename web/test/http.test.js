import assert from "node:assert/strict";
import { test } from "node:test";

import { SESSION_KEY } from "../static/web/sdk/auth.js";
import { HuCares } from "../static/web/sdk/client.js";
import { ApiError } from "../static/web/sdk/errors.js";
import { unwrap } from "../static/web/sdk/http.js";
import { MemoryStore } from "../static/web/sdk/queue.js";
import { envelope, failure, fakeServer, json, MemoryStorage, noSleep, token } from "./fakes.js";

function client(handler, { session = { accessToken: token("a1"), refreshToken: "r1", user: null }, sleeps = [] } = {}) {
  const storage = new MemoryStorage(session ? { [SESSION_KEY]: JSON.stringify(session) } : {});
  const server = fakeServer(handler);
  const sdk = new HuCares({
    baseUrl: "http://test",
    storage,
    fetch: server.fetch,
    queueStore: new MemoryStore(),
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    WebSocket: class {},
  });
  return { sdk, server, storage, sleeps };
}

test("requests that meet a dead access token share one refresh, then succeed", async () => {
  const fresh = token("a2");
  const { sdk, server } = client((call) => {
    if (call.path === "/api/v1/auth/refresh") return json(200, envelope({ accessToken: fresh, refreshToken: "r2" }));
    const bearer = call.headers.get("Authorization");
    return bearer === `Bearer ${fresh}` ? json(200, envelope([])) : json(401, failure("TOKEN_INVALID"));
  });
  const results = await Promise.all([1, 2, 3].map(() => unwrap(sdk.api.GET("/api/v1/groups"))));
  assert.deepEqual(results, [[], [], []]);
  const refreshes = server.calls.filter((call) => call.path === "/api/v1/auth/refresh");
  assert.equal(refreshes.length, 1);
  assert.deepEqual(refreshes[0].body, { refreshToken: "r1" });
  assert.equal(sdk.auth.session.refreshToken, "r2");
});

test("a token about to expire is refreshed before the request goes out", async () => {
  const fresh = token("a2");
  const { sdk, server } = client(
    (call) => (call.path === "/api/v1/auth/refresh" ? json(200, envelope({ accessToken: fresh, refreshToken: "r2" })) : json(200, envelope([]))),
    { session: { accessToken: token("old", 30), refreshToken: "r1", user: null } },
  );
  await unwrap(sdk.api.GET("/api/v1/groups"));
  assert.deepEqual(server.calls.map((call) => call.path), ["/api/v1/auth/refresh", "/api/v1/groups"]);
  assert.equal(server.calls[1].headers.get("Authorization"), `Bearer ${fresh}`);
});

test("TOKEN_REUSED on refresh signs out with a message", async () => {
  const { sdk } = client((call) =>
    call.path === "/api/v1/auth/refresh" ? json(401, failure("TOKEN_REUSED", "reused")) : json(401, failure("TOKEN_INVALID")),
  );
  const reasons = [];
  sdk.auth.onChange((session, reason) => reasons.push([session, reason]));
  await assert.rejects(unwrap(sdk.api.GET("/api/v1/groups")), (error) => error instanceof ApiError && error.code === "TOKEN_REUSED");
  assert.equal(sdk.auth.session, null);
  assert.match(reasons.at(-1)[1], /sign in again/);
});

test("503 and 429 are retried with backoff, honouring Retry-After", async () => {
  const answers = [json(503, failure("SERVICE_UNAVAILABLE")), json(429, failure("RATE_LIMITED"), { "Retry-After": "3" }), json(200, envelope({ ok: 1 }))];
  const { sdk, server, sleeps } = client(() => answers.shift());
  assert.deepEqual(await unwrap(sdk.api.GET("/api/v1/groups")), { ok: 1 });
  assert.equal(server.calls.length, 3);
  assert.equal(sleeps[1], 3000);
  assert.ok(sleeps[0] >= 250 && sleeps[0] <= 500, `first backoff ${sleeps[0]}`);
});

test("an unsafe request is retried after a network error only with the same Idempotency-Key", async () => {
  let attempts = 0;
  const { sdk, server } = client(() => {
    attempts += 1;
    if (attempts < 3) throw new TypeError("Failed to fetch");
    return json(201, envelope({ id: "g1" }));
  });
  const group = await unwrap(sdk.api.POST("/api/v1/groups", { body: { name: "Runners" } }));
  assert.equal(group.id, "g1");
  const keys = server.calls.map((call) => call.headers.get("Idempotency-Key"));
  assert.equal(keys.length, 3);
  assert.ok(keys[0]);
  assert.equal(new Set(keys).size, 1);
});

test("an anonymous unsafe request without a key is not retried", async () => {
  const { sdk, server } = client(() => {
    throw new TypeError("Failed to fetch");
  }, { session: null });
  await assert.rejects(sdk.login({ email: "a@example.com", password: "x" }), (error) => error.code === "NETWORK_ERROR" && error.status === 0);
  assert.equal(server.calls.length, 1);
  assert.equal(server.calls[0].headers.get("Authorization"), null);
});

test("errors carry the envelope's code, message, field details and request id", async () => {
  const details = [{ field: "name", message: "This field is required." }];
  const { sdk } = client(() => json(400, failure("VALIDATION_ERROR", "Invalid input.", details, "req-42")));
  const error = await unwrap(sdk.api.POST("/api/v1/groups", { body: { name: "" } })).catch((caught) => caught);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 400);
  assert.equal(error.code, "VALIDATION_ERROR");
  assert.equal(error.message, "Invalid input.");
  assert.deepEqual(error.fieldErrors, details);
  assert.equal(error.requestId, "req-42");
});

test("login keeps the tokens where a reload finds them", async () => {
  const user = { id: "u1", username: "alice" };
  const { sdk, storage } = client(() => json(200, envelope({ user, accessToken: token("a"), refreshToken: "r" })), { session: null });
  await sdk.login({ username: "alice", password: "pw" });
  assert.equal(JSON.parse(storage.getItem(SESSION_KEY)).user.username, "alice");
});

test("the long-poll sends the cursor and a 410 surfaces RESYNC_REQUIRED with the latest cursor", async () => {
  const answers = [
    json(200, envelope({ events: [{ event: "notification", data: {}, cursor: "8" }], cursor: "8" })),
    json(410, failure("RESYNC_REQUIRED", "gone", { cursor: "50" })),
  ];
  const { sdk, server } = client(() => answers.shift());
  const page = await sdk.pollEvents("7", 25);
  assert.equal(page.cursor, "8");
  assert.equal(server.calls[0].path, "/api/v1/events?since=7&wait=25");
  const error = await sdk.pollEvents("8", 25).catch((caught) => caught);
  assert.equal(error.code, "RESYNC_REQUIRED");
  assert.equal(error.details.cursor, "50");
});
