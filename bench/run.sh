#!/usr/bin/env bash
# One command for ferrochat's benchmarks: builds the release binary, installs the load generator
# (wrk, from Debian) when missing, and runs bench/bench.py, which prints a table.
#
#   bench/run.sh                 # all scenarios
#   bench/run.sh --duration 20   # longer load phases
#   bench/run.sh --only search   # full-text search over 50,000 imported messages
#   bench/run.sh --only streams  # chat streaming: time to first token added, 1,000 and 5,000
#                                # concurrent streams with RSS, 10,000 streams for leaks
#
# Figures are for comparison within one run and one machine; they are never asserted by tests.
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/wrk.sh
ensure_wrk

cargo build --release --quiet -p ferrochat -p ferrochat-bench
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
exec python3 bench/bench.py --binary "$target_dir/release/ferrochat" --chat-bench "$target_dir/release/chat-bench" "$@"
