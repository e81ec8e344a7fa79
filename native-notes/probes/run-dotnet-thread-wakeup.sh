#!/bin/sh
# Cost, on the signalling thread, of waking a parked .NET thread (SemaphoreSlim / ManualResetEventSlim),
# against doing nothing. Builds in a temp dir; not part of Store.sln.
set -e
dir=$(mktemp -d)
cp "$(dirname "$0")"/dotnet-thread-wakeup/* "$dir"/
cd "$dir" && dotnet run -c Release
