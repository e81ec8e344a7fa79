#!/usr/bin/env bash
# Build and run reporting_probe.c (see ../free-page-reporting.md).
#
#   native-notes/probes/run-reporting-probe.sh [MiB] [runs]      (defaults 512 and 5; ~1.5 minutes)
#
# Prints whether the guest's balloon device offers free page reporting, then the table.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d /tmp/reporting-probe.XXXXXX)
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -Wextra -o "$work/reporting_probe" "$here/reporting_probe.c"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/{printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo)"
echo "# THP enabled: $(cat /sys/kernel/mm/transparent_hugepage/enabled); defrag: $(cat /sys/kernel/mm/transparent_hugepage/defrag)"
for d in /sys/bus/virtio/devices/*; do
    if [ "$(cat "$d/device")" = 0x0005 ]; then
        # Feature bits, bit 0 first; bit 5 is VIRTIO_BALLOON_F_REPORTING (free page reporting).
        echo "# virtio-balloon $(basename "$d"): free page reporting $( [ "$(cut -c6 "$d/features")" = 1 ] && echo offered || echo 'not offered')"
    fi
done
"$work/reporting_probe" "${1:-512}" "${2:-5}"
