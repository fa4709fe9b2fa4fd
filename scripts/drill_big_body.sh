#!/usr/bin/env bash
# Drill: request bodies up to the limit pass through nginx under `make serve`
# (its workers buffer bodies over a few kilobytes in temporary files, which
# must be writable by them even when the stack runs as root), and nginx's own
# errors answer as the API's JSON envelope. Own PostgreSQL and Redis.
source "$(dirname "${BASH_SOURCE[0]}")/drill_lib.sh"

drill_big_body() {
  "$PY" - "$PORT" <<'PY' || return 1
import json, sys, httpx
port = int(sys.argv[1])
base = f"http://127.0.0.1:{port}"
client = httpx.Client(timeout=60)
body = {"username": "drill_big_body", "email": "drill_big_body@example.org", "password": "Drill-pass-2024!"}
token = client.post(f"{base}/api/v1/auth/register", json=body).raise_for_status().json()["data"]["accessToken"]
auth = {"Authorization": f"Bearer {token}"}
# 64 KB: a group with a long description (the app refuses it as invalid, but the app answers).
answer = client.post(f"{base}/api/v1/groups", headers=auth, json={"name": "Big", "description": "x" * 64 * 1024})
assert answer.headers["content-type"].startswith("application/json"), (answer.status_code, answer.text[:200])
assert answer.status_code < 500, (answer.status_code, answer.text[:200])
assert "requestId" in answer.json()["meta"], answer.text[:200]
print(f"64 KB body: {answer.status_code} {answer.json().get('error', {}).get('code', 'created')}")
# 5 MB: an import (json), answered by the app, not by nginx.
rows = [{"groupId": "00000000-0000-4000-8000-000000000000", "weekStartDate": "2026-01-05", "scores": {}}]
payload = json.dumps({"checkIns": rows, "padding": "x" * (5 * 1024 * 1024 - 4096)})
answer = client.post(f"{base}/api/v1/migration/localstorage", headers={**auth, "Content-Type": "application/json"}, content=payload)
assert answer.headers["content-type"].startswith("application/json"), (answer.status_code, answer.text[:200])
assert answer.status_code < 500, (answer.status_code, answer.text[:200])
print(f"5 MB body: {answer.status_code} {answer.json().get('error', {}).get('code', 'ok')}")
# Over nginx's limit: its own 413, as the envelope.
answer = client.post(f"{base}/api/v1/migration/localstorage", headers=auth, content=b"x" * (7 * 1024 * 1024))
assert answer.status_code == 413 and answer.json()["error"]["code"] == "PAYLOAD_TOO_LARGE", answer.text[:200]
# A request line longer than nginx's header buffers: its own 414, as the envelope.
answer = client.get(f"{base}/api/v1/groups?q={'x' * 20000}")
assert answer.status_code == 414 and answer.json()["error"]["code"] == "MALFORMED_REQUEST", answer.text[:200]
print("7 MB body: 413 PAYLOAD_TOO_LARGE; 20 KB request line: 414 MALFORMED_REQUEST")
PY
  printf '\nBIG BODY DRILL PASSED: 64 KB and 5 MB bodies reached the app, nginx errors are JSON\n'
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  stack_start
  drill_big_body
fi
