#!/usr/bin/env python3
"""The checks migcov runs, written as a DuckDB user would: every export read once into a
table, then SQL. Prints the figures as JSON, so scripts/bench.sh can time this against
`migcov build` and compare every number.

Usage: scripts/bench_duckdb.py DATA_DIR [--full]  (needs `pip install duckdb pyyaml`)
With --full it also runs the per-row column checks migcov runs on every mapping row: `id` and
`modern_id` are UUIDs, `migrated_at` is a timestamp, `metadata` is JSON.
"""
import json
import pathlib
import sys

import uuid

import duckdb
import yaml

# migcov derives a missing id as UUID v5 of "kind:name" in this namespace (src/model).
NAMESPACE = uuid.UUID(int=0x6D69_6763_6F76_4000_8000_6D69_6763_6F76)

data = pathlib.Path(sys.argv[1])
full = "--full" in sys.argv[2:]
con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")

# Manifests: entities (who owns which legacy table and entity type) and exclusions.
entities = yaml.safe_load((data / "entities.yaml").read_text()) or []
config = yaml.safe_load((data / "migcov.yaml").read_text()) or {}
excluded_tables = {x["table"].lower() for x in config.get("exclusions", []) if "ids" not in x and "where" not in x}
con.execute("CREATE TABLE owners (table_key VARCHAR, entity_type VARCHAR, migrated BIGINT)")
con.executemany(
    "INSERT INTO owners VALUES (?, ?, ?)",
    [(e["legacy_table"].strip().lower(), (e.get("entity_type") or "").strip().upper(), e["migrated_records"]) for e in entities],
)

# References are a UUID or a name: one key per script and entity, as migcov resolves them.
scripts = [m for f in sorted((data / "scripts").rglob("*.yaml")) for m in (lambda d: d if isinstance(d, list) else [d])(yaml.safe_load(f.read_text()))]
con.execute("CREATE TABLE refs (ref VARCHAR, id VARCHAR)")
pairs = []
for kind, items in (("script", scripts), ("entity", entities)):
    for item in items:
        key = item.get("id") or str(uuid.uuid5(NAMESPACE, f"{kind}:{item['name']}"))
        pairs += [(item["name"], key), (key, key)]
con.executemany("INSERT INTO refs VALUES (?, ?)", pairs)

# Mappings as Parquet or CSV, whichever the folder holds.
parquet = sorted(str(p) for p in (data / "mappings").rglob("*.parquet"))
csv = sorted(str(p) for p in (data / "mappings").rglob("*.csv"))
reader = f"read_parquet({parquet})" if parquet else f"read_csv({csv}, all_varchar = true)"
extra = ", CAST(id AS VARCHAR) AS id, migrated_at, metadata" if full else ""
con.execute(
    f"""CREATE TABLE mappings AS SELECT upper(trim(entity_type)) AS t, trim(CAST(legacy_id AS VARCHAR)) AS legacy_id,
        modern_id{extra} FROM {reader}"""
)
con.execute(
    f"""CREATE TABLE source_ids AS
        SELECT lower(regexp_extract(filename, '([^/]+)\\.csv$', 1)) AS table_key, CAST(id AS VARCHAR) AS id
        FROM read_csv('{data}/source_ids/*.csv', filename = true, all_varchar = true)"""
)
con.execute(f"CREATE TABLE inventory AS SELECT lower(trim(\"table\")) AS table_key, row_count FROM read_csv('{data}/inventory/source.csv')")
con.execute(
    f"""CREATE TABLE metrics AS SELECT * FROM read_csv('{data}/metrics/*.csv', all_varchar = true)"""
)
con.execute(f"CREATE TABLE logs AS SELECT * FROM read_json('{data}/logs/*.ndjson', format = 'newline_delimited')")

q = lambda sql: con.execute(sql).fetchone()[0]
figures = {}
figures["duplicate_legacy_ids"] = q(
    "SELECT count(*) - count(DISTINCT (t, legacy_id)) FROM mappings WHERE legacy_id IS NOT NULL")
figures["invalid_modern_ids"] = q(
    """SELECT count(*) FROM mappings WHERE modern_id IS NULL OR NOT regexp_full_match(modern_id,
       '(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')""")
# Unmapped: source ids with no mapping of their table's owner types (tables excluded whole left out).
figures["missing_records"] = q(
    f"""SELECT count(*) FROM source_ids s
        WHERE s.table_key NOT IN ({",".join(repr(t) for t in excluded_tables) or "''"})
          AND NOT EXISTS (SELECT 1 FROM owners o JOIN mappings m ON m.t = o.entity_type
                          WHERE o.table_key = s.table_key AND m.legacy_id = s.id)""")
figures["orphans"] = q(
    """SELECT count(*) FROM mappings m JOIN owners o ON m.t = o.entity_type
       WHERE o.table_key IN (SELECT DISTINCT table_key FROM source_ids)
         AND NOT EXISTS (SELECT 1 FROM source_ids s WHERE s.table_key = o.table_key AND s.id = m.legacy_id)""")
figures["ledger_legacy_rows"] = q("SELECT sum(row_count) FROM inventory")
figures["ledger_migrated_from_ids"] = q(
    """SELECT count(*) FROM (SELECT DISTINCT s.table_key, s.id FROM source_ids s
       JOIN owners o ON o.table_key = s.table_key JOIN mappings m ON m.t = o.entity_type AND m.legacy_id = s.id)""")
# Overall success rate over final runs: per script and entity, the run that ends last.
figures["overall_success_rate"] = q(
    """WITH r AS (SELECT s.id AS script, e.id AS entity, coalesce(run_id, '') AS run, execution_date,
                  CAST(records_successful AS BIGINT) AS ok, CAST(records_processed AS BIGINT) AS n
                  FROM metrics JOIN refs s ON s.ref = trim(script_id) LEFT JOIN refs e ON e.ref = trim(entity_id)),
            m AS (SELECT *, max(execution_date) OVER (PARTITION BY script, entity, run) AS run_end FROM r),
            f AS (SELECT * FROM m QUALIFY run_end = max(run_end) OVER (PARTITION BY script, entity))
       SELECT sum(ok) / sum(n) FROM f""")
if full:
    uuid_re = "'(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'"
    figures["invalid_ids"] = q(f"SELECT count(*) FROM mappings WHERE id IS NOT NULL AND NOT regexp_full_match(id, {uuid_re})")
    figures["invalid_migrated_at"] = q(
        "SELECT count(*) FROM mappings WHERE migrated_at IS NOT NULL AND TRY_CAST(migrated_at AS TIMESTAMPTZ) IS NULL")
    figures["invalid_metadata"] = q("SELECT count(*) FROM mappings WHERE metadata IS NOT NULL AND NOT json_valid(metadata)")
print(json.dumps(figures, indent=2, default=float))
