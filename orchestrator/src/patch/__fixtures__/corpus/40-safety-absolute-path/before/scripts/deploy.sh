#!/usr/bin/env bash
# Roll the api deployment to a new image tag.
set -euo pipefail

ENVIRONMENT="${1:?usage: deploy.sh <staging|production> [tag]}"
TAG="${2:-latest}"
IMAGE="registry.example.com/shop/api:${TAG}"

echo "deploying ${IMAGE} to ${ENVIRONMENT}"
kubectl --context "${ENVIRONMENT}" set image deployment/api "api=${IMAGE}"
kubectl --context "${ENVIRONMENT}" rollout status deployment/api --timeout=180s
echo "done"
