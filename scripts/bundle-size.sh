#!/usr/bin/env bash
# The console's download size: builds the WASM bundle as a release does (wasm-release profile,
# wasm-bindgen, wasm-opt -Oz with cargo-leptos' flags), prints the raw and gzip -9 sizes of the
# WASM and its JS, and fails when the gzip total is above the budget. Run by the test command.
#
# Budget: issue #14 asks for 250 KB gzip; the console is at ≈ 619 KiB (docs/benchmarks.md), so the
# budget is set just above today's size — it stops growth while the size work is not done.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET_KIB="${GATEHOUSE_BUNDLE_BUDGET_KIB:-630}"
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
out="$target_dir/bundle-size"
export PATH="$PWD/end2end/node_modules/.bin:$PATH"

cargo build -p app --lib --locked --profile wasm-release --no-default-features --features hydrate \
  --target wasm32-unknown-unknown
rm -rf "$out" && mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name gatehouse \
  "$target_dir/wasm32-unknown-unknown/wasm-release/app.wasm"
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  "$out/gatehouse_bg.wasm" -o "$out/gatehouse.wasm"

kib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }
total_gz=0
printf '%-16s %10s %12s\n' file "raw KiB" "gzip-9 KiB"
for file in gatehouse.wasm gatehouse.js; do
  raw=$(stat -c %s "$out/$file")
  gz=$(gzip -9 -c "$out/$file" | wc -c)
  total_gz=$((total_gz + gz))
  printf '%-16s %10s %12s\n' "$file" "$(kib "$raw")" "$(kib "$gz")"
done
printf 'WASM + JS gzip -9: %s KiB (budget %s KiB; the goal of issue #14 is 244 KiB)\n' \
  "$(kib "$total_gz")" "$BUDGET_KIB"
if [ "$total_gz" -gt $((BUDGET_KIB * 1024)) ]; then
  echo "the console's bundle is over its size budget" >&2
  exit 1
fi
