#!/usr/bin/env bash
# The deploy gate: GET BASE_URL/api/v1/health until it answers 200 with status
# "ok" GATE_PASSES times in a row (a fresh pod and an old one may share the
# address); fails after GATE_TIMEOUT seconds with the last answer. Used by
# scripts/deploy_k8s.sh, scripts/rollback.sh and the workflow's deploy job.
#   scripts/deploy_gate.sh https://staging.hucares.example
set -euo pipefail
base=${1:?usage: deploy_gate.sh BASE_URL}
url=${base%/}/api/v1/health
timeout=${GATE_TIMEOUT:-300}
interval=${GATE_INTERVAL:-5}
need=${GATE_PASSES:-3}
PY=${PYTHON:-python3}
deadline=$(($(date +%s) + timeout))
passes=0
# One probe: prints the HTTP status (000 when nothing answered), the body's
# status field, and the start of the body.
probe() {
  "$PY" - "$url" <<'PYTHON'
import json, sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as answer:
        code, body = answer.status, answer.read()
except urllib.error.HTTPError as error:
    code, body = error.code, error.read()
except (OSError, ValueError) as error:
    code, body = 0, str(error).encode()
try:
    parsed = json.loads(body)
    status = parsed.get("data", parsed).get("status", "")
except (ValueError, AttributeError):
    status = ""
print(f"{code:03d}", status or "-", body[:300].decode(errors="replace").replace("\n", " "))
PYTHON
}
while :; do
  read -r code status last < <(probe)
  if [[ $code == 200 && $status == ok ]]; then
    passes=$((passes + 1))
    if ((passes >= need)); then
      echo "deploy gate: $url healthy, $need answers in a row"
      exit 0
    fi
  else
    passes=0
  fi
  if (($(date +%s) >= deadline)); then
    echo "::error::deploy gate: $url not healthy after ${timeout}s (last answer: HTTP $code $last)" >&2
    exit 1
  fi
  sleep "$interval"
done
