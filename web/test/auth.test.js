import assert from "node:assert/strict";
import { test } from "node:test";

import { signOutReason } from "../static/web/sdk/auth.js";

test("a refused refresh is explained by what ended the session", () => {
  assert.match(signOutReason("TOKEN_INVALID"), /This device was signed out/);
  assert.match(signOutReason("SESSION_EXPIRED"), /expired/);
  assert.match(signOutReason("TOKEN_REUSED"), /used from somewhere else/);
  assert.doesNotMatch(signOutReason("TOKEN_INVALID"), /expired/);
});
