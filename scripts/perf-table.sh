#!/usr/bin/env bash
# Regenerates the performance table of README.md and docs/performance.md (between their
# perf-table markers): for each
# size given, both data shapes (narrow, realistic) and both input formats (Parquet, CSV),
# scripts/bench.sh is run (migcov beside DuckDB, in the same run) and its figures written
# with the machine they were measured on.
# Usage: scripts/perf-table.sh [SIZE ...]   (default: 1000000 10000000; needs python3
#   with duckdb and pyyaml, as scripts/bench.sh does)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for size in "${sizes[@]}"; do
    for shape in narrow realistic; do
        for format in parquet csv; do
            run="$work/$size-$shape-$format"
            mkdir -p "$run"
            echo "== $size $shape $format"
            scripts/bench.sh "$size" "$run" "$format" "$shape" | tail -3
            rm -rf "$run/data" "$run/site"
        done
    done
done
python3 - "$work" "${sizes[@]}" <<'PY'
import json, os, pathlib, platform, subprocess, sys, datetime
work, sizes = pathlib.Path(sys.argv[1]), sys.argv[2:]
def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in sh("lscpu").splitlines() if l.startswith("Model name")), platform.machine())
memory = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
commit = sh("git", "rev-parse", "--short", "HEAD")
lines = [
    f"Measured {datetime.date.today()} by `scripts/perf-table.sh {' '.join(sizes)}` on {os.cpu_count()} cores "
    f"({cpu}), {memory} GiB, migcov at {commit}, release build; DuckDB in the same run.",
    "",
    "| records | shape | format | input | `migcov build` (checks + site) | DuckDB (checks) | DuckDB (checks + per-row) | ratio | agree | largest page |",
    "|---:|---|---|---:|---|---|---|---:|---|---:|",
]
for size in sizes:
    for shape in ("narrow", "realistic"):
        for fmt in ("parquet", "csv"):
            run = work / f"{size}-{shape}-{fmt}"
            r = json.loads((run / "result.json").read_text())
            largest = int((run / "largest-page").read_text())
            cell = lambda pair: f"{pair[0]:.1f} s, {pair[1] / 1024:,.0f} MiB"
            full = cell(r["duckdb_full"]) if "duckdb_full" in r else "—"
            lines.append(
                f"| {int(size):,} | {shape} | {fmt} | {r['input_kib'] / 1024:,.0f} MiB | {cell(r['migcov'])} "
                f"| {cell(r['duckdb'])} | {full} | {r['migcov'][0] / r['duckdb'][0]:.2f} "
                f"| {'yes' if r['agree'] else 'NO'} | {largest / 1024:,.0f} KiB |"
            )
start, end = "<!-- perf-table:start -->", "<!-- perf-table:end -->"
for doc in (pathlib.Path("README.md"), pathlib.Path("docs/performance.md")):
    head, rest = doc.read_text().split(start)
    _, tail = rest.split(end)
    doc.write_text(head + start + "\n" + "\n".join(lines) + "\n" + end + tail)
print("\n".join(lines))
PY
