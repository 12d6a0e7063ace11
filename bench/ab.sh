#!/usr/bin/env bash
# Compares two ferrochat binaries on the chat path: chat-bench runs against A and B in turn
# (A, B, A, B, …), so that both see the same machine, whose speed drifts from one minute to the
# next on the CI VM by more than most changes gain (docs/chat-benchmark.md).
#
#   bench/ab.sh [--rounds N] [--pairs N] [--out DIR] A B
#
# Each run gets a fresh copy of its binary: the VM's DAMON pages out file pages that have not
# been read for a while, and a binary built hours earlier then runs slower than the same bytes
# copied a moment ago. Nothing else should use the CPU meanwhile: on 2 vCPUs even a monitor
# loop shows in the stall counts. Prints one line per run; the full reports stay in DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=1000
pairs=3
out=""
while [ $# -gt 2 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
  echo "usage: bench/ab.sh [--rounds N] [--pairs N] [--out DIR] BINARY_A BINARY_B" >&2
  exit 2
fi
a=$(realpath "$1")
b=$(realpath "$2")

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
cargo build --release --locked -p ferrochat-bench >&2
bench="$target_dir/release/chat-bench"
out=${out:-$(mktemp -d /var/tmp/ferrochat-ab.XXXXXX)}
mkdir -p "$out"
echo "reports in $out" >&2

# The cell of a report row whose label starts with $2, in report $1.
cell() { grep -F "| $2" "$1" | head -n 1 | awk -F' \\| ' '{print $2}' | sed 's/ |$//; s/\*//g'; }

printf '%-6s %-8s %-34s %-34s %-14s %s\n' run binary "added by ferrochat" \
  "own work (over the bare relay)" "stalls d/r/f" "host steal"
for pair in $(seq 1 "$pairs"); do
  for side in A B; do
    if [ "$side" = A ]; then src=$a; else src=$b; fi
    copy="$out/ferrochat-$side"
    cp "$src" "$copy.tmp" && mv "$copy.tmp" "$copy"
    report="$out/$pair-$side.md"
    "$bench" --binary "$copy" --rounds "$rounds" --streams "" --leak 0 \
      --rounds-csv "$out/$pair-$side.csv" >"$report"
    printf '%-6s %-8s %-34s %-34s %-14s %s\n' "$pair" "$side" \
      "$(cell "$report" '**added by ferrochat**' | sed 's/ (p90.*//')" \
      "$(cell "$report" "added by ferrochat over the bare relay: " | sed 's/ (p90.*//')" \
      "$(cell "$report" 'rounds whose way to the upstream')" \
      "$(cell "$report" 'hypervisor steal' | sed 's/.*(\(.*\))/\1/')"
  done
done
