# Sourced by scripts/bench-dvt.sh and scripts/bench-content-pushdown.sh: generates the data
# of scripts/bench_content.py ($records rows a side) into $work/data and loads its legacy
# rows, target rows and mappings into the PostgreSQL database $db of scripts/db-servers
# (dropped and created again). Sets user, password, host, port, PGPASSWORD, psql_ and url
# (the database's URL), and writes $work/config/collect.yaml, which reads its tables.
eval "$(scripts/db-servers start)"
# postgresql://user:password@host:port/db
read -r user password host port < <(python3 -c "
import sys, urllib.parse as u
p = u.urlparse(sys.argv[1]); print(p.username, p.password, p.hostname, p.port)" "$MIGCOV_TEST_PG")
export PGPASSWORD="$password"
psql_() { psql -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$user" "$@"; }

rm -rf "$work/data"
echo "== generate $records rows a side"
python3 scripts/bench_content.py generate "$work/data" "$records"
python3 - "$work/data" <<'PY'
import sys, duckdb
d = sys.argv[1]
for name, path in [("legacy_orders", "rows/legacy/legacy_orders"), ("orders", "rows/target/orders"),
                   ("mappings", "mappings/mappings")]:
    duckdb.sql(f"COPY (SELECT * FROM '{d}/{path}.parquet') TO '{d}/{name}.csv' (HEADER)")
PY
psql_ -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
psql_ -d "$db" <<SQL
CREATE TABLE legacy_orders (id bigint PRIMARY KEY, customer text, email text, city text,
  amount numeric(12,2), quantity int, price double precision, ordered_at timestamp,
  status text, note text, code text);
CREATE TABLE orders (id uuid PRIMARY KEY, customer text, email text, city text,
  amount numeric(12,2), quantity int, price double precision, ordered_at timestamptz,
  status text, note text, code text);
CREATE TABLE legacy_mapping (entity_type text, legacy_id text, modern_id uuid);
\copy legacy_orders FROM '$work/data/legacy_orders.csv' CSV HEADER
\copy orders FROM '$work/data/orders.csv' CSV HEADER
\copy legacy_mapping FROM '$work/data/mappings.csv' CSV HEADER
ANALYZE;
SQL

mkdir -p "$work/config"
cat >"$work/config/collect.yaml" <<YAML
source:
  tables: {include: [legacy_orders]}
target:
  tables: {include: [orders, legacy_mapping]}
queries:
  mappings: SELECT entity_type, legacy_id, modern_id FROM legacy_mapping
files: [migcov.yaml, entities.yaml, domains.yaml]
YAML
url="postgresql://$user@$host:$port/$db"
