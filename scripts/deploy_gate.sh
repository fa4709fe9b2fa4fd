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
body=$(mktemp)
trap 'rm -f "$body"' EXIT
deadline=$(($(date +%s) + timeout))
passes=0
while :; do
  code=$(curl -sS -o "$body" -w '%{http_code}' --max-time 10 "$url" 2>/dev/null) || code=${code:-000}
  status=$(python3 -c '
import json, sys
try:
    answer = json.load(open(sys.argv[1]))
    print(answer.get("data", answer).get("status", ""))
except (ValueError, AttributeError):
    pass
' "$body")
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
    echo "::error::deploy gate: $url not healthy after ${timeout}s (last answer: HTTP $code $(head -c 300 "$body"))" >&2
    exit 1
  fi
  sleep "$interval"
done
