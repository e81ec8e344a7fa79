#!/usr/bin/env bash
# Compares this working tree's Store with another revision's in one process, round by round
# (--kv-paired --baseline; see perf/Store.Benchmarks/Index/BaselineBuild.cs).
# Usage: bash perf/ab-baseline.sh REV [--kv-paired options, e.g. --rounds 41 --only Put --key-space 256]
# The baseline is built once per commit into ${TMPDIR:-/tmp}/store-baseline-<sha> from a git worktree.
# Needs about 4 GB of RAM: two stores of 10M keys and FASTER.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: perf/ab-baseline.sh REV [kv-paired options]}
shift
sha=$(git rev-parse --short "$rev^{commit}")
out="${TMPDIR:-/tmp}/store-baseline-$sha"
if [ ! -f "$out/bin/Store.Benchmarks.dll" ]; then
  rm -rf "$out"
  git worktree add --detach "$out/src" "$sha" > /dev/null
  trap 'git worktree remove --force "$out/src" 2> /dev/null || true' EXIT
  if ! dotnet build -c Release "$out/src/perf/Store.Benchmarks" -o "$out/bin" > "$out/build.log"; then
    cat "$out/build.log"
    rm -rf "$out/bin"
    exit 1
  fi
fi
dotnet build -c Release perf/Store.Benchmarks > /dev/null
echo "baseline: $sha ($(git log -1 --format=%s "$sha")); this build: $(git rev-parse --short HEAD), uncommitted src changes: $(git status --short -- src | wc -l)"
dotnet run -c Release --no-build --project perf/Store.Benchmarks -- --kv-paired --baseline "$out/bin" "$@"
