import assert from "node:assert/strict";
import { test } from "node:test";

import { AuthState, SESSION_KEY } from "../static/web/sdk/auth.js";
import { LiveClient } from "../static/web/sdk/live.js";
import { FakeSocket, MemoryStorage, token, until } from "./fakes.js";

function live(options = {}) {
  FakeSocket.instances = [];
  const access = token("a1");
  const storage = new MemoryStorage({ [SESSION_KEY]: JSON.stringify({ accessToken: access, refreshToken: "r", user: null }) });
  const auth = new AuthState({ baseUrl: "http://test", storage, fetch: async () => new Response("{}") });
  const client = new LiveClient({ url: "ws://test/ws/", auth, WebSocket: FakeSocket, random: () => 0, ...options });
  return { client, access };
}

test("offers the token as a subprotocol and sends no frame when the server picks hucares.v1", async () => {
  const { client, access } = live();
  client.start();
  await until(() => FakeSocket.instances.length === 1);
  const socket = FakeSocket.instances[0];
  assert.deepEqual(socket.protocols, ["hucares.v1", `hucares.auth.${access}`]);
  assert.ok(!socket.url.includes(access));
  socket.open("hucares.v1");
  assert.deepEqual(socket.sent, []);
  socket.server({ event: "connected", data: { userId: "u", cursor: "1" } });
  assert.equal(client.state, "open");
  client.stop();
});

test("authenticates by frame when the server picks no subprotocol, resumes from the last cursor and drops replayed frames", async () => {
  const { client, access } = live();
  const seen = [];
  client.on("friend-checked-in", (data) => seen.push(data.checkInId));
  client.joinGroup("g1");
  client.start();
  await until(() => FakeSocket.instances.length === 1);
  const first = FakeSocket.instances[0];
  assert.equal(first.url, "ws://test/ws/");
  first.open();
  assert.deepEqual(first.sent[0], { event: "authenticate", data: { token: access } });
  first.server({ event: "connected", data: { userId: "u", sessionId: "s", serverTime: "t", cursor: "10" } });
  assert.deepEqual(first.sent[1], { event: "join-group", data: { groupId: "g1" } });
  first.server({ event: "friend-checked-in", data: { checkInId: "c11" }, cursor: "11" });
  first.close(1006);

  await until(() => FakeSocket.instances.length === 2);
  const second = FakeSocket.instances[1];
  assert.equal(second.url, "ws://test/ws/?since=11");
  second.open();
  second.server({ event: "connected", data: { userId: "u", sessionId: "s2", serverTime: "t", cursor: "12" } });
  second.server({ event: "friend-checked-in", data: { checkInId: "c11" }, cursor: "11" });
  second.server({ event: "friend-checked-in", data: { checkInId: "c12" }, cursor: "12" });
  assert.deepEqual(seen, ["c11", "c12"]);
  assert.deepEqual(second.sent.at(-1), { event: "join-group", data: { groupId: "g1" } });
  client.stop();
});

test("a server without cursors or a resync-required frame asks the app to refetch", async () => {
  const { client } = live();
  const resyncs = [];
  client.on("resync", (data) => resyncs.push(data.reason));
  client.start();
  await until(() => FakeSocket.instances.length === 1);
  FakeSocket.instances[0].open();
  FakeSocket.instances[0].server({ event: "connected", data: { userId: "u" } });
  FakeSocket.instances[0].close(1006);
  await until(() => FakeSocket.instances.length === 2);
  FakeSocket.instances[1].open();
  FakeSocket.instances[1].server({ event: "connected", data: { userId: "u" } });
  FakeSocket.instances[1].server({ event: "resync-required", data: { cursor: "99" } });
  assert.deepEqual(resyncs, ["reconnected", "resync-required"]);
  assert.equal(client.cursor, "99");
  client.stop();
});

test("after repeated socket failures it long-polls from the cursor", async () => {
  const polls = [];
  const { client } = live({
    failuresBeforePolling: 2,
    poll: async (since, wait) => {
      polls.push([since, wait]);
      if (polls.length === 1) return { events: [{ event: "notification", data: { id: "n1" }, cursor: "5" }], cursor: "5" };
      client.stop();
      return { events: [], cursor: "5" };
    },
  });
  const notes = [];
  client.on("notification", (data) => notes.push(data.id));
  client.start();
  await until(() => FakeSocket.instances.length === 1);
  FakeSocket.instances[0].close(1006);
  await until(() => FakeSocket.instances.length === 2);
  FakeSocket.instances[1].close(1006);
  await until(() => polls.length === 2);
  assert.deepEqual(notes, ["n1"]);
  assert.deepEqual(polls, [[null, 25], ["5", 25]]);
});

test("heartbeats are sent and a silent connection is closed", async () => {
  const { client } = live({ heartbeatMs: 10, heartbeatTimeoutMs: 20 });
  client.start();
  await until(() => FakeSocket.instances.length === 1);
  const socket = FakeSocket.instances[0];
  socket.open();
  socket.server({ event: "connected", data: { userId: "u", cursor: "1" } });
  await until(() => socket.sent.some((frame) => frame.event === "heartbeat"));
  await until(() => FakeSocket.instances.length === 2);
  assert.equal(socket.readyState, 3);
  client.stop();
});

/** Reconnect delays asked of setTimeout while `action` runs (the timers themselves never fire). */
async function reconnectDelays(t, action) {
  const delays = [];
  t.mock.method(globalThis, "setTimeout", (_callback, ms) => {
    delays.push(ms);
    return 0;
  });
  await action();
  t.mock.restoreAll();
  return delays;
}

async function openClients(count) {
  const clients = Array.from({ length: count }, () => live({ random: Math.random }).client);
  FakeSocket.instances = [];
  for (const client of clients) client.start();
  await until(() => FakeSocket.instances.length === count);
  FakeSocket.instances.forEach((socket, i) => {
    socket.open("hucares.v1");
    socket.server({ event: "connected", data: { userId: `u${i}`, cursor: "1" } });
  });
  return clients.map((client, i) => ({ client, socket: FakeSocket.instances[i] }));
}

for (const [why, code, window] of [
  ["a dropped network or proxy (1006)", 1006, 5000],
  ["a restarting server (1012)", 1012, 10000],
]) {
  test(`1,000 clients dropped at once by ${why} come back spread over ${window / 1000} s, not at once`, async (t) => {
    const clients = await openClients(1000);
    const delays = await reconnectDelays(t, () => {
      for (const { socket } of clients) socket.close(code);
    });
    for (const { client } of clients) client.stop();
    assert.equal(delays.length, 1000);
    assert.ok(delays.every((ms) => ms >= 0 && ms <= window), `delays outside [0, ${window}]`);
    // Full jitter: about as many in each tenth of the window; none comes close to all at t+0.
    const tenths = Array.from({ length: 10 }, (_, i) => delays.filter((ms) => Math.min(9, Math.floor((ms / window) * 10)) === i).length);
    assert.ok(Math.max(...tenths) < 200, `reconnects per tenth of the window: ${tenths}`);
    assert.ok(Math.min(...tenths) > 40, `reconnects per tenth of the window: ${tenths}`);
  });
}

test("a socket that never opened retries on the short scale, to reach the long-poll soon", async (t) => {
  const { client } = live({ random: () => 1 });
  client.start();
  await until(() => FakeSocket.instances.length === 1);
  const delays = await reconnectDelays(t, () => FakeSocket.instances[0].close(1006));
  client.stop();
  assert.deepEqual(delays, [1000]);
});
