// Fresh anonymous memory after a free: how much does it cost to fault in again, depending on how
// long it sat free? On a guest with virtio-balloon free page reporting, the guest hands freed
// 2 MiB+ blocks back to the host after a short delay, and the next touch pays the host's fault
// and zeroing as well as the guest's. See ../free-page-reporting.md.
//
//   gcc -O2 -Wall -o reporting_probe reporting_probe.c && ./reporting_probe [MiB] [runs]
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

// User-mode writes, one per 4 KiB page, to memory the kernel has already populated: on a PVM
// guest (shadow paging) the first user access of each mapping still traps to the hypervisor.
static double touch(char *p, size_t bytes) {
    double t0 = now();
    for (size_t o = 0; o < bytes; o += 4096) p[o] = 1;
    return now() - t0;
}

// Maps, advises huge pages, pre-faults writable (as Store's FrameMemory does); returns seconds.
static double populate(size_t bytes, int huge, void **out) {
    double t0 = now();
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    if (huge) madvise(p, bytes, MADV_HUGEPAGE);
    if (madvise(p, bytes, MADV_POPULATE_WRITE) != 0) { perror("MADV_POPULATE_WRITE"); exit(1); }
    *out = p;
    return now() - t0;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 512;
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    size_t bytes = mib << 20;
    double pauses[] = {0, 0.2, 1, 3, 10};
    printf("# %zu MiB populated (MADV_POPULATE_WRITE) after the previous %zu MiB were unmapped and sat free for P s; %d runs each\n", mib, mib, runs);
    printf("| huge pages | free for P s | populate median s | min s | max s | median GB/s | then one user write per 4 KiB, median s |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (int huge = 1; huge >= 0; huge--) {
        for (size_t k = 0; k < sizeof pauses / sizeof pauses[0]; k++) {
            double s[64], u[64];
            void *p;
            populate(bytes, huge, &p); // the block that will be freed
            for (int r = 0; r < runs; r++) {
                munmap(p, bytes);
                usleep((useconds_t)(pauses[k] * 1e6));
                s[r] = populate(bytes, huge, &p);
                u[r] = touch(p, bytes);
            }
            munmap(p, bytes);
            qsort(s, runs, sizeof s[0], cmp);
            qsort(u, runs, sizeof u[0], cmp);
            printf("| %s | %.1f | %.3f | %.3f | %.3f | %.2f | %.3f |\n", huge ? "yes" : "no", pauses[k], s[runs / 2], s[0], s[runs - 1],
                   bytes / s[runs / 2] / 1e9, u[runs / 2]);
            fflush(stdout);
        }
    }
    return 0;
}
