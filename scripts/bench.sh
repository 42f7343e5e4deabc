#!/usr/bin/env bash
# Benchmark: generate a dataset of N records and build its report with the release binary,
# printing wall time and peak memory (GNU time). Usage: scripts/bench.sh [N] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
records="${1:-1000000}"
work="${2:-$(mktemp -d)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/migcov-target}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/migcov"
rm -rf "$work/data" "$work/site"
echo "== generate $records records"
/usr/bin/time -f "generate: %e s wall, %M KB peak" "$bin" generate --out "$work/data" --records "$records"
du -sh "$work/data"
echo "== build"
status=0
/usr/bin/time -f "build: %e s wall, %M KB peak" "$bin" build --data "$work/data" --out "$work/site" --report-date 2026-11-24 || status=$?
echo "build exit code: $status (1 = the gate failed, as the injected defects make it)"
du -sh "$work/site"
