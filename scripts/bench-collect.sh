#!/usr/bin/env bash
# Benchmark of `migcov collect`: a PostgreSQL legacy table of N rows (default 20,000,000)
# whose mappings miss 1,000 ids, collected three ways under GNU time:
#   full        every legacy id exported (legacy and target in two databases)
#   checksums   --pushdown across two databases: key ranges compared by checksums
#   anti-join   --pushdown with legacy table and mappings in one database
# and prints, for each: seconds, peak RSS, bytes read for the id comparison and in all,
# and the unmapped/orphan counts the build then reports (they must agree).
# Usage: scripts/bench-collect.sh [N] [WORKDIR]   (starts the servers with scripts/db-servers)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-20000000}"
work="${2:-$(mktemp -d)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/migcov-target}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/migcov"
eval "$(scripts/db-servers start | sed 's/^/export /')"
pg="$MIGCOV_TEST_PG"
base="${pg%/*}"
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$pg" "$@"; }
mkdir -p "$work"

echo "== building $rows legacy rows and $((rows - 1000)) mappings"
psql_admin -c "DROP DATABASE IF EXISTS bench_legacy" -c "DROP DATABASE IF EXISTS bench_target" \
    -c "CREATE DATABASE bench_legacy" -c "CREATE DATABASE bench_target"
step=$((rows / 1000))
setup="
CREATE TABLE legacy_orders AS SELECT g::bigint AS id, md5(g::text) AS payload
  FROM generate_series(1, $rows) g;
ALTER TABLE legacy_orders ADD PRIMARY KEY (id);
CREATE TABLE legacy_mapping AS SELECT 'ORDER'::text AS entity_type, g::text AS legacy_id,
  md5(g::text)::uuid AS modern_id FROM generate_series(1, $rows) g WHERE g % $step <> 0;
CREATE TABLE entities AS SELECT 'orders'::text AS name, 'BUSINESS'::text AS domain,
  'legacy_orders'::text AS legacy_table, 'orders'::text AS target_table,
  $rows::bigint AS total_records, ($rows - 1000)::bigint AS migrated_records,
  1000::bigint AS failed_records, 'ORDER'::text AS entity_type;"
time psql -X -q -v ON_ERROR_STOP=1 "$base/bench_legacy" -c "$setup" -c "VACUUM ANALYZE"
# The target holds only the bookkeeping (the legacy table stays in bench_legacy).
psql -X -q -v ON_ERROR_STOP=1 "$base/bench_target" -c "
CREATE TABLE legacy_mapping AS SELECT 'ORDER'::text AS entity_type, g::text AS legacy_id,
  md5(g::text)::uuid AS modern_id FROM generate_series(1, $rows) g WHERE g % $step <> 0;
CREATE TABLE entities AS SELECT 'orders'::text AS name, 'BUSINESS'::text AS domain,
  'legacy_orders'::text AS legacy_table, 'orders'::text AS target_table,
  $rows::bigint AS total_records, ($rows - 1000)::bigint AS migrated_records,
  1000::bigint AS failed_records, 'ORDER'::text AS entity_type;" -c "VACUUM ANALYZE"

cat >"$work/collect.yaml" <<'YAML'
source:
  tables: {include: [legacy_orders]}
target:
  tables: {include: [legacy_orders, legacy_mapping]}
queries:
  mappings: SELECT entity_type, legacy_id, modern_id FROM legacy_mapping
  entities: >
    SELECT name, domain, legacy_table, target_table, total_records, migrated_records,
    failed_records, entity_type FROM entities
YAML

run() {
    local name="$1" source="$2" target="$3"
    shift 3
    rm -rf "$work/$name" "$work/$name-site"
    /usr/bin/time -o "$work/$name.time" -f "%e %M" \
        "$bin" collect --source "$source" --target "$target" --config "$work/collect.yaml" \
        --out "$work/$name" "$@" >/dev/null
    "$bin" build --exit-zero --data "$work/$name" --out "$work/$name-site" \
        --report-date 2026-11-28 >/dev/null
}
echo "== full export"
run full "$base/bench_legacy" "$base/bench_target"
echo "== pushdown across two databases (checksums)"
run checksums "$base/bench_legacy" "$base/bench_target" --pushdown
echo "== pushdown in one database (anti-join)"
run anti-join "$base/bench_legacy" "$base/bench_legacy" --pushdown

python3 - "$work" "$rows" <<'PY'
import json, sys, pathlib
work, rows = pathlib.Path(sys.argv[1]), int(sys.argv[2])
print(f"\n{rows:,} legacy rows, {rows - 1000:,} mappings, 1,000 ids unmapped\n")
print("| mode | seconds | peak RSS | bytes for the id comparison | bytes in all | unmapped | orphans |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name in ("full", "checksums", "anti-join"):
    seconds, kb = map(float, (work / f"{name}.time").read_text().split())
    c = json.loads((work / name / "collect.json").read_text())
    ids = sum(q["bytes"] for q in c["queries"] if q["table"] == "legacy_orders" and q["purpose"] != "mappings")
    s = json.loads((work / f"{name}-site/api/coverage/summary.json").read_text())
    orphans = s["rules"].get("missing.mapping.orphan", {}).get("violations", 0)
    print(f"| {name} | {seconds:.1f} | {kb / 1024:.0f} MiB | {ids / 1e6:,.2f} MB | {c['bytes'] / 1e6:,.1f} MB "
          f"| {s['missing_records']:,} | {orphans:,} |")
PY
