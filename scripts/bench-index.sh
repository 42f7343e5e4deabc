#!/usr/bin/env bash
# Benchmark: a scripts index of N scripts (default 10,000) in headless Chromium — page size,
# load time, and the time to sort and to filter it. Needs chromium and `npm ci`.
# Usage: scripts/bench-index.sh [N] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts="${1:-10000}"
work="${2:-$(mktemp -d)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/migcov-target}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/migcov"
rm -rf "$work/data" "$work/site"
mkdir -p "$work/data/scripts"
cp tests/fixtures/base/domains.yaml "$work/data/"
awk -v n="$scripts" 'BEGIN {
  split("CORE BUSINESS SYSTEM SPECIALIZED COMMUNICATIONS CRITICAL_FIX", cat, " ");
  split("COMPLETE IN_PROGRESS NOT_STARTED FAILED", st, " ");
  for (i = 0; i < n; i++)
    printf "- name: script-%05d-migration.ts\n  category: %s\n  data_domain: %s\n  source_table: legacy_%d\n  target_table: modern_%d\n  status: %s\n",
      i, cat[i % 6 + 1], (i % 2 ? "BUSINESS" : "CLINICAL"), i, i, st[i % 4 + 1];
}' > "$work/data/scripts/all.yaml"
/usr/bin/time -f "build: %e s wall, %M KB peak" "$bin" build --data "$work/data" --out "$work/site" --report-date 2026-11-24 >/dev/null
ls -l "$work/site/scripts/index.html" | awk '{ printf "scripts/index.html: %.1f MB\n", $5 / 1e6 }'
node --input-type=module - "$work/site/scripts/index.html" <<'JS'
import { chromium } from "playwright-core";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const page = await browser.newPage();
let t = Date.now();
await page.goto("file://" + process.argv[2], { waitUntil: "load" });
const load = Date.now() - t;
const rows = await page.locator("table.sortable tbody tr:not([hidden])").count();
t = Date.now();
await page.locator("thead th").nth(0).locator("button").click();
const sort = Date.now() - t;
t = Date.now();
await page.locator("input.table-filter").fill("script-0999");
const filter = Date.now() - t;
console.log(`load ${load} ms, ${rows} rows shown, sort ${sort} ms, filter ${filter} ms`);
await browser.close();
JS
