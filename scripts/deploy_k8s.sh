#!/usr/bin/env bash
# Deploy IMAGE to the Kubernetes overlay ENV (staging or production) with the
# cluster of the current kubectl context (KUBECONFIG):
#   1. the migration Job with the new image, waited for (expand steps only:
#      CI's `make migrations-check`, so the running release keeps working);
#   2. the overlay with the new image (rolling updates; beat is recreated);
#   3. every Deployment's rollout, then the health gate
#      (scripts/deploy_gate.sh) on GATE_URL when it is set.
# A failed rollout or gate rolls the Deployments back to their previous
# image (scripts/rollback.sh) and fails.
#   scripts/deploy_k8s.sh staging ghcr.io/<owner>/hucares:<sha>
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
env_name=${1:?usage: deploy_k8s.sh ENV IMAGE}
image=${2:?usage: deploy_k8s.sh ENV IMAGE}
overlay=$ROOT/deploy/k8s/overlays/$env_name
[[ -f $overlay/kustomization.yaml ]] || { echo "no overlay $overlay" >&2; exit 2; }
namespace=$(awk '/^namespace:/ {print $2}' "$overlay/kustomization.yaml")
ROLLOUT_TIMEOUT=${ROLLOUT_TIMEOUT:-600s}
MIGRATE_TIMEOUT=${MIGRATE_TIMEOUT:-900}

# The overlay with the image set, as kustomize's own `images` transformer
# does it: a throwaway kustomization that names the overlay by a relative
# path (kustomize refuses absolute ones).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
with_image() {
  local dir=$work/$1
  mkdir -p "$dir"
  cat >"$dir/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(python3 -c 'import os, sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$2" "$dir")
images:
  - name: hucares
    newName: ${image%:*}
    newTag: ${image##*:}
YAML
  echo "$dir"
}

echo "== migrations ($image)"
kubectl -n "$namespace" delete job migrate --ignore-not-found --wait=true
kubectl apply -k "$(with_image migrate "$overlay/migrate")"
deadline=$(($(date +%s) + MIGRATE_TIMEOUT))
until [[ $(kubectl -n "$namespace" get job migrate -o 'jsonpath={.status.succeeded}') == 1 ]]; do
  if [[ $(kubectl -n "$namespace" get job migrate -o 'jsonpath={.status.failed}') -ge 1 ]] || (($(date +%s) > deadline)); then
    kubectl -n "$namespace" logs job/migrate --tail=100 || true
    echo "::error::migrations failed; nothing else was changed" >&2
    exit 1
  fi
  sleep 5
done

echo "== apply $env_name"
kubectl apply -k "$(with_image app "$overlay")"
healthy=1
for deployment in web ws worker beat; do
  kubectl -n "$namespace" rollout status "deployment/$deployment" --timeout="$ROLLOUT_TIMEOUT" || healthy=0
done
if ((healthy)) && [[ -n ${GATE_URL:-} ]]; then
  "$ROOT/scripts/deploy_gate.sh" "$GATE_URL" || healthy=0
fi
if ((!healthy)); then
  echo "::error::$image did not become healthy on $env_name: rolling back" >&2
  "$ROOT/scripts/rollback.sh" "$env_name"
  exit 1
fi
echo "deployed $image to $env_name"
