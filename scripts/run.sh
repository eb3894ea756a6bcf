#!/usr/bin/env bash
# The run command (README): builds the release console and serves it at
# http://127.0.0.1:3000 on a SQLite file under ./data with the development IdP.
# Configure with GATEHOUSE_* variables or `scripts/run.sh --config gatehouse.toml`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export LEPTOS_OUTPUT_NAME=gatehouse
# wasm-opt from npm's binaryen (Debian's breaks hydration).
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
# --precompress: .br and .gz copies of the static files, served to browsers that accept them.
cargo leptos build --release --split --precompress
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$PWD/target/site}"
export LEPTOS_ENV="${LEPTOS_ENV:-PROD}"
exec "$target_dir/release/gatehouse-server" "$@"
