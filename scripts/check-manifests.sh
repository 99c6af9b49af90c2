#!/bin/sh
# Validates deploy/kubernetes offline: kubernetes-validate (every resource against the published Kubernetes
# schemas, strict) and checkov (security policy; skips and their reasons in deploy/kubernetes/checkov.yaml).
# Both come from PyPI, pinned, into .tools/k8s-venv, as scripts/bootstrap.sh installs the Temporal CLI.
set -eu
cd "$(dirname "$0")/.."
KUBERNETES_VALIDATE_VERSION=1.37.0
CHECKOV_VERSION=3.3.30
VENV=.tools/k8s-venv

if ! "$VENV/bin/kubernetes-validate" --version 2>/dev/null | grep -qx "$KUBERNETES_VALIDATE_VERSION" \
  || ! "$VENV/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  echo "check-manifests: installing kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} and checkov ${CHECKOV_VERSION} from PyPI into ${VENV}" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}" "checkov==${CHECKOV_VERSION}" >&2
fi

# kustomization.yaml is kustomize's own file, not a Kubernetes resource: it has no schema to check against.
find deploy/kubernetes -name '*.yaml' ! -name kustomization.yaml ! -name checkov.yaml -print0 \
  | xargs -0 "$VENV/bin/kubernetes-validate" --strict --quiet
echo "check-manifests: kubernetes-validate passed"

# Offline: no platform key, no download of Prisma Cloud's guidelines.
"$VENV/bin/checkov" --config-file deploy/kubernetes/checkov.yaml -d deploy/kubernetes
echo "check-manifests: checkov passed"
