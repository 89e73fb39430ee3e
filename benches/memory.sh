#!/usr/bin/env bash
# Peak memory of `leaksweep scan` by input size: 10 MB, 100 MB and 1 GB
# session archives (examples/gen_corpus.rs) and one 500 MB single line.
# Prints a Markdown table of wall time and peak RSS (GNU time's %M).
# Usage: benches/memory.sh [WORKDIR]   (needs ~2 GB free in WORKDIR)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
cargo build --release --quiet
cargo build --release --quiet --example gen_corpus
bin=target/release/leaksweep
gen=target/release/examples/gen_corpus
export LEAKSWEEP_FINGERPRINT_KEY=memory-bench
for size in 10M 100M 1G; do
  [ -f "$work/$size/archive.jsonl" ] || "$gen" --size "$size" --out "$work/$size" --kind archive >/dev/null
done
line="$work/single_line.txt"
if [ ! -f "$line" ]; then
  # 500 MB without a line break: chat text with a planted mobile every ~1 MB.
  python3 - "$line" <<'PY'
import sys
chunk = ("今天下午三点开会，讨论项目进度，请大家准时参加。" * 300 + " 手机 13912345678 ").encode()
with open(sys.argv[1], "wb") as f:
    n = 0
    while n < 500 * 1024 * 1024:
        f.write(chunk)
        n += len(chunk)
PY
fi
echo "| input | size | wall | peak RSS | findings |"
echo "|---|---|---|---|---|"
run() {
  local name="$1" path="$2"
  local bytes; bytes=$(stat -c %s "$path")
  local out; out=$( { /usr/bin/time -f "%e %M" "$bin" scan "$path" --no-config --format jsonl --progress never -o "$work/report.jsonl" >/dev/null; } 2>&1 | tail -1 || true)
  local findings; findings=$(grep -c '"type":"finding"' "$work/report.jsonl" || true)
  read -r wall rss <<<"$out"
  printf '| %s | %d MB | %s s | %d MB | %s |\n' "$name" $((bytes / 1000000)) "$wall" $((rss / 1024)) "$findings"
}
for size in 10M 100M 1G; do run "archive $size" "$work/$size/archive.jsonl"; done
run "one 500 MB line" "$line"
