#!/usr/bin/env python3
"""What a cold first visit to each console page downloads (WASM + JS, gzip -9).

Usage: bundle_size.py SITE_PKG_DIR BUDGET_KIB

The console is built in Leptos' islands mode with `--split`: a page is HTML from the server, and
the browser downloads the main WASM, its JS, the chunk loader and the chunks of that page's
islands (`#[island(lazy)]`, named `<island>_loader_<hash>` in the split manifest cargo-leptos
writes). Which islands each page has is read from `CONSOLE_PAGES` in app/src/app.rs, the list the
server preloads from; an island in the manifest that no page lists is an error.

Prints one line per page. Exits 1 when the largest page is above BUDGET_KIB. Pages without
islands (and pages outside CONSOLE_PAGES: sign-in, not found) are sent without the island
script: 0 KiB, listed apart.
"""

import gzip
import json
import re
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app" / "src"
GOAL_KIB = 244  # issue #14: 250 KB


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def kib(n: int) -> str:
    return f"{n / 1024:.1f}"


def one(pkg: Path, pattern: str) -> Path:
    found = sorted(pkg.glob(pattern))
    if len(found) != 1:
        sys.exit(f"expected one {pattern} in {pkg}, found {[p.name for p in found]}")
    return found[0]


def rust_paths(text: str) -> list[str]:
    """`crate::urls::NAME` and string literals in `text`, resolved to paths."""
    urls = dict(re.findall(r'pub const (\w+): &str = "([^"]*)";', (APP / "urls.rs").read_text()))
    return [urls[name] if name else literal
            for name, literal in re.findall(r'crate::urls::(\w+)|"([^"]*)"', text)]


def console_pages() -> dict[str, list[str]]:
    """path → islands, from app/src/app.rs."""
    source = (APP / "app.rs").read_text()
    table = re.search(r"pub const CONSOLE_PAGES[^=]*= &\[(.*?)\n\];", source, re.S)
    if not table:
        sys.exit("CONSOLE_PAGES not found in app/src/app.rs")
    pages = {}
    for path_part, islands in re.findall(r"\(\s*([^,]+),\s*&\[([^\]]*)\],?\s*\)", table.group(1)):
        pages[rust_paths(path_part)[0]] = re.findall(r'"([^"]+)"', islands)
    return pages


def main() -> int:
    pkg, budget_kib = Path(sys.argv[1]), float(sys.argv[2])
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

    pages = console_pages()
    # `service_accounts_manager_loader_<hash>` → `service_accounts_manager`
    modules_of = {re.sub(r"_loader_\d+$", "", key): modules for key, modules in manifest.items()}
    listed = {island for islands in pages.values() for island in islands}
    unlisted = sorted(set(modules_of) - listed)
    if unlisted:
        sys.exit(f"islands in the split manifest that no page in CONSOLE_PAGES lists: {unlisted}")

    rows = []
    for path, islands in pages.items():
        if not islands:
            print(f"{path}: no islands, sent without the island script: 0 KiB")
            continue
        chunks = sorted({chunk for island in islands for chunk in modules_of.get(island, [])})
        size = sum(gz(pkg / f"{chunk}.wasm") for chunk in chunks)
        rows.append((base + size, path, len(chunks), size))
    print("sign-in, not found: no islands: 0 KiB")
    print(f"\n{'first visit to':<26} {'chunks':>6} {'page KiB':>9} {'total KiB':>10}")
    for total, path, n, size in sorted(rows, reverse=True):
        print(f"{path:<26} {n:>6} {kib(size):>9} {kib(total):>10}")
    worst, page = max(rows)[0], max(rows)[1]
    over = [path for total, path, _, _ in sorted(rows, reverse=True) if total > GOAL_KIB * 1024]
    print(
        f"\nlargest first visit: {page}, {kib(worst)} KiB gzip (budget {budget_kib:g} KiB)"
        f"\nthe goal of issue #14 is {GOAL_KIB} KiB for every page; above it: {', '.join(over) or 'none'}"
    )
    if worst > budget_kib * 1024:
        print("the largest page is over its size budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
