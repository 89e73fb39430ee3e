#!/usr/bin/env bash
# Paired A/B timing of leaksweep builds on one file: the way every ratio in
# benches/README.md was measured. On a shared machine whose speed drifts by
# several percent from minute to minute, only runs of the builds side by
# side compare: each round runs every build once, in turn (the order reversed
# every other round), and the ratio of each build to the first is taken round
# by round; the median of those ratios is the figure to trust. It only
# reports: no timing is asserted.
#
#   benches/ab.sh ROUNDS FILE BUILD [BUILD...]
#
# BUILD is the path of a leaksweep binary, optionally followed by
# environment variables for its runs: `PATH@NAME=VALUE@NAME2=VALUE2` (for a
# build that reads an experiment's switch). Each run is
#   leaksweep scan FILE --format jsonl -o /dev/null -j $JOBS ... $AB_ARGS
# pinned to core 0 with `taskset -c 0` at JOBS=1 (the default; `PIN=` turns
# pinning off, `PIN='taskset -c 1'` moves it). Before the rounds, each build
# scans FILE once into a report, and the findings are compared with the
# first build's (its summary record left out): a build that reports other
# findings is flagged, as a faster wrong build measures nothing.
#
# Prints one line per build: the median wall time of its runs, the median
# of its per-round ratios to the first build, and their range.
#
# Needs bash, coreutils, python3.
set -euo pipefail
export LC_ALL=C

usage() {
  sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}
[[ ${1:-} == -h || ${1:-} == --help || $# -lt 3 ]] && usage
ROUNDS=$1
FILE=$2
shift 2
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "ab.sh: ROUNDS must be a positive integer" >&2; exit 2; }
[[ -r $FILE ]] || { echo "ab.sh: cannot read $FILE" >&2; exit 2; }
command -v python3 >/dev/null || { echo "ab.sh: python3 is required" >&2; exit 2; }
JOBS=${JOBS:-1}
if [[ -z ${PIN+set} ]]; then
  PIN=
  [[ $JOBS == 1 ]] && command -v taskset >/dev/null && PIN="taskset -c 0"
fi

exec python3 - "$ROUNDS" "$FILE" "$JOBS" "$PIN" "${AB_ARGS:-}" "$@" <<'PY'
import hashlib, os, shlex, statistics, subprocess, sys, tempfile, time

rounds, path, jobs, pin, extra = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
builds = sys.argv[6:]

def command(build, out):
    binary, *pairs = build.split("@")
    if not os.access(binary, os.X_OK):
        sys.exit(f"ab.sh: not an executable: {binary}")
    env = dict(os.environ)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            sys.exit(f"ab.sh: expected NAME=VALUE after @ in {build}")
        env[name] = value
    argv = shlex.split(pin) + [binary, "scan", path, "--format", "jsonl", "--fail-on", "never",
            "--progress", "never", "--fingerprint-key", "ab", "-j", jobs, "-o", out] + shlex.split(extra)
    return argv, env

def findings(build):
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as report:
        argv, env = command(build, report.name)
        done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode != 0:
            # leaksweep masks every identifier in its messages.
            sys.exit(f"ab.sh: {build} failed ({done.returncode}): {done.stderr.decode(errors='replace').strip()}")
        # Every line but the summary record (its timing), as compare.sh
        # compares two builds' reports.
        digest = hashlib.sha256()
        with open(report.name, "rb") as f:
            for line in f:
                if not line.startswith(b'{"type":"summary"'):
                    digest.update(line)
        return digest.hexdigest()

reference = findings(builds[0])
other = {b for b in builds[1:] if findings(b) != reference}
for b in other:
    print(f"ab.sh: {b} reports other findings than {builds[0]}", file=sys.stderr)

times = {b: [] for b in builds}
for r in range(rounds):
    for b in (builds if r % 2 == 0 else builds[::-1]):
        argv, env = command(b, "/dev/null")
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times[b].append(time.perf_counter() - start)

first = times[builds[0]]
for b in builds:
    ratios = [t / f for t, f in zip(times[b], first)]
    flag = "  (other findings)" if b in other else ""
    print(f"{statistics.median(times[b]):.4f} s  ratio {statistics.median(ratios):.3f} "
          f"({min(ratios):.3f}-{max(ratios):.3f})  {b}{flag}")
PY
