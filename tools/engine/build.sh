#!/usr/bin/env bash
# Builds the Pulumi CLI and the resource plugins the stack uses into a cache outside the repository: the CLI
# from the Go module proxy at the version package-lock.json pins for @pulumi/pulumi; from the modules in
# tools/engine/providers/, random and tls (their upstream Terraform providers through
# pulumi-terraform-bridge) and the test providers command, digitalocean and cloudflare (written here on
# pulumi-go-provider; the proxy serves none of their real providers), labelled with the versions
# package-lock.json pins for their npm packages. Each piece is rebuilt only when its pin, its module or the Go toolchain changes. A piece that
# cannot be built is recorded as blocked, with the exact command and error, and the rest still build.
#
# Prints key=value lines: bin_dir (the CLI, for PATH), pulumi_home (PULUMI_HOME: the plugins at their
# versions), env_file (the same, to source in a shell) and one `blocked=NAME FILE` line for each piece
# that could not be built, FILE holding the command and the error.
# Exit status: 0 when the CLI built, even if some plugins are blocked.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cache_root=${ENGINE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jupyterhub-classroom/engine}
go_version=$(go env GOVERSION)

# The checksum database is not reachable from here (only the module proxy is), so sums come from the proxy.
export GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local

# shellcheck disable=SC2016 # the single-quoted text is JavaScript, expanded by node
npm_version() {
  node -e 'const lock = require(process.argv[1]); const p = lock.packages["node_modules/" + process.argv[2]];
    if (!p) { console.error(`${process.argv[2]} is not in package-lock.json`); process.exit(1); }
    console.log(p.version);' "$repo/package-lock.json" "$1"
}

# The module's own go.mod replaces a dependency only for its own builds; a wrapper module that requires
# it has to repeat the replacements. Local-path ones (../sdk) point into the same repository, whose
# modules the wrapper requires at the same pinned version instead.
copy_replaces() {
  local gomod=$1
  awk '
    /^replace \(/ { block = 1; next }
    block && /^\)/ { block = 0; next }
    block { line = $0 } !block && /^replace / { line = substr($0, 9) }
    line != "" {
      split(line, parts, "=>"); target = parts[2]; gsub(/^[ \t]+|[ \t]+$/, "", target)
      if (target !~ /^\.\.?\//) print "replace " line
      line = ""
    }' "$gomod"
}

# module_field FIELD MODULE@VERSION — a field of `go mod download -json` (GoMod), or its error.
# shellcheck disable=SC2016 # the single-quoted text is JavaScript, expanded by node
module_field() {
  go mod download -json "$2" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const m = JSON.parse(s); if (m.Error) { console.error(m.Error); process.exit(1); }
      const v = process.argv[1].split(".").reduce((o, k) => o?.[k], m);
      if (!v) { console.error(`no ${process.argv[1]} for ${m.Path}@${m.Version}`); process.exit(1); }
      console.log(v); });' "$1"
}

# cached NAME VERSION KEY_TEXT RECIPE [ARGS…] — prints the directory that holds the binary NAME, or records
# why not in NAME-VERSION.blocked and fails. The binary is rebuilt only when KEY_TEXT or the Go toolchain
# changes: `RECIPE WORK NAME ARGS…` builds WORK/NAME in the empty scratch directory WORK, setting `step` to
# the command it is at, for the record.
cached() {
  local name=$1 version=$2 key_text=$3 recipe=$4
  shift 4
  local key dir log work step="" start=$SECONDS
  key=$(printf '%s\n' "$key_text" "$go_version" | sha256sum | cut -c1-16)
  dir="$cache_root/$name-$version-$key"
  if [[ -x "$dir/$name" ]]; then
    echo "$name $version: cached ($(cat "$dir/build-seconds") s to build)" >&2
    echo "$dir"
    return 0
  fi
  mkdir -p "$cache_root"
  log="$cache_root/$name-$version.log"
  rm -f "$cache_root/$name-$version.blocked"
  work=$(mktemp -d)
  if ! "$recipe" "$work" "$name" "$@" >"$log" 2>&1; then
    { echo "command: $step"; echo "error:"; tail -n 20 "$log"; } >"$cache_root/$name-$version.blocked"
    echo "$name $version: BLOCKED at '$step' — see $cache_root/$name-$version.blocked" >&2
    rm -rf "$work"
    return 1
  fi
  mkdir -p "$dir"
  mv "$work/$name" "$dir/$name"
  echo $((SECONDS - start)) >"$dir/build-seconds"
  rm -rf "$work"
  echo "$name $version: built in $(cat "$dir/build-seconds") s" >&2
  echo "$dir"
}

# from_proxy WORK NAME MODULE PACKAGE VERSION LDFLAGS — a recipe: builds PACKAGE of MODULE at VERSION in a
# throwaway wrapper module (Go refuses `go install mod@version` for modules with replace directives).
from_proxy() {
  local work=$1 name=$2 module=$3 package=$4 version=$5 ldflags=$6
  local gomod
  step="(in a wrapper module) go mod download -json $module@$version"
  gomod=$(cd "$work" && module_field GoMod "$module@$version") || return 1
  (cd "$work" && go mod init example.invalid/engine-wrapper && copy_replaces "$gomod" >>go.mod) &&
    step="(in a wrapper module) go get $package@$version" &&
    (cd "$work" && nice -n 19 go get "$package@$version") &&
    step="(in a wrapper module) go build -o $name $package" &&
    (cd "$work" && nice -n 19 go build -trimpath -ldflags "-s -w $ldflags" -o "$work/$name" "$package")
}

# from_source WORK NAME SOURCE VERSION — a recipe: builds the Go module in SOURCE (one of
# tools/engine/providers/) from a scratch copy, where Go may add go.sum and indirect requirements; VERSION
# is the plugin version the binary reports.
from_source() {
  local work=$1 name=$2 source=$3 version=$4
  step="go build -o $name in a copy of ${source#"$repo"/}"
  cp -R "$source" "$work/src" &&
    (cd "$work/src" && nice -n 19 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$work/$name" .)
}

# The files of a module in tools/engine/providers/, for its cache key.
source_digest() {
  (cd "$1" && find . -type f -exec sha256sum {} + | sort)
}

pulumi_version=$(npm_version @pulumi/pulumi)
pulumi_module=github.com/pulumi/pulumi/pkg/v3
pulumi_ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pulumi_version"
cli_dir=$(cached pulumi "v$pulumi_version" "$pulumi_module $pulumi_ldflags" \
  from_proxy "$pulumi_module" "$pulumi_module/cmd/pulumi" "v$pulumi_version" "$pulumi_ldflags")

pulumi_home="$cache_root/pulumi-home"
mkdir -p "$pulumi_home/plugins"
# install_plugin NAME VERSION DIR — the CLI looks plugins up by name and version in PULUMI_HOME/plugins.
install_plugin() {
  PULUMI_HOME=$pulumi_home PULUMI_SKIP_UPDATE_CHECK=true \
    "$cli_dir/pulumi" plugin install resource "$1" "$2" --file "$3/pulumi-resource-$1" --reinstall >&2
}

blocked=()
for plugin in random tls command digitalocean cloudflare; do
  version=$(npm_version "@pulumi/$plugin")
  source="$repo/tools/engine/providers/$plugin"
  if plugin_dir=$(cached "pulumi-resource-$plugin" "v$version" "$(source_digest "$source")" \
    from_source "$source" "$version"); then
    install_plugin "$plugin" "$version" "$plugin_dir"
  else
    blocked+=("pulumi-resource-$plugin $cache_root/pulumi-resource-$plugin-v$version.blocked")
  fi
done

env_file="$cache_root/env"
{
  echo "export PATH=\"$cli_dir:\$PATH\""
  echo "export PULUMI_HOME=\"$pulumi_home\""
} >"$env_file"
echo "cache: $(du -sh "$cache_root" | cut -f1) in $cache_root" >&2
echo "bin_dir=$cli_dir"
echo "pulumi_home=$pulumi_home"
echo "env_file=$env_file"
for entry in "${blocked[@]}"; do echo "blocked=$entry"; done
