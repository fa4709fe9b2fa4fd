#!/usr/bin/env bash
# Known vulnerabilities: requirements.lock with pip-audit (pinned in
# requirements-dev.txt, PyPI's advisory data) and each npm lock file (web/,
# web/quality/, tools/clients/) with npm audit. Fails on a vulnerability (npm:
# at or above NPM_AUDIT_LEVEL, default high). When the advisory database
# cannot be reached the report proves nothing: each such scan prints a
# warning (a GitHub annotation in the workflow) saying it was NOT audited,
# and the script fails too when AUDIT_REQUIRE_DATABASE=1.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# The project's venv, else the Python on PATH (the image, the workflow's audit job).
if [[ -z ${BIN:-} ]]; then
  if [[ -x $ROOT/.venv/bin/python ]]; then BIN=$ROOT/.venv/bin; else BIN=$(dirname "$(command -v python3)"); fi
fi
LEVEL=${NPM_AUDIT_LEVEL:-high}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
vulnerable=0 unreachable=0

record() {
  case $1 in
    0) ;;
    1) vulnerable=1 ;;
    *) unreachable=1 ;;
  esac
}

echo "== pip-audit requirements.lock"
"$BIN/pip-audit" --disable-pip --require-hashes -r requirements.lock --progress-spinner off \
  -f json -o "$out/pip.json" 2>"$out/pip.err"
[[ -s $out/pip.json ]] || tail -5 "$out/pip.err"
"$BIN/python" scripts/audit_report.py pip "$out/pip.json"
record $?

for dir in web web/quality tools/clients; do
  echo "== npm audit $dir"
  (cd "$dir" && npm audit --package-lock-only --json >"$out/npm.json" 2>/dev/null)
  "$BIN/python" scripts/audit_report.py npm "$out/npm.json" "$LEVEL" "$dir"
  record $?
done

if ((vulnerable)); then
  echo "known vulnerabilities found" >&2
  exit 1
fi
if ((unreachable)); then
  echo "some lock files were NOT audited: the advisory database could not be reached" >&2
  [[ ${AUDIT_REQUIRE_DATABASE:-0} == 1 ]] && exit 3
fi
exit 0
