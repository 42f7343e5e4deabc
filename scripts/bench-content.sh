#!/usr/bin/env bash
# Benchmark of the content comparison ("arrived intact"): N legacy rows against N target
# rows of ten compared columns (transforms, case, trim, scale, tolerance, time zones) from
# Parquet, `migcov build` (the whole site) beside DuckDB doing the same join and
# comparisons on the same files, both under GNU time; the figures must agree.
# Usage: scripts/bench-content.sh [N] [WORKDIR]   (needs python3 with duckdb)
set -euo pipefail
cd "$(dirname "$0")/.."
records="${1:-1000000}"
work="${2:-$(mktemp -d)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/migcov-target}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/migcov"
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install --quiet duckdb
rm -rf "$work/data" "$work/site"
echo "== generate $records rows a side"
python3 scripts/bench_content.py generate "$work/data" "$records"
input=$(du -sk "$work/data" | cut -f1)
echo "input: $((input / 1024)) MiB"
/usr/bin/time -o "$work/migcov.time" -f "%e %M" \
    "$bin" build --exit-zero --data "$work/data" --out "$work/site" --report-date 2026-12-05 >/dev/null
/usr/bin/time -o "$work/duckdb.time" -f "%e %M" \
    python3 scripts/bench_content.py duckdb "$work/data" >"$work/duckdb.json"
python3 - "$work" "$records" <<'PY'
import json, sys, pathlib
work, n = pathlib.Path(sys.argv[1]), int(sys.argv[2])
duck = json.loads((work / "duckdb.json").read_text())
table = json.loads((work / "site/api/validate/content.json").read_text())["entities"][0]
ours = {"compared": table["compared"], "intact": table["intact"],
        "differing": {c["legacy"]: c["differing"] for c in table["columns"]}}
# Worked out from the generator: each defect every k-th id.
expected = {"customer": n // 1009, "amount": n // 2003, "ordered_at": n // 3001, "note": n // 4001, "code": n // 5003}
for column, count in expected.items():
    assert ours["differing"][column] == count, (column, ours["differing"][column], count)
# The distinct values of each column on each side, as the aggregates show them.
ours["distinct"] = {c["legacy"]: [int(a[s]) for a in c["aggregates"] if a["name"] == "distinct" for s in ("legacy", "target")]
                    for c in table["columns"]}
assert ours == duck, f"migcov {ours} != duckdb {duck}"
def row(name, f):
    secs, kb = (work / f).read_text().split()
    return f"| {name} | {float(secs):.1f} s | {int(kb) / 1024:,.0f} MiB |"
print(f"\n{n:,} rows a side, figures agree: {ours['intact']:,} intact of {ours['compared']:,}")
print("| | time | peak memory |\n|---|---:|---:|")
print(row("migcov build (whole site)", "migcov.time"))
print(row("DuckDB: the join, the ten comparisons and the aggregates", "duckdb.time"))
PY
