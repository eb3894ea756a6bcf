#!/usr/bin/env bash
# The test command (README): formatting, clippy for both feature sets, unit and integration
# tests on SQLite and PostgreSQL, then the Playwright suite in Chromium through SimpleSAMLphp and
# the development IdP. Installs whatever is missing first, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1;34m== %s\033[0m\n' "$*" >&2; }

bash scripts/install-deps.sh
# cargo-leptos sets this at compile time; setting it for every cargo call keeps `cargo test`
# and `cargo leptos build` from invalidating each other's builds.
export LEPTOS_OUTPUT_NAME=gatehouse
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"

step "rustfmt"
cargo fmt --all -- --check

step "cargo deny: licences, duplicate versions, sources (offline; advisories: docs/dependencies.md)"
cargo deny --offline check licenses bans sources

step "clippy, ssr (server and app)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy, hydrate (app for wasm32)"
cargo clippy -p app --lib --locked --no-default-features --features hydrate \
  --target wasm32-unknown-unknown -- -D warnings

step "PostgreSQL for the integration tests"
if [ -z "${GATEHOUSE_TEST_POSTGRES_URL:-}" ]; then
  # shellcheck source=scripts/throwaway-postgres.sh
  source scripts/throwaway-postgres.sh
  trap stop_throwaway_postgres EXIT
fi

step "cargo test: unit and integration (SQLite and PostgreSQL)"
cargo test --workspace --locked

step "build the console as it ships (cargo leptos build --release --split)"
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
# Release, so that the browser tests run the code that ships: debug builds type-erase every
# component (cargo-leptos' default, for compile speed) and release builds do not.
cargo leptos build --release --split
# This build writes no precompressed copies: drop any `scripts/run.sh` (`--precompress`) left,
# or the server would hand browsers that stale WASM beside the new JS.
find target/site -name '*.br' -delete -o -name '*.gz' -delete 2>/dev/null || true

step "bundle size: what a first visit to each page downloads (release, split, gzip -9), against the budget"
bash scripts/bundle-size.sh

step "Python SDK: ruff, mypy, pytest against the built server"
GATEHOUSE_SERVER_BIN="$target_dir/release/gatehouse-server" bash scripts/test-sdk.sh

step "fault suite: PostgreSQL, two replicas, nginx; kill -9, a database restart and freeze, SIGTERM"
GATEHOUSE_SERVER_BIN="$target_dir/release/gatehouse-server" python3 scripts/fault_suite.py

step "Playwright (Chromium, SimpleSAMLphp, development IdP)"
export GATEHOUSE_E2E_BIN="$target_dir/release/gatehouse-server"
export GATEHOUSE_E2E_SITE_ROOT="$PWD/target/site"
(cd end2end && npx playwright test)
