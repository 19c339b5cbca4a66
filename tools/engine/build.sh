#!/usr/bin/env bash
# Builds the Pulumi CLI, the Node.js language host and the resource plugins the stack uses from the
# Go module proxy, at the versions package-lock.json pins for their npm packages, into a cache outside
# the repository. Each piece is rebuilt only when its pin (or the Go toolchain) changes. A piece the
# proxy cannot serve is recorded as blocked, with the exact command and error, and the rest still build.
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

# Go's major-version rule: modules at v2 and above carry /vN in their path.
major_suffix() {
  local major=${1%%.*}
  if ((major >= 2)); then echo "/v$major"; fi
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

# module_field FIELD MODULE@VERSION — a field of `go mod download -json` (GoMod, Origin.Hash), or its error.
# shellcheck disable=SC2016 # the single-quoted text is JavaScript, expanded by node
module_field() {
  go mod download -json "$2" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const m = JSON.parse(s); if (m.Error) { console.error(m.Error); process.exit(1); }
      const v = process.argv[1].split(".").reduce((o, k) => o?.[k], m);
      if (!v) { console.error(`no ${process.argv[1]} for ${m.Path}@${m.Version}`); process.exit(1); }
      console.log(v); });' "$1"
}

# build NAME MODULE PACKAGE VERSION LDFLAGS [TAGGED_MODULE] — prints the directory that holds NAME, or
# records why not. Modules in a subdirectory that the release does not tag (the providers' provider/,
# the language host) are fetched at the release's commit, read from TAGGED_MODULE's tag.
build() {
  local name=$1 module=$2 package=$3 version=$4 ldflags=$5 tagged=${6:-}
  local key dir log work
  key=$(printf '%s\n' "$module" "$package" "$version" "$go_version" "$ldflags" | sha256sum | cut -c1-16)
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
  local start=$SECONDS step gomod ref=$version
  {
    step="go mod download -json $module@$version"
    if ! gomod=$(cd "$work" && module_field GoMod "$module@$version"); then
      [[ -n $tagged ]] &&
      step="go mod download -json $tagged@$version (for the release's commit)" &&
      ref=$(cd "$work" && module_field Origin.Hash "$tagged@$version") &&
      step="go mod download -json $module@$ref" &&
      gomod=$(cd "$work" && module_field GoMod "$module@$ref")
    fi &&
    (cd "$work" && go mod init example.invalid/engine-wrapper >/dev/null 2>&1 &&
      copy_replaces "$gomod" >>go.mod) &&
    step="go get $package@$ref" &&
    (cd "$work" && nice -n 19 go get "$package@$ref") &&
    step="go build -o $dir/$name $package" &&
    (cd "$work" && nice -n 19 go build -trimpath -ldflags "-s -w $ldflags" -o "$work/$name" "$package")
  } >"$log" 2>&1 || {
    { echo "command: (in a wrapper module) $step"; echo "error:"; tail -n 20 "$log"; } >"$cache_root/$name-$version.blocked"
    echo "$name $version: BLOCKED at '$step' — see $cache_root/$name-$version.blocked" >&2
    rm -rf "$work"
    return 1
  }
  mkdir -p "$dir"
  mv "$work/$name" "$dir/$name"
  echo $((SECONDS - start)) >"$dir/build-seconds"
  rm -rf "$work"
  echo "$name $version: built in $(cat "$dir/build-seconds") s" >&2
  echo "$dir"
}

pulumi_version=$(npm_version @pulumi/pulumi)
cli_dir=$(build pulumi github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "v$pulumi_version" \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pulumi_version")

# The language host is optional: without it, test/engine drives the program through @pulumi/pulumi's own
# automation language server (the CLI's --client), the same runtime code the host would start.
language_module=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
blocked=()
if language_dir=$(build pulumi-language-nodejs "$language_module" "$language_module" "v$pulumi_version" \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pulumi_version" github.com/pulumi/pulumi/pkg/v3); then
  ln -sf "$language_dir/pulumi-language-nodejs" "$cli_dir/pulumi-language-nodejs"
else
  blocked+=("pulumi-language-nodejs $cache_root/pulumi-language-nodejs-v$pulumi_version.blocked")
fi

pulumi_home="$cache_root/pulumi-home"
mkdir -p "$pulumi_home/plugins"
for plugin in random tls command digitalocean cloudflare; do
  version=$(npm_version "@pulumi/$plugin")
  module="github.com/pulumi/pulumi-$plugin/provider$(major_suffix "$version")"
  if plugin_dir=$(build "pulumi-resource-$plugin" "$module" "$module/cmd/pulumi-resource-$plugin" "v$version" \
    "-X $module/pkg/version.Version=$version" "github.com/pulumi/pulumi-$plugin/sdk$(major_suffix "$version")"); then
    # The CLI looks plugins up by name and version in PULUMI_HOME/plugins.
    install_dir="$pulumi_home/plugins/resource-$plugin-v$version"
    mkdir -p "$install_dir"
    ln -sf "$plugin_dir/pulumi-resource-$plugin" "$install_dir/pulumi-resource-$plugin"
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
