#!/usr/bin/env bash
# Benchmark: generate N records, then time `migcov build` (the checks and the whole site)
# against the same checks written in DuckDB (scripts/bench_duckdb.py: each export read once
# into a table, then SQL), both under GNU time, and check that they agree on every figure.
# Usage: scripts/bench.sh [N] [WORKDIR] [parquet|csv] [narrow|realistic]
#   (needs python3 with duckdb and pyyaml)
# With `csv`, the generated mappings are rewritten as CSV (by DuckDB) before either tool runs.
# `realistic` generates mapping rows as a real export has them (`migcov generate --shape`);
# DuckDB then also runs migcov's per-row column checks (UUID ids, timestamps, JSON), timed
# apart.
set -euo pipefail
cd "$(dirname "$0")/.."
records="${1:-1000000}"
work="${2:-$(mktemp -d)}"
format="${3:-parquet}"
shape="${4:-narrow}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/migcov-target}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/migcov"
python3 -c "import duckdb, yaml" 2>/dev/null || python3 -m pip install --quiet duckdb pyyaml
rm -rf "$work/data" "$work/site"
echo "== generate $records records"
/usr/bin/time -f "generate: %e s wall, %M KB peak" "$bin" generate --out "$work/data" --records "$records" --shape "$shape"
if [ "$format" = csv ]; then
    python3 - "$work/data/mappings" <<'PY'
import pathlib, sys, duckdb
for parquet in sorted(pathlib.Path(sys.argv[1]).glob("*.parquet")):
    duckdb.sql(f"COPY (SELECT * FROM '{parquet}') TO '{parquet.with_suffix('.csv')}' (HEADER)")
    parquet.unlink()
PY
    echo "mappings rewritten as CSV"
fi
input=$(du -sk "$work/data" | cut -f1)
echo "input: $((input / 1024)) MiB"

/usr/bin/time -o "$work/migcov.time" -f "%e %M" \
    "$bin" build --exit-zero --data "$work/data" --out "$work/site" --report-date 2026-11-24 >/dev/null
/usr/bin/time -o "$work/duckdb.time" -f "%e %M" \
    python3 scripts/bench_duckdb.py "$work/data" >"$work/duckdb.json"
if [ "$shape" = realistic ]; then
    /usr/bin/time -o "$work/duckdb-full.time" -f "%e %M" \
        python3 scripts/bench_duckdb.py "$work/data" --full >"$work/duckdb-full.json"
fi

python3 - "$work" "$input" <<'PY'
import json, sys, pathlib
work, input_kb = pathlib.Path(sys.argv[1]), int(sys.argv[2])
duck = json.loads((work / "duckdb.json").read_text())
s = json.loads((work / "site/api/coverage/summary.json").read_text())
rules = s["rules"]
ours = {
    "duplicate_legacy_ids": rules.get("integrity.mapping.duplicate_legacy_id", {}).get("violations", 0),
    "invalid_modern_ids": rules.get("integrity.mapping.invalid_modern_id", {}).get("violations", 0),
    "missing_records": s["missing_records"],
    "orphans": rules.get("missing.mapping.orphan", {}).get("violations", 0),
    "ledger_legacy_rows": s["ledger"]["legacy_rows"],
    "ledger_migrated_from_ids": s["ledger"]["migrated"],
    "overall_success_rate": s["report"]["overall_success_rate"],
}
disagree = [k for k in ours if abs(float(ours[k]) - float(duck[k])) > 1e-9]
(mt, mk), (dt, dk) = [map(float, (work / f).read_text().split()) for f in ("migcov.time", "duckdb.time")]
print("| tool | seconds | peak RSS | peak / input |")
print("|---|---:|---:|---:|")
rows = [("migcov build (checks + site)", mt, mk), ("DuckDB (checks only)", dt, dk)]
full = work / "duckdb-full.time"
if full.exists():
    ft, fk = map(float, full.read_text().split())
    rows.append(("DuckDB (checks + per-row column checks)", ft, fk))
for name, t, kb in rows:
    print(f"| {name} | {t:.1f} | {kb / 1024:.0f} MiB | {kb / input_kb:.2f}x |")
print(f"ratio migcov / DuckDB: {mt / dt:.2f}")
print("agree on every figure:", "yes" if not disagree else f"NO: {disagree}")
# For scripts/perf-table.sh: the figures of this run.
result = {"input_kib": input_kb, "migcov": [mt, mk], "duckdb": [dt, dk], "agree": not disagree}
if full.exists():
    result["duckdb_full"] = [ft, fk]
(work / "result.json").write_text(json.dumps(result))
PY

# Every page stays small whatever the size of the migration: long series are binned and
# the executions listed a thousand to a page (every one in the script's CSV).
largest=$(find "$work/site" -name '*.html' -printf '%s %P\n' | sort -n | tail -1)
echo "largest page: ${largest#* } (${largest%% *} bytes)"
echo "${largest%% *}" >"$work/largest-page"
if [ "${largest%% *}" -gt 1048576 ]; then
    echo "a page is over 1 MB" >&2
    exit 1
fi
