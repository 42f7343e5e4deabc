#!/usr/bin/env bash
# Benchmark of `migcov collect`: a PostgreSQL legacy table of N rows (default 20,000,000)
# whose mappings miss 1,000 ids and hold 10 orphans, collected three ways under GNU time:
#   full        every legacy id and every mapping exported (two databases)
#   checksums   --pushdown across two databases: key ranges compared by MD5 digests
#   anti-join   --pushdown with legacy table and mappings in one database
# and reladiff (PyPI, installed into a virtualenv) on the same pair, as its users run it:
#   reladiff hashdiff  across the two databases (bisection by checksums)
#   reladiff joindiff  in one database (an outer join there)
# It prints, for each: seconds, peak RSS, bytes PostgreSQL sent (counted by a proxy on the
# wire, for every tool alike; migcov's own count of the values is beside), the differences found
# (migcov: the unmapped ids and orphans its build reports; reladiff: rows only in the
# legacy table and only in the mappings). They must agree.
# Usage: scripts/bench-collect.sh [N] [WORKDIR]   (starts the servers with scripts/db-servers)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-20000000}"
work="${2:-$(mktemp -d)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/migcov-target}"
# MIGCOV_BIN: a migcov binary to measure instead of a fresh release build.
bin="${MIGCOV_BIN:-}"
if [ -z "$bin" ]; then
    cargo build --release --locked --quiet
    bin="$CARGO_TARGET_DIR/release/migcov"
fi
eval "$(scripts/db-servers start | sed 's/^/export /')"
pg="$MIGCOV_TEST_PG"
base="${pg%/*}"
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$pg" "$@"; }
mkdir -p "$work"

# BENCH_MODES: which runs (default all): full checksums anti-join reladiff; BENCH_SETUP=0
# keeps the databases of an earlier run.
modes=" ${BENCH_MODES:-full checksums anti-join reladiff} "
want() { case "$modes" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
if [ "${BENCH_SETUP:-1}" = 1 ]; then
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
INSERT INTO legacy_mapping SELECT 'ORDER', ($rows + g)::text, md5(('o' || g)::text)::uuid
  FROM generate_series(1, 10) g;
CREATE TABLE entities AS SELECT 'orders'::text AS name, 'BUSINESS'::text AS domain,
  'legacy_orders'::text AS legacy_table, 'orders'::text AS target_table,
  $rows::bigint AS total_records, ($rows - 1000)::bigint AS migrated_records,
  1000::bigint AS failed_records, 'ORDER'::text AS entity_type;
-- What reladiff compares the legacy table with: the mapped ids as a table keyed as the
-- legacy table is (its key must be comparable and indexed; over a view casting the text
-- legacy_id, each of its range queries scanned all the mappings: over 15 min at 20M).
CREATE TABLE mapped_orders AS SELECT DISTINCT legacy_id::bigint AS id FROM legacy_mapping
  WHERE entity_type = 'ORDER';
ALTER TABLE mapped_orders ADD PRIMARY KEY (id);"
time psql -X -q -v ON_ERROR_STOP=1 "$base/bench_legacy" -c "$setup" -c "VACUUM ANALYZE"
# The target holds only the bookkeeping (the legacy table stays in bench_legacy).
psql -X -q -v ON_ERROR_STOP=1 "$base/bench_target" -c "
DROP TABLE IF EXISTS legacy_mapping;
CREATE TABLE legacy_mapping AS SELECT 'ORDER'::text AS entity_type, g::text AS legacy_id,
  md5(g::text)::uuid AS modern_id FROM generate_series(1, $rows) g WHERE g % $step <> 0;
INSERT INTO legacy_mapping SELECT 'ORDER', ($rows + g)::text, md5(('o' || g)::text)::uuid
  FROM generate_series(1, 10) g;
CREATE TABLE entities AS SELECT 'orders'::text AS name, 'BUSINESS'::text AS domain,
  'legacy_orders'::text AS legacy_table, 'orders'::text AS target_table,
  $rows::bigint AS total_records, ($rows - 1000)::bigint AS migrated_records,
  1000::bigint AS failed_records, 'ORDER'::text AS entity_type;
CREATE TABLE mapped_orders AS SELECT DISTINCT legacy_id::bigint AS id FROM legacy_mapping
  WHERE entity_type = 'ORDER';
ALTER TABLE mapped_orders ADD PRIMARY KEY (id);" -c "VACUUM ANALYZE"

fi

# reladiff from PyPI, in a virtualenv of its own.
venv="$work/reladiff-venv"
if [ ! -x "$venv/bin/reladiff" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "reladiff[postgresql]==0.6.0"
fi

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

# A TCP proxy in front of PostgreSQL that counts the bytes the server sends, so each tool's
# transfer is measured the same way, on the wire (a client's own counters differ, and
# /proc's rchar misses socket receives).
cat >"$work/proxy.py" <<'PY'
import socket, sys, threading
listen_port, target_port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sent = [0]
lock = threading.Lock()
def pipe(a, b, count):
    try:
        while True:
            data = a.recv(1 << 16)
            if not data:
                break
            if count:
                with lock:
                    sent[0] += len(data)
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
def serve(client):
    server = socket.create_connection(("127.0.0.1", target_port))
    threading.Thread(target=pipe, args=(client, server, False), daemon=True).start()
    pipe(server, client, True)
def write():
    with lock:
        open(out, "w").write(str(sent[0]))
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", listen_port))
listener.listen(64)
import signal
signal.signal(signal.SIGTERM, lambda *_: (write(), sys.exit(0)))
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
PY
pg_port="${base##*:}"
pg_port="${pg_port%%/*}"
proxy_port=$((pg_port + 100))
proxied="${base/:$pg_port/:$proxy_port}"
# `measure NAME COMMAND...` runs COMMAND (which connects through "$proxied") under GNU
# time: NAME.time ("seconds KiB"), NAME.bytes (what the server sent), NAME.out (stdout).
measure() {
    local name="$1"
    shift
    python3 "$work/proxy.py" "$proxy_port" "$pg_port" "$work/$name.bytes" &
    local proxy=$!
    sleep 0.5
    /usr/bin/time -o "$work/$name.time" -f "%e %M" "$@" >"$work/$name.out"
    kill -TERM "$proxy"
    wait "$proxy" || true
}
run() {
    local name="$1" source="$2" target="$3"
    shift 3
    rm -rf "$work/$name" "$work/$name-site"
    measure "$name" "$bin" collect --source "${source/$base/$proxied}" \
        --target "${target/$base/$proxied}" --config "$work/collect.yaml" --out "$work/$name" "$@"
    "$bin" build --exit-zero --data "$work/$name" --out "$work/$name-site" \
        --report-date 2026-11-28 >/dev/null
}
if want full; then
    echo "== full export"
    run full "$base/bench_legacy" "$base/bench_target"
fi
if want checksums; then
    echo "== pushdown across two databases (checksums)"
    run checksums "$base/bench_legacy" "$base/bench_target" --pushdown
fi
if want anti-join; then
    echo "== pushdown in one database (anti-join)"
    run anti-join "$base/bench_legacy" "$base/bench_legacy" --pushdown
fi
if want reladiff; then
    echo "== reladiff across two databases (hashdiff)"
    measure reladiff-hashdiff "$venv/bin/reladiff" "$proxied/bench_legacy" legacy_orders \
        "$proxied/bench_target" mapped_orders -k id --json
    echo "== reladiff in one database (joindiff)"
    measure reladiff-joindiff "$venv/bin/reladiff" "$proxied/bench_legacy" legacy_orders \
        mapped_orders -k id --json
fi

python3 - "$work" "$rows" <<'PY'
import json, sys, pathlib
work, rows = pathlib.Path(sys.argv[1]), int(sys.argv[2])
print(f"\n{rows:,} legacy rows, {rows - 1000 + 10:,} mappings: 1,000 ids unmapped, 10 orphans\n")
print("| mode | seconds | peak RSS | bytes counted by migcov | bytes sent by PostgreSQL | unmapped | orphans |")
print("|---|---:|---:|---:|---:|---:|---:|")
def timed(name):
    seconds, kb = map(float, (work / f"{name}.time").read_text().split())
    wire = int((work / f"{name}.bytes").read_text().strip() or 0)
    return seconds, kb, wire
for name in ("full", "checksums", "anti-join"):
    if not (work / f"{name}.time").exists():
        continue
    seconds, kb, rchar = timed(name)
    c = json.loads((work / name / "collect.json").read_text())
    s = json.loads((work / f"{name}-site/api/coverage/summary.json").read_text())
    orphans = s["rules"].get("missing.mapping.orphan", {}).get("violations", 0)
    print(f"| migcov {name} | {seconds:.1f} | {kb / 1024:.0f} MiB | {c['bytes'] / 1e6:,.2f} MB "
          f"| {rchar / 1e6:,.2f} MB | {s['missing_records']:,} | {orphans:,} |")
for name in ("reladiff-hashdiff", "reladiff-joindiff"):
    if not (work / f"{name}.time").exists():
        continue
    seconds, kb, rchar = timed(name)
    # --json: one object per differing row, "-" only in the legacy table, "+" only mapped.
    lines = [json.loads(l) for l in (work / f"{name}.out").read_text().splitlines() if l.strip()]
    signs = [l[0] if isinstance(l, list) else l.get("sign", l.get("diff", "?")) for l in lines]
    minus, plus = signs.count("-"), signs.count("+")
    print(f"| {name} | {seconds:.1f} | {kb / 1024:.0f} MiB | — | {rchar / 1e6:,.2f} MB | {minus:,} | {plus:,} |")
PY
