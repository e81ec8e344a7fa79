#!/usr/bin/env bash
# Build and run mmap_probe.c (see ../mmap-flavours.md and ../full-disk.md).
#
#   native-notes/probes/run-mmap-probe.sh [TMPBASE] [TEST]
#
# TMPBASE: where the temporary directory is created (default /tmp). The shared/private
#          flavours map files there, so it must be on the filesystem you want to measure.
# TEST:    all (default) | baseline | firsttouch | cow | rss | thp | sparsedirty | writeback | fulldisk
# Env:     RUNS (default 5), MIB (first-touch region, default 256), WB_WAIT (default 35 s)
#
# Takes ~2-3 minutes for "all" (the writeback test alone waits >= WB_WAIT seconds).
# Peak memory ~1.2 GiB (1 GiB RSS test + 128 MiB page-cache chunk). Everything created
# under the temporary directory is removed on exit, including the fulldisk mounts.
# The fulldisk test needs root (it mounts an 8 MiB tmpfs and a 32 MiB loop-mounted ext4).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=${1:-/tmp}
test=${2:-all}
work=$(mktemp -d "$base/mmap-probe.XXXXXX")
mounts=()

cleanup() {
    for m in "${mounts[@]}"; do
        mountpoint -q "$m" && umount "$m" || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -Wall -Wextra -o "$work/mmap_probe" "$here/mmap_probe.c"
mkdir -p "$work/files"

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/{printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo), swap $(awk '/SwapTotal/{print $2" kB"}' /proc/meminfo)"
echo "# THP enabled: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo n/a); defrag: $(cat /sys/kernel/mm/transparent_hugepage/defrag 2>/dev/null || echo n/a)"
echo "# files in $work/files on: $(findmnt -n -o FSTYPE,SOURCE,OPTIONS -T "$work" 2>/dev/null || stat -f -c %T "$work")"
echo "# clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo n/a); $( (dmesg 2>/dev/null | grep -m1 -o 'Hypervisor detected: .*') || grep -m1 -o -w hypervisor /proc/cpuinfo || echo 'no hypervisor flag')"

if [ "$test" != fulldisk ]; then
    "$work/mmap_probe" "$test" "$work/files"
fi

if [ "$test" = all ] || [ "$test" = fulldisk ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "# fulldisk: skipped (needs root to mount a small tmpfs / loop ext4)"
        exit 0
    fi
    mkdir -p "$work/tmpfs"
    if mount -t tmpfs -o size=8m tmpfs "$work/tmpfs"; then
        mounts+=("$work/tmpfs")
        "$work/mmap_probe" fulldisk "$work/tmpfs"
        umount "$work/tmpfs"
    else
        echo "# fulldisk tmpfs: mount failed, skipped"
    fi
    mkdir -p "$work/ext4"
    truncate -s 32M "$work/ext4.img"
    if mkfs.ext4 -q -F -m 0 "$work/ext4.img" && mount -o loop "$work/ext4.img" "$work/ext4"; then
        mounts+=("$work/ext4")
        echo "# ext4 image: $(findmnt -n -o FSTYPE,OPTIONS "$work/ext4")"
        "$work/mmap_probe" fulldisk "$work/ext4"
        umount "$work/ext4"
    else
        echo "# fulldisk ext4: mkfs/loop mount failed, skipped"
    fi
fi
