#!/usr/bin/env bash
# The content comparison beside Google's Data Validation Tool (PyPI
# google-pso-data-validator) on PostgreSQL: the data folder of scripts/bench_content.py
# loaded into a PostgreSQL database, then
#   - `migcov collect` (rows in canonical text) and `migcov build`, timed together;
#   - DVT's row validation (`validate custom-query row`, every compared column), with the
#     declaration's transforms and normalisations written into its two queries, since DVT
#     compares rows by one key and has neither mappings nor normalisations; timed.
# Both must find the same differing rows per column.
# Usage: scripts/bench-dvt.sh [N] [WORKDIR]   (PostgreSQL from scripts/db-servers; needs
#   python3 with duckdb; installs DVT into WORKDIR/dvt-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
records="${1:-100000}"
work="${2:-$(mktemp -d)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/migcov-target}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/migcov"
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install --quiet duckdb
if [ ! -x "$work/dvt-venv/bin/data-validation" ]; then
    python3 -m venv "$work/dvt-venv"
    "$work/dvt-venv/bin/pip" install --quiet google-pso-data-validator
fi
db=migcov_bench_content
rm -rf "$work/collected" "$work/site"
. scripts/bench-content-pg.sh

# migcov: collect from the database (the one server holds both sides), then build.
mkdir -p "$work/config"
cp "$work/data/migcov.yaml" "$work/data/entities.yaml" "$work/data/domains.yaml" "$work/config/"
/usr/bin/time -o "$work/migcov.time" -f "%e %M" sh -c "
  '$bin' collect --source '$url' --target '$url' --out '$work/collected' --config '$work/config/collect.yaml' >/dev/null &&
  '$bin' build --exit-zero --data '$work/collected' --out '$work/site' --report-date 2026-12-05 >/dev/null"

# DVT: the same join and normalisations, written into its queries.
dvt="$work/dvt-venv/bin/data-validation"
# DVT keeps its connections, password included, under ~/.config: removed when done.
trap 'rm -f "$HOME/.config/google-pso-data-validator/bench.connection.json"' EXIT
"$dvt" connections add --connection-name bench Postgres --host "$host" --port "$port" \
    --user "$user" --password "$password" --database "$db" >/dev/null
columns="customer,email,city,amount,quantity,price,ordered_at,status,note,code"
source_query="SELECT id AS key, customer, lower(email) AS email, trim(city) AS city, amount, quantity,
  price, to_char((ordered_at AT TIME ZONE 'Europe/Zurich') AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS ordered_at,
  status, note, 'X-' || code AS code FROM legacy_orders"
target_query="SELECT m.legacy_id::bigint AS key, t.customer, lower(t.email) AS email, trim(t.city) AS city, t.amount,
  t.quantity, t.price, to_char(t.ordered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS ordered_at,
  t.status, t.note, t.code FROM orders t JOIN legacy_mapping m ON m.modern_id = t.id"
/usr/bin/time -o "$work/dvt.time" -f "%e %M" \
    "$dvt" validate custom-query row -sc bench -tc bench -sq "$source_query" -tq "$target_query" \
    --primary-keys key --comparison-fields "$columns" --format csv --filter-status fail \
    >"$work/dvt.csv" 2>"$work/dvt.log"

python3 - "$work" "$records" <<'PY'
import csv, json, sys, pathlib, collections
work, n = pathlib.Path(sys.argv[1]), int(sys.argv[2])
table = json.loads((work / "site/api/validate/content.json").read_text())["entities"][0]
ours = {c["legacy"]: c["differing"] for c in table["columns"]}
failed = collections.Counter()
with open(work / "dvt.csv", newline="") as f:
    for row in csv.DictReader(f):
        if row.get("validation_status") == "fail":
            failed[row["source_column_name"]] += 1
dvt = {c: failed.get(c, 0) for c in ours}
print(f"\n{n:,} rows a side on PostgreSQL")
print("| column | migcov | DVT |\n|---|---:|---:|")
for c in ours:
    print(f"| `{c}` | {ours[c]:,} | {dvt[c]:,} |")
def row(name, f):
    secs, kb = (work / f).read_text().split()
    return f"| {name} | {float(secs):.1f} s | {int(kb) / 1024:,.0f} MiB |"
print("\n| | time | peak memory |\n|---|---:|---:|")
print(row("migcov collect + build", "migcov.time"))
print(row("DVT custom-query row validation", "dvt.time"))
if ours != dvt:
    sys.exit(f"the two disagree: migcov {ours}, DVT {dvt}")
PY
