#!/usr/bin/env bash
# Builds leaksweep with profile-guided optimisation (PGO), the way a release
# binary is meant to be built: an instrumented build runs a training set of
# commands, llvm-profdata merges the profiles they write, and the release
# build is compiled again with them.
#
#   benches/pgo.sh [TRAIN_SIZE]     # default 40M
#
# Prints the path of the optimised binary on stdout (everything else goes to
# stderr): $CARGO_TARGET_DIR/pgo-use/release/leaksweep (target/ by default).
# The profile is made afresh on every run, from the code as it stands, so it
# never goes stale; nothing of it is committed.
#
# Training set: `scan` of a generated corpus (archive and directory CSV,
# TRAIN_SIZE in all, from examples/gen_corpus.rs with seed 2: the same
# generator as the corpus benches/compare.sh times, never its seed 1 file)
# at -j1 and -j2, of fixtures/ (every input format, broken and hostile
# files), every report format among the runs; `redact` of the fixtures and
# of the corpus's CSV; `access` of fixtures/access. Code that no command
# runs is laid out as cold, so each subcommand is trained.
#
# Needs bash, coreutils, cargo and the llvm-profdata of rustc's own LLVM,
# from rustup's llvm-tools component (`rustup component add llvm-tools`,
# tried when it is missing; the profile format follows the LLVM version).
set -euo pipefail
export LC_ALL=C

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
TRAIN_SIZE=${1:-40M}

cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
GEN_DIR=$TARGET/pgo-gen
USE_DIR=$TARGET/pgo-use

log() { echo "pgo.sh: $*" >&2; }

# --- llvm-profdata ---------------------------------------------------------------

SYSROOT=$(rustc --print sysroot)
HOST=$(rustc -vV | sed -n 's/^host: //p')
PROFDATA=$SYSROOT/lib/rustlib/$HOST/bin/llvm-profdata
if [[ ! -x $PROFDATA ]]; then
  log "llvm-profdata is missing; running: rustup component add llvm-tools"
  rustup component add llvm-tools >&2 || true
fi
if [[ ! -x $PROFDATA ]]; then
  log "no llvm-profdata at $PROFDATA: install rustup's llvm-tools component for this toolchain"
  exit 2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/leaksweep-pgo.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
PROFILES=$TMP/profiles

# --- instrumented build ----------------------------------------------------------

# The instrumented build is the very command of the optimised one: the
# profile matches functions by their symbols, which change with the crates'
# features (building the generator, an example, along with it unified the
# dev-dependencies' features in: the optimised build then found little of
# its profile, and came out 0.994 of the plain build instead of 0.956).
log "running: cargo build --release (instrumented: -Cprofile-generate) into $GEN_DIR"
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-generate=$PROFILES" CARGO_TARGET_DIR=$GEN_DIR \
  cargo build --release --quiet
LS=$GEN_DIR/release/leaksweep
log "running: cargo build --release --example gen_corpus"
cargo build --release --quiet --example gen_corpus

# --- training --------------------------------------------------------------------

CORPUS=$TMP/corpus
log "running: gen_corpus --size $TRAIN_SIZE --seed 2"
"$TARGET/release/examples/gen_corpus" --size "$TRAIN_SIZE" --out "$CORPUS" --seed 2 --kind both >&2

# train CMD...: runs one training command; exit status 0 (nothing found) and
# 1 (findings) are both expected, anything else stops the script.
train() {
  local rc=0
  log "training: leaksweep $*"
  "$LS" "$@" >/dev/null 2>"$TMP/stderr" || rc=$?
  if ((rc > 1)); then
    log "training command failed (exit $rc): leaksweep $*"
    cat "$TMP/stderr" >&2
    exit 1
  fi
}

KEY=(--fingerprint-key pgo-training)
for jobs in 1 2; do
  train scan "$CORPUS/archive.jsonl" -j"$jobs" --format jsonl --progress never "${KEY[@]}"
done
train scan "$CORPUS" --format human --progress never "${KEY[@]}"
train scan "$CORPUS/directory.csv" --format sarif --progress never "${KEY[@]}"
train scan fixtures --format json --progress never "${KEY[@]}"
train scan fixtures --format jsonl --progress never --no-mmap "${KEY[@]}"
train redact fixtures/demo fixtures/formats --out "$TMP/redacted" "${KEY[@]}"
train redact "$CORPUS/directory.csv" --out "$TMP/redacted-csv" --mode token "${KEY[@]}"
train access fixtures/access --format json "${KEY[@]}"

# --- optimised build -------------------------------------------------------------

log "running: llvm-profdata merge"
"$PROFDATA" merge -o "$TMP/merged.profdata" "$PROFILES"
log "running: cargo build --release (-Cprofile-use) into $USE_DIR"
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-use=$TMP/merged.profdata" CARGO_TARGET_DIR=$USE_DIR \
  cargo build --release --quiet
echo "$USE_DIR/release/leaksweep"
