#!/usr/bin/env bash
# Build the native TensorFlow backend for @tensorflow/tfjs-node without network
# access to Google storage (which the package's own install script needs).
#
#   npm run native          (from the repository root, after `npm ci`)
#
# What it does:
#   1. makes sure node_modules/@tensorflow/tfjs-node@4.22.0 is present
#      (npm drops it after `npm ci` because its install script fails offline);
#   2. downloads TensorFlow's own Python wheel (tensorflow-cpu 2.9.1, the
#      libtensorflow version tfjs-node 4.22 is built against) from PyPI, with a
#      pinned sha256;
#   3. takes the TensorFlow C API library out of it: in that wheel the TF_* and
#      TFE_* C API is exported by tensorflow/python/_pywrap_tensorflow_internal.so
#      (which needs libtensorflow_framework.so.2 from the same wheel), plus the
#      C API headers; the Python symbols the library references are satisfied by
#      a generated stub library (libtfjs_pystub.so, never called);
#   4. stages them as tfjs-node's deps/lib and deps/include;
#   5. builds lib/napi-v*/tfjs_binding.node from source with node-pre-gyp;
#   6. checks that require('@tensorflow/tfjs-node') uses the "tensorflow"
#      backend, in the main thread and in a worker_threads Worker.
#
# Everything downloaded or built is cached in
#   ${RL_NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rl-playground/native}
# and steps whose results already exist are skipped, so a second run is quick.
# RL_NATIVE_FORCE=1 re-stages and rebuilds (the download cache is kept).
set -Eeuo pipefail

TFJS_NODE_VERSION=4.22.0
TF_VERSION=2.9.1
TF_WHEEL_SPEC="tensorflow-cpu==${TF_VERSION}"
TF_WHEEL_FILE="tensorflow_cpu-${TF_VERSION}-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
TF_WHEEL_SHA256=6666ddeae45e1f41da788cb4bdea3435aba16edb0bc17b7ac00631c7c9eb052e
LAYOUT_VERSION=1 # bump when the staged layout or the build recipe changes
STUB_NAME=tfjs_pystub

log() { printf '[native] %s\n' "$*"; }
die() {
  printf '[native] ERROR: %s\n' "$1" >&2
  shift
  local hint
  for hint in "$@"; do printf '[native]   -> %s\n' "$hint" >&2; done
  exit 1
}
on_err() { printf '[native] ERROR: unexpected failure (exit %s) at line %s: %s\n' "$1" "$2" "$3" >&2; }
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="$ROOT/node_modules/@tensorflow/tfjs-node"
CACHE="${RL_NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rl-playground/native}"
FORCE="${RL_NATIVE_FORCE:-0}"
TF_DIR="$CACHE/libtensorflow-${TF_VERSION}-${TF_WHEEL_SHA256:0:12}"
DEPS_STAMP="$PKG/deps/.rl-playground-native"
START=$SECONDS

# ---------------------------------------------------------------- preflight
[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] ||
  die "only Linux x86_64 is supported (found $(uname -s) $(uname -m))" \
    "the TensorFlow wheel used here is manylinux2014_x86_64"
for cmd in node npm python3 gcc g++ make nm readelf sha256sum; do
  command -v "$cmd" >/dev/null 2>&1 ||
    die "required command '$cmd' not found" \
      "on Debian/Ubuntu: sudo apt-get install build-essential binutils python3 python3-pip nodejs npm"
done
python3 -m pip --version >/dev/null 2>&1 ||
  die "python3 has no pip module" "install it: sudo apt-get install python3-pip (or python3 -m ensurepip)"
[ -d "$ROOT/node_modules/@tensorflow/tfjs" ] ||
  die "$ROOT/node_modules/@tensorflow/tfjs is missing" "run 'npm ci' in $ROOT first"
mkdir -p "$CACHE" || die "cannot create cache directory $CACHE" "set RL_NATIVE_CACHE to a writable directory"

# Serialise concurrent runs (shared cache and node_modules).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock -w 1800 9 || die "timed out waiting for another 'npm run native' (lock $CACHE/.lock)"
fi

# Prints an error and returns non-zero unless tfjs-node is present at the
# expected version with all of its runtime dependencies resolvable.
tfjs_node_ok() {
  [ -f "$PKG/package.json" ] || { echo "not installed"; return 1; }
  node - "$PKG" "$TFJS_NODE_VERSION" <<'EOF'
const fs = require('fs'), path = require('path');
const [dir, want] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
if (pkg.version !== want) { console.log(`version ${pkg.version} installed, ${want} wanted`); process.exit(1); }
for (const dep of Object.keys(pkg.dependencies || {})) {
  let d = dir, found = false;
  for (;;) {
    if (fs.existsSync(path.join(d, 'node_modules', dep, 'package.json'))) { found = true; break; }
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  if (!found) { console.log(`dependency ${dep} is missing`); process.exit(1); }
}
EOF
}

# Absolute path of the tfjs_binding.node that tfjs-node's index.js loads.
binding_path() {
  node - "$PKG" <<'EOF'
const path = require('path');
const dir = process.argv[2];
const npg = require(require.resolve('@mapbox/node-pre-gyp', { paths: [dir] }));
console.log(npg.find(path.join(dir, 'package.json')));
EOF
}

# Loads tfjs-node from the project root (main thread + worker thread), checks
# the backend and a matMul. LD_BIND_NOW makes any unresolved symbol fatal now.
verify() {
  (cd "$ROOT" && LD_BIND_NOW=1 TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}" node - "$PKG" <<'EOF'
const path = require('path');
const { Worker } = require('worker_threads');
const want = path.resolve(process.argv[2]);
const got = path.dirname(path.dirname(require.resolve('@tensorflow/tfjs-node')));
if (got !== want) { console.error(`@tensorflow/tfjs-node resolves to ${got}, expected ${want}`); process.exit(1); }
const body = `
  const tf = require(${JSON.stringify(want)});
  const r = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])).arraySync();
  const ok = tf.getBackend() === 'tensorflow' && JSON.stringify(r) === '[[19,22],[43,50]]';
  return { ok, backend: tf.getBackend(), result: JSON.stringify(r), tf: tf.backend().binding.TF_Version };`;
const main = new Function('require', body)(require);
if (!main.ok) { console.error('main thread check failed:', main); process.exit(1); }
console.log(`[native]     main thread: backend=${main.backend} matMul=${main.result} libtensorflow=${main.tf}`);
const w = new Worker(`const { parentPort } = require('worker_threads');
  try { parentPort.postMessage((function () { ${body} })()); }
  catch (e) { parentPort.postMessage({ ok: false, error: String(e && e.stack || e) }); }`, { eval: true });
w.once('message', (m) => {
  if (!m.ok) { console.error('worker thread check failed:', m); process.exit(1); }
  console.log(`[native]     worker thread: backend=${m.backend} matMul=${m.result}`);
});
w.once('error', (e) => { console.error('worker thread error:', e); process.exit(1); });
EOF
  )
}

# ---------------------------------------------------- 1. tfjs-node package
log "1/6 @tensorflow/tfjs-node@$TFJS_NODE_VERSION"
if why="$(tfjs_node_ok 2>&1)"; then
  log "    present"
else
  log "    $why; installing with 'npm install --no-save --ignore-scripts'"
  backup="$(mktemp -d)"
  cp "$ROOT/package.json" "$backup/"
  [ -f "$ROOT/package-lock.json" ] && cp "$ROOT/package-lock.json" "$backup/"
  if ! (cd "$ROOT" && npm install --no-save --ignore-scripts --no-audit --no-fund \
    "@tensorflow/tfjs-node@$TFJS_NODE_VERSION"); then
    rm -rf "$backup"
    die "npm install of @tensorflow/tfjs-node@$TFJS_NODE_VERSION failed" \
      "check access to the npm registry (npm ping), then re-run 'npm run native'"
  fi
  for f in package.json package-lock.json; do
    if [ -f "$backup/$f" ] && ! cmp -s "$backup/$f" "$ROOT/$f"; then
      cp "$backup/$f" "$ROOT/$f"
      rm -rf "$backup"
      die "npm unexpectedly modified $f (restored the original)" "run 'npm ci' and retry"
    fi
  done
  rm -rf "$backup"
  why="$(tfjs_node_ok 2>&1)" || die "@tensorflow/tfjs-node still unusable after install: $why" \
    "run 'npm ci' and retry; if it persists remove node_modules and retry"
fi

# Functional already (e.g. the package's own installer worked on a machine with
# internet access) and not staged by this script: leave it alone.
if [ "$FORCE" != 1 ] && [ ! -f "$DEPS_STAMP" ]; then
  b="$(binding_path 2>/dev/null || true)"
  if [ -n "$b" ] && [ -f "$b" ] && verify >/dev/null 2>&1; then
    log "tfjs-node already works with its own libtensorflow; nothing to do (RL_NATIVE_FORCE=1 rebuilds)"
    verify
    exit 0
  fi
fi

# ------------------------------------------- 2+3. wheel -> libtensorflow cache
log "2/6 TensorFlow $TF_VERSION C library (cache: $TF_DIR)"
if [ -f "$TF_DIR/.complete" ]; then
  log "    cached"
else
  wheel="$CACHE/wheels/$TF_WHEEL_FILE"
  if [ -f "$wheel" ]; then
    log "    wheel cached ($wheel)"
  else
    mkdir -p "$CACHE/wheels"
    tmp="$(mktemp -d "$CACHE/wheels/.download.XXXXXX")"
    printf '%s --hash=sha256:%s\n' "$TF_WHEEL_SPEC" "$TF_WHEEL_SHA256" >"$tmp/requirements.txt"
    log "    downloading $TF_WHEEL_FILE (~208 MB) with pip"
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.10 \
      --implementation cp --abi cp310 --platform manylinux2014_x86_64 \
      --require-hashes -r "$tmp/requirements.txt" -d "$tmp" --progress-bar off -q ||
      { rm -rf "$tmp"; die "pip download of $TF_WHEEL_SPEC failed" \
        "check access to PyPI (python3 -m pip download --no-deps $TF_WHEEL_SPEC)" \
        "or put $TF_WHEEL_FILE into $CACHE/wheels/ by hand"; }
    [ -f "$tmp/$TF_WHEEL_FILE" ] || { ls -la "$tmp" >&2; rm -rf "$tmp"; die "pip did not produce $TF_WHEEL_FILE"; }
    mv -f "$tmp/$TF_WHEEL_FILE" "$wheel"
    rm -rf "$tmp"
  fi
  if [ ! -f "$wheel.verified" ]; then
    echo "$TF_WHEEL_SHA256  $wheel" | sha256sum -c --status ||
      { rm -f "$wheel"; die "sha256 mismatch for $wheel (deleted)" "re-run to download it again"; }
    touch "$wheel.verified"
  fi

  log "    extracting C library and headers"
  rm -rf "$TF_DIR" "$TF_DIR.tmp"
  mkdir -p "$TF_DIR.tmp"
  python3 - "$wheel" "$TF_DIR.tmp" <<'EOF' || die "extracting $TF_WHEEL_FILE failed" "delete $CACHE/wheels and retry"
import os, shutil, sys, zipfile
wheel, out = sys.argv[1:]
libs = {
    'tensorflow/python/_pywrap_tensorflow_internal.so': 'lib/libtensorflow.so.2.9.1',
    'tensorflow/libtensorflow_framework.so.2': 'lib/libtensorflow_framework.so.2.9.1',
}
inc = 'tensorflow/include/'
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    for src, dst in libs.items():
        if src not in names:
            sys.exit(f'{src} not found in wheel')
    todo = dict(libs)
    for n in names:
        if n.endswith('/'):
            continue
        if n.startswith(inc + 'tensorflow/c/') or n.startswith(inc + 'tensorflow/core/platform/ctstring'):
            todo[n] = 'include/' + n[len(inc):]
    for src, dst in todo.items():
        dst = os.path.join(out, dst)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with z.open(src) as fi, open(dst, 'wb') as fo:
            shutil.copyfileobj(fi, fo, 1 << 20)
for h in ('include/tensorflow/c/c_api.h', 'include/tensorflow/c/eager/c_api.h',
          'include/tensorflow/core/platform/ctstring.h'):
    if not os.path.exists(os.path.join(out, h)):
        sys.exit(f'{h} not found in wheel')
EOF
  lib="$TF_DIR.tmp/lib"
  chmod 755 "$lib"/*.so.*
  # The C API must be exported (with the wheel's 'tensorflow' symbol version).
  nm -D --defined-only "$lib/libtensorflow.so.$TF_VERSION" | awk '{print $3}' | sed 's/@.*//' |
    sort -u >"$TF_DIR.tmp/exports.txt"
  nm -D --defined-only "$lib/libtensorflow_framework.so.$TF_VERSION" | awk '{print $3}' | sed 's/@.*//' |
    sort -u >"$TF_DIR.tmp/framework-exports.txt"
  for s in TF_Version TF_NewTensor TF_LoadSessionFromSavedModel TF_SessionRun TFE_NewContext TFE_NewOp TFE_Execute TFE_TensorHandleResolve; do
    grep -qx "$s" "$TF_DIR.tmp/exports.txt" ||
      die "$s is not exported by _pywrap_tensorflow_internal.so of $TF_WHEEL_FILE" \
        "this wheel cannot serve as libtensorflow"
  done
  # The Python-extension library references CPython symbols (unversioned,
  # undefined); define them in a stub so it loads without libpython. They are
  # only reachable from Python entry points, which are never called.
  log "    generating CPython symbol stub"
  nm -D --undefined-only "$lib/libtensorflow.so.$TF_VERSION" | awk '$1 == "U" && $2 !~ /@/ {print $2}' |
    sort -u | comm -23 - "$TF_DIR.tmp/framework-exports.txt" >"$TF_DIR.tmp/unresolved.txt"
  if grep -Ev '^_?Py' "$TF_DIR.tmp/unresolved.txt" >"$TF_DIR.tmp/unexpected.txt"; then
    log "    warning: non-Python unresolved symbols (not stubbed): $(tr '\n' ' ' <"$TF_DIR.tmp/unexpected.txt")"
  fi
  {
    cat <<'C'
#include <stdio.h>
#include <stdlib.h>
static void die(const char *n) { fprintf(stderr, "tfjs-node: CPython stub %s called; CPython is not available\n", n); abort(); }
C
    grep -E '^_?Py' "$TF_DIR.tmp/unresolved.txt" | while read -r s; do
      if [[ $s =~ (_Type$|^PyExc_|^_Py_.*Struct$) ]]; then
        echo "__attribute__((visibility(\"default\"), aligned(64))) char ${s}[1024];"
      else
        echo "__attribute__((visibility(\"default\"))) void $s(void) { die(\"$s\"); }"
      fi
    done
  } >"$TF_DIR.tmp/$STUB_NAME.c"
  gcc -shared -fPIC -O2 -Wl,-soname,"lib$STUB_NAME.so" -o "$lib/lib$STUB_NAME.so" "$TF_DIR.tmp/$STUB_NAME.c" ||
    die "compiling the CPython stub failed" "check that gcc works (sudo apt-get install build-essential)"
  touch "$TF_DIR.tmp/.complete"
  mv "$TF_DIR.tmp" "$TF_DIR"
  if [ "${RL_NATIVE_KEEP_WHEEL:-1}" = 0 ]; then rm -f "$wheel" "$wheel.verified"; fi
fi

# ------------------------------------------------------ 4. stage into deps
log "3/6 staging deps/lib and deps/include in tfjs-node"
stamp_want="layout=$LAYOUT_VERSION wheel=$TF_WHEEL_SHA256"
deps_ok() {
  [ -f "$DEPS_STAMP" ] && [ "$(cat "$DEPS_STAMP")" = "$stamp_want" ] || return 1
  local f
  for f in libtensorflow.so.$TF_VERSION libtensorflow_framework.so.$TF_VERSION lib$STUB_NAME.so; do
    [ -f "$PKG/deps/lib/$f" ] &&
      [ "$(stat -c %s "$PKG/deps/lib/$f")" = "$(stat -c %s "$TF_DIR/lib/$f")" ] || return 1
  done
  for f in libtensorflow.so libtensorflow.so.2 _pywrap_tensorflow_internal.so \
    libtensorflow_framework.so libtensorflow_framework.so.2; do
    [ -e "$PKG/deps/lib/$f" ] || return 1
  done
  [ -f "$PKG/deps/include/tensorflow/c/c_api.h" ] && [ -f "$PKG/deps/include/tensorflow/c/eager/c_api.h" ]
}
if [ "$FORCE" != 1 ] && deps_ok; then
  log "    up to date"
else
  rm -rf "$PKG/deps"
  mkdir -p "$PKG/deps/lib"
  for f in libtensorflow.so.$TF_VERSION libtensorflow_framework.so.$TF_VERSION lib$STUB_NAME.so; do
    # hard link when the cache is on the same file system, else copy
    ln -f "$TF_DIR/lib/$f" "$PKG/deps/lib/$f" 2>/dev/null || cp -f "$TF_DIR/lib/$f" "$PKG/deps/lib/$f" ||
      die "cannot copy $f into $PKG/deps/lib" "check free disk space (about 510 MB needed)"
  done
  (
    cd "$PKG/deps/lib"
    ln -sf libtensorflow.so.$TF_VERSION libtensorflow.so.2
    ln -sf libtensorflow.so.2 libtensorflow.so # -ltensorflow at link time
    # the library's SONAME, i.e. the DT_NEEDED name recorded in tfjs_binding.node
    ln -sf libtensorflow.so.$TF_VERSION _pywrap_tensorflow_internal.so
    ln -sf libtensorflow_framework.so.$TF_VERSION libtensorflow_framework.so.2 # its SONAME
    ln -sf libtensorflow_framework.so.2 libtensorflow_framework.so
  )
  cp -R "$TF_DIR/include" "$PKG/deps/include"
  echo "$stamp_want" >"$DEPS_STAMP"
fi

# ------------------------------------------------------------- 5. build
log "4/6 tfjs_binding.node"
BINDING="$(binding_path)" || die "cannot compute the addon path with @mapbox/node-pre-gyp" \
  "re-run 'npm ci' then 'npm run native'"
build_key="$(
  {
    echo "$stamp_want node-napi=$(node -p process.versions.napi) binding=$BINDING"
    cat "$PKG/binding.gyp" "$PKG"/binding/*
  } | sha256sum | cut -c1-16
)"
BUILD_STAMP="$(dirname "$BINDING")/.rl-playground-native"
CACHED_BINDING="$CACHE/build/$build_key/$(basename "$BINDING")"
if [ "$FORCE" != 1 ] && [ -f "$BINDING" ] && [ -f "$BUILD_STAMP" ] && [ "$(cat "$BUILD_STAMP")" = "$build_key" ]; then
  log "    up to date"
elif [ "$FORCE" != 1 ] && [ -f "$CACHED_BINDING" ]; then
  log "    restoring cached build"
  mkdir -p "$(dirname "$BINDING")"
  cp -f "$CACHED_BINDING" "$BINDING"
  echo "$build_key" >"$BUILD_STAMP"
else
  nodedir=""
  for cand in "${npm_config_nodedir:-}" "$(node -p "require('path').resolve(process.execPath, '../..')")"; do
    if [ -n "$cand" ] && [ -f "$cand/include/node/node_api.h" ] && [ -f "$cand/include/node/common.gypi" ]; then
      nodedir="$cand"
      break
    fi
  done
  if [ -z "$nodedir" ]; then
    log "    warning: no local Node.js headers found; node-gyp will try to download them"
  fi
  npg="$(node -p "require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp', { paths: [process.argv[1]] })" "$PKG")"
  mkdir -p "$CACHE/logs"
  build_log="$CACHE/logs/build-$(date +%Y%m%d-%H%M%S).log"
  log "    compiling (node-pre-gyp install --build-from-source${nodedir:+ --nodedir=$nodedir}); log: $build_log"
  rm -f "$BUILD_STAMP"
  if ! (cd "$PKG" &&
    LDFLAGS="${LDFLAGS:+$LDFLAGS }-Wl,--no-as-needed -L$PKG/deps/lib -l$STUB_NAME" \
      node "$npg" install --build-from-source ${nodedir:+--nodedir="$nodedir"}) >"$build_log" 2>&1; then
    tail -n 25 "$build_log" >&2
    die "building tfjs_binding.node failed (full log: $build_log)" \
      "needs g++, make and python3 (sudo apt-get install build-essential python3)" \
      "and Node.js headers: a nodedir with include/node/node_api.h (Debian: apt-get install libnode-dev), or npm_config_nodedir"
  fi
  [ -f "$BINDING" ] || die "build finished but $BINDING does not exist (log: $build_log)"
  readelf -d "$BINDING" | grep -q "lib$STUB_NAME.so" ||
    die "$BINDING does not link lib$STUB_NAME.so (LDFLAGS were not applied?); log: $build_log"
  # Every TF_/TFE_ symbol the addon imports must be exported by the libraries.
  missing="$(nm -D --undefined-only "$BINDING" | awk '{print $2}' | sed 's/@.*//' | grep -E '^TFE?_' |
    sort -u | comm -23 - <(sort -u "$TF_DIR/exports.txt" "$TF_DIR/framework-exports.txt") || true)"
  [ -z "$missing" ] || die "libtensorflow from $TF_WHEEL_FILE lacks symbols the addon needs: $missing"
  mkdir -p "$(dirname "$CACHED_BINDING")"
  cp -f "$BINDING" "$CACHED_BINDING"
  echo "$build_key" >"$BUILD_STAMP"
fi

# ------------------------------------------------------------ 6. verify
log "5/6 verifying require('@tensorflow/tfjs-node')"
verify || die "the native backend does not load or compute correctly (see above)" \
  "run with RL_NATIVE_FORCE=1 to re-stage and rebuild; or delete $CACHE and retry"
log "6/6 done in $((SECONDS - START))s: $BINDING"
