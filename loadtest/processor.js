// Helpers for scenarios.yml: fresh identities, the shared member (made once
// in the `before` section), and the WebSocket connection (a new account
// registered over HTTP, then the socket).
'use strict';

const crypto = require('node:crypto');

const PASSWORD = 'Load-test-2024!';

function newIdentity(context, events, done) {
  const name = `lt_${crypto.randomBytes(6).toString('hex')}`;
  context.vars.username = name;
  context.vars.email = `${name}@example.org`;
  context.vars.password = PASSWORD;
  return done();
}

async function api(target, path, body) {
  const headers = { 'content-type': 'application/json' };
  const response = await fetch(`${target}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()).data;
}

async function register(target) {
  const name = `lt_${crypto.randomBytes(6).toString('hex')}`;
  const auth = await api(target, '/api/v1/auth/register', { username: name, email: `${name}@example.org`, password: PASSWORD });
  return auth.accessToken;
}

function sharedMember(context, events, done) {
  context.vars.token = context.vars.sharedToken;
  context.vars.groupId = context.vars.sharedGroupId;
  return done();
}

// The ws engine's connect hook: a new account, then the socket to /ws/.
function connectSocket(params, context, done) {
  const target = context.vars.target;
  register(target)
    .then((token) => {
      context.vars.token = token;
      params.target = `${target.replace(/^http/, 'ws')}/ws/`;
      params.options = { ...(params.options || {}), headers: { origin: target } };
      done();
    })
    .catch(done);
}

module.exports = { newIdentity, sharedMember, connectSocket };
