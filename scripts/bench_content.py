#!/usr/bin/env python3
"""The content comparison ("arrived intact") benchmark: a data folder whose one entity has
N legacy rows and N target rows of ten compared columns, with transforms and
normalisations and five kinds of injected defect; and the same join and comparisons
written in DuckDB, as a user would script them.

Usage:
  scripts/bench_content.py generate DATA_DIR N   writes the data folder (Parquet)
  scripts/bench_content.py duckdb DATA_DIR       prints DuckDB's figures as JSON
(needs `pip install duckdb`)

The rows: legacy `legacy_orders` (id 1..N) and target `orders` (a UUID per id), mapped by
`mappings/mappings.parquet`. The target holds each value as the migration writes it:
`email` lower-cased, `city` trimmed, `amount` without trailing zeros, `ordered_at` in UTC
(legacy: Zurich local time, in office hours), `code` prefixed with `X-`. Defects: `customer` truncated where
id % 1009 = 0, `amount` one cent off where id % 2003 = 0, `ordered_at` an hour late where
id % 3001 = 0, `note` NULL written as '' where id % 4001 = 0, `code` prefixed twice where
id % 5003 = 0.
"""
import json
import pathlib
import sys

import duckdb

MIGCOV_YAML = """\
content:
  - entity: orders
    legacy_key: id
    target_key: id
    columns:
      customer: customer
      email: {target: email, case: lower}
      city: {target: city, trim: true}
      amount: {target: amount, scale: 2}
      quantity: quantity
      price: {target: price, tolerance: 0.000001}
      ordered_at: {target: ordered_at, time_zone: {legacy: Europe/Zurich, target: UTC}}
      status: status
      note: note
      code: {target: code, transform: "concat('X-', code)"}
"""


def generate(data: pathlib.Path, n: int) -> None:
    for folder in ["mappings", "source_ids", "rows/legacy", "rows/target", "inventory"]:
        (data / folder).mkdir(parents=True, exist_ok=True)
    (data / "migcov.yaml").write_text(MIGCOV_YAML)
    (data / "domains.yaml").write_text(
        "- name: BUSINESS\n  priority: HIGH\n- name: CLINICAL\n  priority: CRITICAL\n"
        "- name: COMMUNICATIONS\n  priority: MEDIUM\n- name: TECHNICAL\n  priority: LOW\n"
    )
    (data / "entities.yaml").write_text(
        f"- name: orders\n  domain: BUSINESS\n  legacy_table: legacy_orders\n  target_table: orders\n"
        f"  total_records: {n}\n  migrated_records: {n}\n  failed_records: 0\n  entity_type: ORDER\n"
    )
    (data / "inventory/source.csv").write_text(f"table,row_count\nlegacy_orders,{n}\n")
    (data / "inventory/target.csv").write_text(f"table,row_count\norders,{n}\n")
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    # One row per id; the modern id a UUID made from the id's MD5.
    con.execute(
        f"""CREATE TABLE base AS SELECT i AS id,
              (substr(md5(i::VARCHAR), 1, 8) || '-' || substr(md5(i::VARCHAR), 9, 4) || '-4' ||
               substr(md5(i::VARCHAR), 14, 3) || '-8' || substr(md5(i::VARCHAR), 18, 3) || '-' ||
               substr(md5(i::VARCHAR), 21, 12)) AS modern_id
            FROM range(1, {n} + 1) t(i)"""
    )
    con.execute(
        f"COPY (SELECT 'ORDER' AS entity_type, id::VARCHAR AS legacy_id, modern_id FROM base) "
        f"TO '{data}/mappings/mappings.parquet' (FORMAT parquet)"
    )
    con.execute(f"COPY (SELECT id FROM base) TO '{data}/source_ids/legacy_orders.parquet' (FORMAT parquet)")
    legacy = """SELECT id::VARCHAR AS id,
        'Customer ' || id || ' Müller-Lüdenscheidt' AS customer,
        'Person.' || id || '@Example.COM' AS email,
        CASE id % 3 WHEN 0 THEN 'Zürich ' WHEN 1 THEN ' Bern' ELSE 'Genève' END AS city,
        printf('%.2f', (id % 100000) / 100.0) AS amount,
        (id % 50)::VARCHAR AS quantity,
        ((id % 977) / 7.0)::VARCHAR AS price,
        -- Office hours, local time: never in an hour a DST change skips or repeats.
        strftime(TIMESTAMP '2020-01-01 08:00:00' + to_days((id % 700)::INTEGER)
                 + to_seconds((id * 37) % 36000), '%Y-%m-%d %H:%M:%S') AS ordered_at,
        CASE id % 4 WHEN 0 THEN 'open' WHEN 1 THEN 'paid' WHEN 2 THEN 'shipped' ELSE 'closed' END AS status,
        CASE WHEN id % 4001 = 0 OR id % 7 = 0 THEN NULL ELSE 'Note ' || id END AS note,
        'C' || (id % 100000) AS code
      FROM base"""
    con.execute(f"CREATE TABLE legacy AS {legacy}")
    con.execute(f"COPY legacy TO '{data}/rows/legacy/legacy_orders.parquet' (FORMAT parquet)")
    target = f"""SELECT b.modern_id AS id,
        CASE WHEN b.id % 1009 = 0 THEN left(l.customer, 12) ELSE l.customer END AS customer,
        lower(l.email) AS email,
        trim(l.city) AS city,
        CASE WHEN b.id % 2003 = 0 THEN ((b.id % 100000) / 100.0 + 0.01)::VARCHAR
             ELSE ((b.id % 100000) / 100.0)::DOUBLE::VARCHAR END AS amount,
        l.quantity,
        l.price,
        strftime(timezone('UTC', timezone('Europe/Zurich', l.ordered_at::TIMESTAMP))
                 + CASE WHEN b.id % 3001 = 0 THEN INTERVAL 1 HOUR ELSE INTERVAL 0 HOUR END,
                 '%Y-%m-%dT%H:%M:%SZ') AS ordered_at,
        l.status,
        CASE WHEN b.id % 4001 = 0 THEN '' ELSE l.note END AS note,
        CASE WHEN b.id % 5003 = 0 THEN 'X-X-' || l.code ELSE 'X-' || l.code END AS code
      FROM base b JOIN legacy l ON l.id = b.id::VARCHAR"""
    con.execute(f"COPY ({target}) TO '{data}/rows/target/orders.parquet' (FORMAT parquet)")


def duckdb_figures(data: pathlib.Path) -> dict:
    """The join and the ten comparisons, as migcov declares them, in DuckDB SQL."""
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET TimeZone = 'UTC'")

    def number(x: str, scale: int) -> str:
        return f"round(TRY_CAST(trim({x}) AS DOUBLE), {scale})"

    def instant(x: str, zone: str) -> str:
        # A zone-less text read in `zone`, one with `Z` as UTC: epoch microseconds.
        return (
            f"CASE WHEN {x} LIKE '%Z' THEN epoch_us(TRY_CAST(replace(replace({x}, 'T', ' '), 'Z', '') AS TIMESTAMP)) "
            f"ELSE epoch_us(timezone('{zone}', TRY_CAST({x} AS TIMESTAMP))) END"
        )

    same = {
        "customer": "l.customer IS NOT DISTINCT FROM t.customer",
        "email": "lower(l.email) IS NOT DISTINCT FROM lower(t.email)",
        "city": "trim(l.city) IS NOT DISTINCT FROM trim(t.city)",
        "amount": f"{number('l.amount', 2)} IS NOT DISTINCT FROM {number('t.amount', 2)}",
        "quantity": "l.quantity IS NOT DISTINCT FROM t.quantity",
        "price": "(l.price IS NULL AND t.price IS NULL) OR abs(TRY_CAST(l.price AS DOUBLE) - TRY_CAST(t.price AS DOUBLE)) <= 0.000001",
        "ordered_at": f"{instant('l.ordered_at', 'Europe/Zurich')} IS NOT DISTINCT FROM {instant('t.ordered_at', 'UTC')}",
        "status": "l.status IS NOT DISTINCT FROM t.status",
        "note": "l.note IS NOT DISTINCT FROM t.note",
        "code": "('X-' || l.code) IS NOT DISTINCT FROM t.code",
    }
    flags = ",\n".join(f"coalesce({e}, false) AS \"{c}\"" for c, e in same.items())
    # Each side's values as compared, for the aggregates migcov shows beside the counts.
    normal = {
        "customer": "{}.customer", "email": "lower({}.email)", "city": "trim({}.city)",
        "amount": "round(TRY_CAST(trim({}.amount) AS DECIMAL(38, 10)), 2)",
        "quantity": "{}.quantity", "price": "TRY_CAST({}.price AS DECIMAL(38, 10))",
        "status": "{}.status", "note": "{}.note",
    }
    values = ",\n".join(
        f"{form.format(side)} AS \"{side}_{c}\"" for c, form in normal.items() for side in "lt"
    )
    values += ",\n" + ",\n".join(
        f"{instant(f'{side}.ordered_at', zone)} AS \"{side}_ordered_at\""
        for side, zone in [("l", "Europe/Zurich"), ("t", "UTC")]
    ) + ",\n('X-' || l.code) AS l_code, t.code AS t_code"
    con.execute(
        f"""CREATE TABLE compared AS
            SELECT {flags}, {values}
            FROM read_parquet('{data}/rows/legacy/*.parquet') l
            JOIN read_parquet('{data}/mappings/*.parquet') m
              ON trim(m.legacy_id) = trim(l.id) AND m.entity_type = 'ORDER'
            JOIN read_parquet('{data}/rows/target/*.parquet') t
              ON lower(t.id) = lower(m.modern_id)"""
    )
    sums = ", ".join(f"count(*) FILTER (WHERE NOT \"{c}\")" for c in same)
    all_same = " AND ".join(f'"{c}"' for c in same)
    row = con.execute(f"SELECT count(*), count(*) FILTER (WHERE {all_same}), {sums} FROM compared").fetchone()
    # The aggregates of each column on each side: values, nulls, distinct, lowest,
    # highest, and the sum of numbers or of text lengths.
    figures = []
    for c in same:
        for side in "lt":
            v = f'"{side}_{c}"'
            total = f"sum({v})" if c in ("amount", "price") else (
                "NULL" if c == "ordered_at" else f"sum(length({v}))")
            figures.append(f"count({v}), count(*) - count({v}), count(DISTINCT {v}), min({v}), max({v}), {total}")
    aggregates = con.execute(f"SELECT {', '.join(figures)} FROM compared").fetchone()
    distinct = {c: [aggregates[6 * (2 * i + j) + 2] for j in range(2)] for i, c in enumerate(same)}
    return {
        "compared": row[0],
        "intact": row[1],
        "differing": dict(zip(same, row[2:])),
        "distinct": distinct,
    }

if __name__ == "__main__":
    command, folder = sys.argv[1], pathlib.Path(sys.argv[2])
    if command == "generate":
        generate(folder, int(sys.argv[3]))
    elif command == "duckdb":
        print(json.dumps(duckdb_figures(folder)))
    else:
        sys.exit(f"unknown command {command}")
