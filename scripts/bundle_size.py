#!/usr/bin/env python3
"""What a cold first visit to each console page downloads (WASM + JS, gzip -9).

Usage: bundle_size.py SITE_PKG_DIR BUDGET_KIB [HOME_BUDGET_KIB]

Reads the split manifest cargo-leptos writes (`__wasm_split_manifest.<hash>.json`: for each lazy
route, the chunks it needs), adds the always-loaded files (main WASM, its JS, the chunk loader)
and prints one line per page. Exits 1 when the largest page is above BUDGET_KIB, or Home (where
signing in lands, and what the sign-in page prefetches) above HOME_BUDGET_KIB (default 244: issue
#14's 250 KB, reached for Home).

The sign-in page and the audit log are sent without the hydration script (they have nothing to
hydrate: `app::STATIC_PAGES`), so a first visit there downloads none of this before it is usable;
they prefetch the shell and Home's chunks at idle priority. Their routes are still lazy routes in
the manifest (rendered in the browser only after a client-side navigation to them, which nothing
makes: links to them are page loads): listed apart.
"""

import gzip
import json
import re
import sys
from pathlib import Path


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def kib(n: int) -> str:
    return f"{n / 1024:.1f}"


def one(pkg: Path, pattern: str) -> Path:
    found = sorted(pkg.glob(pattern))
    if len(found) != 1:
        sys.exit(f"expected one {pattern} in {pkg}, found {[p.name for p in found]}")
    return found[0]


# Pages served without the hydration script (see the module documentation).
NOT_HYDRATED = {"sign in", "audit"}


def main() -> int:
    pkg, budget_kib = Path(sys.argv[1]), float(sys.argv[2])
    home_budget_kib = float(sys.argv[3]) if len(sys.argv) > 3 else 244.0
    always = {
        "main WASM": one(pkg, "gatehouse.*.wasm"),
        "main JS": one(pkg, "gatehouse.*.js"),
        "chunk loader JS": one(pkg, "__wasm_split.*.js"),
    }
    manifest = json.loads(one(pkg, "__wasm_split_manifest.*.json").read_text())
    base = 0
    for what, path in always.items():
        size = gz(path)
        base += size
        print(f"{what:<18} {kib(path.stat().st_size):>9} KiB raw {kib(size):>8} KiB gzip")
    print(f"{'always loaded':<18} {'':>13} {kib(base):>8} KiB gzip\n")

    rows = []
    for split, chunks in manifest.items():
        # `__service_accounts_route_view_<hash>` → `service accounts`
        match = re.fullmatch(r"__(.+)_route_view_\d+", split)
        page = match.group(1).replace("_", " ") if match else split
        size = sum(gz(pkg / f"{chunk}.wasm") for chunk in chunks)
        if page in NOT_HYDRATED:
            print(f"{page}: not hydrated, 0 KiB before usable (rendered in the browser: "
                  f"{len(chunks)} chunks, {kib(size)} KiB)")
            continue
        rows.append((base + size, page, len(chunks), size))
    if not rows:
        sys.exit("the split manifest names no lazy routes: was the build made with --split?")
    print(f"\n{'first visit to':<22} {'chunks':>6} {'page KiB':>9} {'total KiB':>10}")
    for total, page, n, size in sorted(rows, reverse=True):
        print(f"{page:<22} {n:>6} {kib(size):>9} {kib(total):>10}")
    worst, page = max(rows)[0], max(rows)[1]
    home = next((total for total, name, _, _ in rows if name == "home"), 0)
    print(
        f"\nlargest first visit: {page}, {kib(worst)} KiB gzip (budget {budget_kib:g} KiB)"
        f"\nHome: {kib(home)} KiB gzip (budget {home_budget_kib:g} KiB)"
        f"\nthe goal of issue #14 is 244 KiB for every page"
    )
    failed = 0
    if worst > budget_kib * 1024:
        print("the largest page is over its size budget", file=sys.stderr)
        failed = 1
    if home > home_budget_kib * 1024:
        print("Home is over its size budget", file=sys.stderr)
        failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main())
