#!/usr/bin/env python3
"""What a cold first visit to each console page downloads (WASM + JS, gzip -9).

Usage: bundle_size.py SITE_PKG_DIR BUDGET_KIB [HOME_BUDGET_KIB]

The console is built in Leptos' islands mode with `--split`: a page is HTML from the server, and
the browser downloads the main WASM, its JS, the chunk loader and the chunks of that page's
islands (`#[island(lazy)]`, named `<island>_loader_<hash>` in the split manifest cargo-leptos
writes). Which islands each page has is read from `CONSOLE_PAGES` in app/src/app.rs, the list the
server preloads from; an island in the manifest that no page lists is an error.

Prints one line per page. Exits 1 when the largest page is above BUDGET_KIB, or Home (where
signing in lands) above HOME_BUDGET_KIB (default 244: issue #14's 250 KB). The pages in
`STATIC_PAGES` (sign-in, audit log) are sent without the hydration script: 0 KiB, listed apart.
"""

import gzip
import json
import re
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app" / "src"


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


def console_pages() -> tuple[dict[str, list[str]], list[str]]:
    """(path → islands, static paths) from app/src/app.rs."""
    source = (APP / "app.rs").read_text()
    table = re.search(r"pub const CONSOLE_PAGES[^=]*= &\[(.*?)\n\];", source, re.S)
    statics = re.search(r"pub const STATIC_PAGES[^=]*= &\[(.*?)\];", source, re.S)
    if not table or not statics:
        sys.exit("CONSOLE_PAGES or STATIC_PAGES not found in app/src/app.rs")
    pages = {}
    for path_part, islands in re.findall(r"\(\s*([^,]+),\s*&\[([^\]]*)\],?\s*\)", table.group(1)):
        pages[rust_paths(path_part)[0]] = re.findall(r'"([^"]+)"', islands)
    return pages, rust_paths(statics.group(1))


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

    pages, statics = console_pages()
    listed = {island for islands in pages.values() for island in islands}
    unlisted = [key for key in manifest
                if re.sub(r"_loader_\d+$", "", key) not in listed]
    if unlisted:
        sys.exit(f"islands in the split manifest that no page in CONSOLE_PAGES lists: {unlisted}")

    for path in statics:
        print(f"{path}: sent without the hydration script, 0 KiB")
    rows = []
    for path, islands in pages.items():
        if path in statics:
            continue
        chunks = sorted({chunk for key, modules in manifest.items()
                         if re.sub(r"_loader_\d+$", "", key) in islands for chunk in modules})
        size = sum(gz(pkg / f"{chunk}.wasm") for chunk in chunks)
        rows.append((base + size, path, len(chunks), size))
    print(f"\n{'first visit to':<26} {'chunks':>6} {'page KiB':>9} {'total KiB':>10}")
    for total, path, n, size in sorted(rows, reverse=True):
        print(f"{path:<26} {n:>6} {kib(size):>9} {kib(total):>10}")
    worst, page = max(rows)[0], max(rows)[1]
    home = next(total for total, path, _, _ in rows if path == "/")
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
