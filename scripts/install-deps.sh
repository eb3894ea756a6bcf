#!/usr/bin/env bash
# Installs everything Gatehouse needs to build, run and test on a fresh Debian machine.
# Idempotent: each step is skipped when what it installs is already present at the right version.
# Nothing here downloads a prebuilt binary: tools are built from crates.io, wasm-opt comes from
# npm's `binaryen`, Chromium and SimpleSAMLphp from Debian.
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.11
CARGO_DENY_VERSION=0.20.2
WASM_BINDGEN_VERSION=0.2.130
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '\033[1;34m[install-deps]\033[0m %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

apt_packages=(pkg-config libxmlsec1-dev libclang-dev libssl-dev xmlsec1
  chromium postgresql php-cli php-xml php-mbstring simplesamlphp openssl python3-venv)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# nginx for the local cluster (scripts/cluster.sh, the fault suite): installed without letting
# the package start its own daemon on port 80 (policy-rc.d refuses service starts meanwhile).
if ! command -v nginx >/dev/null 2>&1 && ! [ -x /usr/sbin/nginx ]; then
  log "apt-get install nginx (not started)"
  policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null
  if [ -n "$policy_added" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi

if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (~4 min)"
  # Not --locked: its lockfile names a crate version crates.io no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
  log "building cargo-leptos $CARGO_LEPTOS_VERSION with no_downloads (~17 min)"
  # `cargo install --locked` fails on rustc 1.95 (cargo-util-schemas 0.14.2 needs 1.96):
  # fetch the crate, pin that dependency one patch back and install from the unpacked source.
  work="$(mktemp -d)"
  mkdir -p "$work/fetch/src"
  cat > "$work/fetch/Cargo.toml" <<TOML
[package]
name = "fetch-cargo-leptos"
version = "0.0.0"
edition = "2021"
[dependencies]
cargo-leptos = "=$CARGO_LEPTOS_VERSION"
TOML
  echo 'fn main() {}' > "$work/fetch/src/main.rs"
  (cd "$work/fetch" && cargo fetch -q)
  crate="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/cargo-leptos-$CARGO_LEPTOS_VERSION.crate | head -n1)"
  tar -xzf "$crate" -C "$work"
  (cd "$work/cargo-leptos-$CARGO_LEPTOS_VERSION" \
    && cargo update -q -p cargo-util-schemas --precise 0.14.1 \
    && cargo install --path . --locked --features no_downloads)
  rm -rf "$work"
fi

if [ "$(cargo deny --version 2>/dev/null | awk '{print $2}')" != "$CARGO_DENY_VERSION" ]; then
  log "cargo install cargo-deny $CARGO_DENY_VERSION (~10 min)"
  cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
fi

if [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ] || [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ] \
  || [ ! -d "$ROOT/end2end/node_modules/@axe-core/playwright" ]; then
  if [ -f "$ROOT/end2end/package.json" ]; then
    log "npm ci (end2end: @playwright/test, @axe-core/playwright, binaryen)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
log "all dependencies present"
