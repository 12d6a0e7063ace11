#!/usr/bin/env bash
# Builds a profile-guided (PGO) release binary of ferrochat, for operators who build their own
# and want the shortest request path; `cargo run --release` stays the ordinary way to run it.
#
#   scripts/build-pgo.sh            # → <target dir>/pgo/ferrochat
#
# 1. builds ferrochat instrumented (-Cprofile-generate) with the release profile;
# 2. trains it with the benchmarks (bench/bench.py: start-up, auth, lists, search, chat streams),
#    which exercise the server over HTTP the way clients do, and stops it with SIGTERM so that
#    every process writes its profile;
# 3. merges the profiles with the llvm-profdata matching rustc's LLVM (rustup's llvm-tools, or
#    Debian's llvm-N), and rebuilds with -Cprofile-use.
# Each build takes as long as a clean release build (about 18 min on 2 cores); they use their own
# target directories under <target dir>/pgo, so the ordinary release build is left alone.
# docs/chat-benchmark.md ("Profile-guided builds") has what it gained.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/wrk.sh

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
pgo="$target_dir/pgo"
host=$(rustc -vV | sed -n 's/^host: //p')
llvm_major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')

# Raw profiles are read only by the llvm-profdata of the same LLVM major version.
find_profdata() {
  local bundled
  bundled="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
  if [ ! -x "$bundled" ] && command -v rustup >/dev/null 2>&1; then
    rustup component add llvm-tools >&2 || true
  fi
  for candidate in "$bundled" "$(command -v "llvm-profdata-$llvm_major" || true)" \
    "/usr/lib/llvm-$llvm_major/bin/llvm-profdata"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  echo "llvm-profdata for LLVM $llvm_major not found: run 'rustup component add llvm-tools'" \
    "or install Debian's llvm-$llvm_major" >&2
  return 1
}
profdata=$(find_profdata)
ensure_wrk

echo "== 1/4 chat-bench (plain release build, drives the training)" >&2
cargo build --release --locked -p ferrochat-bench
echo "== 2/4 instrumented ferrochat" >&2
rm -rf "$pgo/raw"
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-generate=$pgo/raw" \
  cargo build --release --locked -p ferrochat --target-dir "$pgo/instrumented"
# RUSTFLAGS instrumented the build scripts and proc-macros too, and they wrote profiles as they
# ran: only the server's own runs below may count.
rm -rf "$pgo/raw"

echo "== 3/4 training (bench/bench.py against the instrumented binary)" >&2
python3 bench/bench.py --binary "$pgo/instrumented/release/ferrochat" \
  --chat-bench "$target_dir/release/chat-bench" --duration 3 --starts 3 \
  --stream-args "--rounds 1000 --streams 1000 --leak 2000" >"$pgo/training.log"
# One file per binary: the servers' profiles merge into it as each exits (rustc's %m pattern).
if [ -z "$(find "$pgo/raw" -name '*.profraw' 2>/dev/null)" ]; then
  echo "training wrote no profile (see $pgo/training.log)" >&2
  exit 1
fi
"$profdata" merge -o "$pgo/ferrochat.profdata" "$pgo/raw"
echo "profile: $pgo/ferrochat.profdata" >&2

echo "== 4/4 ferrochat built with the profile" >&2
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-use=$pgo/ferrochat.profdata" \
  cargo build --release --locked -p ferrochat --target-dir "$pgo/use"
cp "$pgo/use/release/ferrochat" "$pgo/ferrochat"
echo "$pgo/ferrochat"
