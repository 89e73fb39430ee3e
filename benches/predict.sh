#!/usr/bin/env bash
# How much of a scan is the cost of not predicting: the same archive lines
# scanned (a) each repeated many times in a row, so that every line foretells
# the next, and (b) in random order. The bytes, lines and findings are the
# same; only the order differs, so the gap between the two times is what the
# CPU's predictors (branches first) cost on this data. Useful where the
# machine exposes no performance counters. It only reports: no timing is
# asserted.
#
#   benches/predict.sh [LINES] [REPEAT] [ROUNDS]    # default 200 1000 9
#
# LINES lines without a backslash are drawn at random (seed 7) from a 20 MiB
# archive made by `examples/gen_corpus.rs` (seed 1), or from $ARCHIVE when it
# names a JSON-lines file; each is written REPEAT times in a row to one file
# and the same lines, shuffled, to another. Both are scanned pinned to one
# core (`taskset -c 0` when there is one), in turn, ROUNDS times each; the
# medians and their ratio are printed.
#
# Needs bash, coreutils, python3, cargo.
set -euo pipefail
export LC_ALL=C

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}
[[ ${1:-} == -h || ${1:-} == --help ]] && usage
LINES=${1:-200}
REPEAT=${2:-1000}
ROUNDS=${3:-9}
for n in "$LINES" "$REPEAT" "$ROUNDS"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "predict.sh: LINES, REPEAT and ROUNDS must be positive integers" >&2; exit 2; }
done

cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
log() { echo "predict.sh: $*" >&2; }
command -v python3 >/dev/null || { log "python3 is required"; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/leaksweep-predict.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

log "running: cargo build --release"
cargo build --release --quiet
cp "$TARGET/release/leaksweep" "$TMP/leaksweep"

SOURCE=${ARCHIVE:-}
if [[ -z $SOURCE ]]; then
  log "running: cargo build --release --example gen_corpus"
  cargo build --release --quiet --example gen_corpus
  log "running: gen_corpus --size 20M --kind archive"
  "$TARGET/release/examples/gen_corpus" --size 20M --out "$TMP/corpus" --seed 1 --kind archive
  SOURCE=$TMP/corpus/archive.jsonl
fi
[[ -f $SOURCE ]] || { log "no such file: $SOURCE"; exit 2; }

python3 - "$SOURCE" "$LINES" "$REPEAT" "$TMP" <<'PY'
import random, sys
source, lines, repeat, tmp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with open(source, "rb") as f:
    pool = [l for l in f.read().split(b"\n") if l.startswith(b"{") and b"\\" not in l]
if len(pool) < lines:
    sys.exit(f"predict.sh: {source} has {len(pool)} lines without a backslash, fewer than {lines}")
rng = random.Random(7)
pick = rng.sample(pool, lines)
with open(f"{tmp}/in-order.jsonl", "wb") as f:
    for l in pick:
        f.write((l + b"\n") * repeat)
order = [k for k in range(lines) for _ in range(repeat)]
rng.shuffle(order)
with open(f"{tmp}/shuffled.jsonl", "wb") as f:
    f.write(b"".join(pick[k] + b"\n" for k in order))
PY

PIN=()
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then PIN=(taskset -c 0); fi
log "scanning ${PIN[*]:-unpinned}: $LINES lines x $REPEAT, $ROUNDS rounds"
cat "$TMP/in-order.jsonl" "$TMP/shuffled.jsonl" >/dev/null # into the page cache
times_a=() times_b=()
scan() {
  local t0=$EPOCHREALTIME
  "${PIN[@]}" "$TMP/leaksweep" scan --format jsonl --fail-on never --progress never \
    --fingerprint-key bench -j1 "$1" >/dev/null 2>"$TMP/stderr" || { cat "$TMP/stderr" >&2; exit 1; }
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.6f", b - a}'
}
for ((i = 0; i < ROUNDS; i++)); do
  # The first file of a round alternates, so neither always runs first.
  if ((i % 2 == 0)); then
    times_a+=("$(scan "$TMP/in-order.jsonl")")
    times_b+=("$(scan "$TMP/shuffled.jsonl")")
  else
    times_b+=("$(scan "$TMP/shuffled.jsonl")")
    times_a+=("$(scan "$TMP/in-order.jsonl")")
  fi
done

python3 - "$ROUNDS" "$(stat -c %s "$TMP/in-order.jsonl")" "${times_a[@]}" "${times_b[@]}" <<'PY'
import statistics, sys
n, size = int(sys.argv[1]), int(sys.argv[2])
a = [float(x) for x in sys.argv[3:3 + n]]
b = [float(x) for x in sys.argv[3 + n:3 + 2 * n]]
ma, mb = statistics.median(a), statistics.median(b)
ratio = statistics.median(y / x for x, y in zip(a, b))
print(f"file size: {size} bytes each")
print(f"in order: median {ma * 1000:.1f} ms ({size / ma / 1e6:.0f} MB/s)")
print(f"shuffled: median {mb * 1000:.1f} ms ({size / mb / 1e6:.0f} MB/s)")
print(f"shuffled / in order (median of the rounds' ratios): {ratio:.3f}")
PY
