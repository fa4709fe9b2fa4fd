#!/usr/bin/env bash
# One command back to the previous image on the Kubernetes overlay ENV:
# every Deployment returns to its previous revision (kubectl rollout undo),
# or to IMAGE when one is given. The schema stays migrated: CI's
# expand/contract check keeps it readable by the previous release.
#   scripts/rollback.sh staging                       # the previous revision
#   scripts/rollback.sh production ghcr.io/<owner>/hucares:<sha>
#   make rollback ENV=production
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
env_name=${1:?usage: rollback.sh ENV [IMAGE]}
image=${2:-}
overlay=$ROOT/deploy/k8s/overlays/$env_name
[[ -f $overlay/kustomization.yaml ]] || { echo "no overlay $overlay" >&2; exit 2; }
namespace=$(awk '/^namespace:/ {print $2}' "$overlay/kustomization.yaml")
deployments=(web ws worker beat)

for deployment in "${deployments[@]}"; do
  if [[ -n $image ]]; then
    kubectl -n "$namespace" set image "deployment/$deployment" "$deployment=$image"
  else
    kubectl -n "$namespace" rollout undo "deployment/$deployment"
  fi
done
for deployment in "${deployments[@]}"; do
  kubectl -n "$namespace" rollout status "deployment/$deployment" --timeout="${ROLLOUT_TIMEOUT:-600s}"
done
kubectl -n "$namespace" get deployments -o 'custom-columns=NAME:.metadata.name,IMAGE:.spec.template.spec.containers[0].image'
if [[ -n ${GATE_URL:-} ]]; then
  "$ROOT/scripts/deploy_gate.sh" "$GATE_URL"
fi
