#!/usr/bin/env bash
# Runs the whole benchmark suite (BenchmarkDotNet classes + the four Stopwatch harnesses) in
# Release and keeps every log under perf/Store.Benchmarks/BenchmarkDotNet.Artifacts/ (git-ignored).
# Usage: bash perf/run-all.sh [extra BenchmarkSwitcher args]   (from anywhere; ~25 min on 2 cores)
# The checkpoint harness needs ~2 GB of free disk in the temp directory (TMPDIR) and ~1.5 GB of RAM.
set -euo pipefail
cd "$(dirname "$0")/.."
project=perf/Store.Benchmarks
out="$project/BenchmarkDotNet.Artifacts/logs/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"

env_snapshot() {
  { date -u; echo "commit: $(git rev-parse --short HEAD), src changes not committed: $(git status --short -- src | wc -l)"; echo "nproc: $(nproc)"; lscpu | grep -E 'Model name|^CPU\(s\)|Thread|L3'; uptime
    echo "cpu pressure: $(cat /proc/pressure/cpu 2>/dev/null | head -1)"
    ps -eo pcpu,comm --sort=-pcpu | head -6; } >> "$out/environment.txt"
}

dotnet build -c Release "$project" > "$out/build.log"
env_snapshot
dotnet run -c Release --no-build --project "$project" -- --filter '*' "$@" 2>&1 | tee "$out/bdn.log"
env_snapshot
dotnet run -c Release --no-build --project "$project" -- --freeze-latency 2>&1 | tee "$out/freeze-latency.log"
dotnet run -c Release --no-build --project "$project" -- --first-write-latency 2>&1 | tee "$out/first-write-latency.log"
env_snapshot
dotnet run -c Release --no-build --project "$project" -- --kv-paired 2>&1 | tee "$out/kv-paired.log"
env_snapshot
dotnet run -c Release --no-build --project "$project" -- --checkpoint-bench 2>&1 | tee "$out/checkpoint-bench.log"
env_snapshot
echo "Logs: $out"
