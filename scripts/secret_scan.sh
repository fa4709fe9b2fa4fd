#!/usr/bin/env bash
# Secret scanner (detect-secrets, pinned in requirements-dev.txt) over the
# files git tracks in DIR (default: this repository). Fails on any finding
# that the reviewed baseline DIR/.secrets.baseline does not list as a false
# positive ("is_secret": false: test passwords, documentation examples).
#
# After adding a fixture the scanner flags: update the baseline with
#   .venv/bin/detect-secrets scan --baseline .secrets.baseline
# and label the new finding with `.venv/bin/detect-secrets audit .secrets.baseline`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "${1:-$root}" && pwd)
BIN=${BIN:-$root/.venv/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Rescanning a copy keeps the baseline's labels and settings, adds new findings unlabelled.
cp "$dir/.secrets.baseline" "$work/baseline.json"
(cd "$dir" && "$BIN/detect-secrets" scan --baseline "$work/baseline.json")
"$BIN/python" - "$work/baseline.json" <<'PY'
import json
import sys

results = json.load(open(sys.argv[1]))["results"]
found = [
    f"{path}:{item['line_number']}: {item['type']}"
    for path, items in sorted(results.items())
    for item in items
    if item.get("is_secret") is not False
]
for line in found:
    print(f"secret scan: {line}", file=sys.stderr)
if found:
    print(f"secret scan: {len(found)} finding(s) not reviewed in .secrets.baseline", file=sys.stderr)
    sys.exit(1)
print("secret scan: no unreviewed findings")
PY
