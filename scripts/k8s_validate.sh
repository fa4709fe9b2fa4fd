#!/usr/bin/env bash
# Offline check of the Kubernetes manifests (deploy/k8s/): every overlay, and
# its migration Job, is built with kustomize (the one inside kubectl) and each
# resource validated against the Kubernetes API schemas with
# kubernetes-validate (PyPI, pinned in requirements-dev.txt), strictly: an
# unknown field fails too. No cluster is needed. OUT=dir keeps the rendered
# YAML (tests/test_k8s_manifests.py reads it); K8S_DIR=dir checks another tree.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VALIDATE=${VALIDATE:-$ROOT/.venv/bin/kubernetes-validate}
# The Kubernetes minor version the manifests must fit (kubernetes-validate -k).
K8S_VERSION=${K8S_VERSION:-1.32.0}
command -v kubectl >/dev/null || { echo "kubectl (with its built-in kustomize) is required" >&2; exit 1; }
K8S_DIR=${K8S_DIR:-$ROOT/deploy/k8s}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"

status=0
for overlay in "$K8S_DIR"/overlays/*/; do
  for dir in "$overlay" "$overlay/migrate"; do
    name=$(basename "$overlay")$([[ $dir == */migrate ]] && echo -migrate || true)
    kubectl kustomize "$dir" >"$OUT/$name.yaml"
    if "$VALIDATE" --strict --quiet -k "$K8S_VERSION" "$OUT/$name.yaml"; then
      echo "$name: $(grep -c '^kind:' "$OUT/$name.yaml") resources valid"
    else
      status=1
    fi
  done
done
exit $status
