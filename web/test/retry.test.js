import assert from "node:assert/strict";
import { test } from "node:test";

import { BUSY_CLOSE_CODES, backoffDelay, reconnectDelay } from "../static/web/sdk/retry.js";

test("backoff is full jitter: anywhere from 0 up to base·2^attempt, capped", () => {
  assert.equal(backoffDelay(0, { random: () => 0 }), 0);
  assert.equal(backoffDelay(0, { random: () => 1 }), 500);
  assert.equal(backoffDelay(3, { random: () => 0.5 }), 2000);
  assert.equal(backoffDelay(10, { random: () => 1 }), 15000);
});

test("the first reconnect after a drop is spread over the whole window, a busy server's over twice it", () => {
  assert.equal(reconnectDelay(0, { random: () => 0 }), 0);
  assert.equal(reconnectDelay(0, { random: () => 1 }), 5000);
  assert.equal(reconnectDelay(0, { code: 1006, spreadMs: 8000, random: () => 0.5 }), 4000);
  for (const code of BUSY_CLOSE_CODES) assert.equal(reconnectDelay(0, { code, random: () => 1 }), 10000);
});

test("after a failed handshake it backs off on the short scale, doubling, capped", () => {
  assert.equal(reconnectDelay(1, { random: () => 1 }), 1000);
  assert.equal(reconnectDelay(3, { random: () => 1 }), 4000);
  assert.equal(reconnectDelay(3, { code: 1013, random: () => 1 }), 8000);
  assert.equal(reconnectDelay(20, { random: () => 1 }), 30000);
});
