// After a restore into 4 KiB pages: what collapsing them into 2 MiB pages with MADV_COLLAPSE costs
// per 2 MiB block, on memory freed just before or long ago, and how long a thread that keeps reading
// random pages of the range is held up meanwhile. See ../free-page-reporting.md.
//
//   cc -O2 -Wall -pthread -o collapse collapse.c && ./collapse [reps] [free-seconds...]
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define BLOCK (1UL << 21)
static const size_t size = 512UL << 20;
static volatile int stop;
static char *region;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

// Random 8-byte reads over the region; records the longest gap between two reads.
static void *reader(void *arg) {
    double *worst = arg; uint64_t x = 88172645463325252ULL, sum = 0; double last = now();
    while (!stop) {
        for (int i = 0; i < 256; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; sum += *(volatile uint64_t *)(region + (x % (size / 8)) * 8); }
        double t = now(); if (t - last > *worst) *worst = t - last; last = t;
    }
    return (void *)(uintptr_t)sum;
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    printf("# 512 MiB populated as 4 KiB pages after the previous run's memory sat free for P s, then MADV_HUGEPAGE + MADV_COLLAPSE per 2 MiB block while one thread reads random 8-byte words of the range\n");
    printf("| free P s | collapse all, s (runs) | per block median ms | per block max ms | huge after, MiB | reader's longest stall ms (runs) |\n|---:|---|---:|---:|---:|---|\n");
    for (int a = 2; a < (argc > 2 ? argc : 3); a++) {
        double free_s = argc > 2 ? atof(argv[a]) : 10;
        double total[16], stall[16], med = 0, max = 0; long huge = 0;
        for (int r = 0; r < reps; r++) {
            usleep((useconds_t)(free_s * 1e6));
            char *raw = mmap(NULL, size + BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            region = (char *)(((uintptr_t)raw + BLOCK - 1) & ~(uintptr_t)(BLOCK - 1));
            madvise(region, size, MADV_NOHUGEPAGE);
            madvise(region, size, MADV_POPULATE_WRITE);
            for (size_t p = 0; p < size; p += 4096) region[p] = (char)p;
            madvise(region, size, MADV_HUGEPAGE);
            stop = 0; double worst = 0; pthread_t t; pthread_create(&t, NULL, reader, &worst);
            usleep(20000);
            static double per[512]; int n = 0; double t0 = now();
            for (size_t off = 0; off < size; off += BLOCK) {
                double b = now();
                if (madvise(region + off, BLOCK, MADV_COLLAPSE) != 0) { perror("MADV_COLLAPSE"); return 1; }
                per[n++] = now() - b;
            }
            total[r] = now() - t0;
            usleep(20000); stop = 1; pthread_join(t, NULL); stall[r] = worst;
            qsort(per, n, sizeof per[0], cmp); med = per[n / 2]; max = per[n - 1];
            FILE *f = fopen("/proc/self/smaps_rollup", "r"); char line[256];
            while (f && fgets(line, sizeof line, f)) if (sscanf(line, "AnonHugePages: %ld kB", &huge) == 1) break;
            if (f) fclose(f);
            for (size_t p = 0; p < size; p += 4096) if (region[p] != (char)p) { fprintf(stderr, "content changed at %zu\n", p); return 1; }
            munmap(raw, size + BLOCK);
        }
        printf("| %.0f |", free_s); for (int r = 0; r < reps; r++) printf(" %.3f", total[r]);
        printf(" | %.2f | %.2f | %ld |", med * 1e3, max * 1e3, huge / 1024);
        for (int r = 0; r < reps; r++) printf(" %.2f", stall[r] * 1e3);
        printf(" |\n"); fflush(stdout);
    }
    return 0;
}
