#!/usr/bin/env bash
# Build dotnet-full-disk/ in a temp dir and run it against an 8 MiB tmpfs (needs root, .NET 10 SDK).
#   native-notes/probes/run-dotnet-full-disk.sh [TMPBASE]
# Prints what each mode prints plus the process exit status (134/135 etc. = killed by a signal).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d "${1:-/tmp}/dotnet-full-disk.XXXXXX")
cleanup() { mountpoint -q "$work/fs" && umount "$work/fs" || true; rm -rf "$work"; }
trap cleanup EXIT
cp "$here/dotnet-full-disk/Program.cs" "$here/dotnet-full-disk/dotnet-full-disk.csproj" "$work/"
dotnet build "$work/dotnet-full-disk.csproj" -c Release -o "$work/out" -nologo -v q >"$work/build.log" 2>&1 \
    || { cat "$work/build.log"; exit 1; }
echo "# $(dotnet --version) SDK, runtime $(dotnet --list-runtimes | grep -m1 NETCore.App | cut -d' ' -f2), kernel $(uname -r)"
mkdir "$work/fs"
mount -t tmpfs -o size=8m tmpfs "$work/fs"
for mode in prealloc fallocate populate sigbus; do
    set +e
    dotnet "$work/out/dotnet-full-disk.dll" "$work/fs" "$mode" >"$work/out.txt" 2>&1
    rc=$?
    set -e
    head -c 600 "$work/out.txt"
    echo "[$mode: exit status $rc]"
    rm -f "$work/fs"/probe-*
done
