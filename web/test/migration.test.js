import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { countCheckIns, forgetOldKeys, OLD_KEYS, parseExportFile, readOldKeys } from "../static/web/sdk/migration.js";
import { MemoryStorage } from "./fakes.js";

const rawKeys = JSON.parse(readFileSync(new URL("../tests/fixtures/raw-keys-newyork.json", import.meta.url), "utf8"));
const exportFile = readFileSync(new URL("../tests/fixtures/export-berlin.json", import.meta.url), "utf8");

test("the old app's keys are read as the raw key map, untouched", () => {
  const storage = new MemoryStorage({ ...rawKeys, unrelated: "x" });
  const found = readOldKeys(storage);
  assert.deepEqual(Object.keys(found).sort(), Object.keys(rawKeys).sort());
  assert.equal(countCheckIns(found), JSON.parse(rawKeys.hucares_check_ins).length);
  assert.equal(storage.getItem("hucares_check_ins"), rawKeys.hucares_check_ins);
  assert.equal(readOldKeys(new MemoryStorage()), null);
});

test("an export file is accepted; anything else gets a message saying what to pick", () => {
  assert.equal(countCheckIns(parseExportFile(exportFile)), JSON.parse(exportFile).checkIns.length);
  assert.throws(() => parseExportFile("not json"), /not JSON/);
  assert.throws(() => parseExportFile("[1, 2]"), /does not look like/);
  assert.throws(() => parseExportFile('{"hello": 1}'), /no HuCares check-ins/);
});

test("the old keys go only when asked", () => {
  const storage = new MemoryStorage({ ...rawKeys, unrelated: "x" });
  forgetOldKeys(storage);
  for (const key of OLD_KEYS) assert.equal(storage.getItem(key), null);
  assert.equal(storage.getItem("unrelated"), "x");
});
