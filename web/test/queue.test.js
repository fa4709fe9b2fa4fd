import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, networkError } from "../static/web/sdk/errors.js";
import { MemoryStore, OfflineQueue } from "../static/web/sdk/queue.js";

const body = { groupId: "g1", productive: 5, satisfied: 5, body: 5, care: 5 };

test("a check-in queued offline is sent once, with its key, when flushed online", async () => {
  const sent = [];
  let online = false;
  const queue = new OfflineQueue({
    store: new MemoryStore(),
    send: async (payload, key) => {
      if (!online) throw networkError(new TypeError("offline"));
      sent.push(key);
      return { id: "c1", ...payload };
    },
  });
  const item = await queue.add(body);
  await queue.flush();
  assert.equal((await queue.list())[0].status, "pending");
  online = true;
  await Promise.all([queue.flush(), queue.flush()]);
  await queue.flush();
  assert.deepEqual(sent, [item.key]);
  assert.deepEqual(await queue.list(), []);
});

test("a conflict is kept and shown, not lost or resent", async () => {
  let calls = 0;
  const queue = new OfflineQueue({
    store: new MemoryStore(),
    send: async () => {
      calls += 1;
      throw new ApiError({ status: 409, code: "DUPLICATE_CHECKIN", message: "Already checked in." });
    },
  });
  await queue.add(body);
  await queue.flush();
  await queue.flush();
  const [item] = await queue.list();
  assert.equal(item.status, "conflict");
  assert.equal(item.error.code, "DUPLICATE_CHECKIN");
  assert.equal(calls, 1);
  await queue.dismiss(item.key);
  assert.deepEqual(await queue.list(), []);
});
