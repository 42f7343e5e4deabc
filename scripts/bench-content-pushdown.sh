#!/usr/bin/env bash
# `migcov collect --pushdown` of a content: declaration on one PostgreSQL database, and
# on two (the legacy table copied into a database of its own, compared by the digests of
# key ranges), beside the full export of the same rows: the data of scripts/bench_content.py (N rows a side,
# five kinds of injected defect) loaded into PostgreSQL, compared through a declaration of
# the pairs the database can prove (customer, amount at scale 2, quantity, status, note:
# no transform, no zone per side, no float). Both collections are built; their comparisons
# must be the same (intact, differing per column, samples; the pushed-down one has no
# aggregates). Prints the time, peak memory, rows exported and bytes of each collection.
# Usage: scripts/bench-content-pushdown.sh [N] [WORKDIR]   (PostgreSQL from
#   scripts/db-servers; needs python3 with duckdb)
set -euo pipefail
cd "$(dirname "$0")/.."
records="${1:-1000000}"
work="${2:-$(mktemp -d)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/migcov-target}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/migcov"
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install --quiet duckdb
db=migcov_bench_pushdown
rm -rf "$work"/{full,pushed,ranges}{,-site}
. scripts/bench-content-pg.sh
# The legacy table again, alone in a database of its own: the source of the two-server run.
psql_ -d postgres -c "DROP DATABASE IF EXISTS ${db}_legacy WITH (FORCE)" -c "CREATE DATABASE ${db}_legacy"
psql_ -d "${db}_legacy" <<SQL
CREATE TABLE legacy_orders (id bigint PRIMARY KEY, customer text, email text, city text,
  amount numeric(12,2), quantity int, price double precision, ordered_at timestamp,
  status text, note text, code text);
\copy legacy_orders FROM '$work/data/legacy_orders.csv' CSV HEADER
ANALYZE;
SQL

mkdir -p "$work/config"
cp "$work/data/entities.yaml" "$work/data/domains.yaml" "$work/config/"
cat >"$work/config/migcov.yaml" <<YAML
content:
  - entity: orders
    legacy_key: id
    target_key: id
    columns:
      customer: customer
      amount: {target: amount, scale: 2}
      quantity: quantity
      status: status
      note: note
YAML
for mode in full pushed ranges; do
    flag="" source="$url"
    [ "$mode" != full ] && flag="--pushdown"
    [ "$mode" = ranges ] && source="postgresql://$user@$host:$port/${db}_legacy"
    echo "== collect ($mode)"
    /usr/bin/time -o "$work/$mode.time" -f "%e %M" \
        "$bin" collect --source "$source" --target "$url" --out "$work/$mode" \
        --config "$work/config/collect.yaml" $flag >/dev/null
    "$bin" build --exit-zero --data "$work/$mode" --out "$work/$mode-site" --report-date 2026-12-06 >/dev/null
done

python3 - "$work" "$records" <<'PY'
import json, sys, pathlib, duckdb
work, n = pathlib.Path(sys.argv[1]), int(sys.argv[2])
def content(mode):
    table = json.loads((work / f"{mode}-site/api/validate/content.json").read_text())["entities"][0]
    table.pop("intact_in_database", None)
    for c in table["columns"]:
        c.pop("aggregates", None)
    return table
full, pushed, ranges = content("full"), content("pushed"), content("ranges")
def rows(mode, side, table):
    path = work / mode / "rows" / side / f"{table}.parquet"
    return duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall()[0][0]
def bytes_of(mode):
    return sum(f.stat().st_size for f in (work / mode / "rows").rglob("*.parquet"))
summary = json.loads((work / "pushed/rows/pushdown/legacy_orders.json").read_text())
by_ranges = json.loads((work / "ranges/rows/pushdown/legacy_orders.json").read_text())
print(f"\n{n:,} rows a side on PostgreSQL: {full['intact']:,} intact, {full['differs']:,} differ")
print("| collection | time | peak memory | legacy rows exported | target rows exported | rows files |")
print("|---|---:|---:|---:|---:|---:|")
for mode, name in [("full", "`collect` (full export)"), ("pushed", "`collect --pushdown` (one database)"),
                   ("ranges", "`collect --pushdown` (two databases, key ranges)")]:
    secs, kb = (work / f"{mode}.time").read_text().split()
    print(f"| {name} | {float(secs):.1f} s | {int(kb) / 1024:,.0f} MiB | {rows(mode, 'legacy', 'legacy_orders'):,} "
          f"| {rows(mode, 'target', 'orders'):,} | {bytes_of(mode) / 2**20:,.1f} MiB |")
print(f"\nproved intact in the database: {summary['intact']:,} ids; by ranges: {by_ranges['intact']:,} ids")
if full != pushed or full != ranges:
    sys.exit("the comparisons differ")
print("same comparison: yes")
PY
