#!/bin/sh
# Cost of one store into a cold object, a reference (through the GC's write barrier) against a long,
# after a cache and TLB sweep. Builds in a temp dir; not part of Store.sln.
set -e
dir=$(mktemp -d)
cp "$(dirname "$0")"/dotnet-cold-stores/* "$dir"/
cd "$dir" && dotnet run -c Release
