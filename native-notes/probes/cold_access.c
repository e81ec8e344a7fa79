/* What code that runs once in a while (a checkpoint barrier after 100k random updates) pays on
 * these VMs: a cold dependent load, a cold clock read, a system call, and the TLB after one.
 *
 *   cc -O2 -o /tmp/cold_access native-notes/probes/cold_access.c && /tmp/cold_access
 *
 * "Cold" means after 200k random 4 KiB-strided writes over 512 MiB, which evicts the caches and
 * the TLB much as the main job's update interval does. Times come from rdtscp, converted with the
 * TSC frequency the kernel reports (read from /proc/cpuinfo's "cpu MHz"). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define THRASH_BYTES (512ul << 20)
#define OBJECT_BYTES (64ul << 20) /* 16k candidate "objects", one per 4 KiB page */
#define REPS 41

static double ghz;
static char *thrash_area;
static char *objects;

static double now_ns(void) { unsigned aux; return __rdtscp(&aux) / ghz; }

static void thrash(unsigned seed)
{
    unsigned x = seed * 2654435761u + 1;
    for (int i = 0; i < 200000; i++) {
        x = x * 1664525u + 1013904223u;
        thrash_area[((size_t)x * 4096) % THRASH_BYTES]++;
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *s)
{
    qsort(s, REPS, sizeof *s, by_value);
    printf("%-58s median %6.0f ns  p10 %6.0f  p90 %6.0f  (%d reps)\n", what, s[REPS / 2], s[REPS / 10], s[REPS * 9 / 10], REPS);
}

static double tsc_ghz(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    double mhz = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "cpu MHz : %lf", &mhz) == 1) break;
    }
    if (f) fclose(f);
    return mhz > 0 ? mhz / 1000 : 2.0;
}

int main(void)
{
    ghz = tsc_ghz();
    thrash_area = malloc(THRASH_BYTES);
    objects = malloc(OBJECT_BYTES);
    memset(thrash_area, 1, THRASH_BYTES);
    memset(objects, 1, OBJECT_BYTES);
    printf("# TSC %.3f GHz; cold = after 200k random writes over 512 MiB\n", ghz);

    /* 1. k dependent loads, each on its own cold 4 KiB page (an object graph: this -> store -> registry ...). */
    for (int k = 1; k <= 8; k *= 2) {
        double s[REPS];
        for (int r = 0; r < REPS; r++) {
            unsigned x = r * 7919u + k;
            size_t page[8];
            for (int j = 0; j < k; j++) { x = x * 1664525u + 1013904223u; page[j] = (size_t)(x % (OBJECT_BYTES / 4096)) * 4096; }
            for (int j = 0; j < k; j++) *(size_t *)(objects + page[j]) = j + 1 < k ? page[j + 1] : 0;
            thrash(x);
            double t0 = now_ns();
            size_t p = page[0];
            for (int j = 0; j < k; j++) p = *(volatile size_t *)(objects + p);
            s[r] = now_ns() - t0;
        }
        char what[80];
        snprintf(what, sizeof what, "%d dependent load(s) on cold pages", k);
        report(what, s);
    }

    /* 2. clock_gettime(CLOCK_MONOTONIC), hot and cold (the vDSO reads kvm-clock's shared page). */
    {
        struct timespec ts;
        double s[REPS];
        for (int r = 0; r < REPS; r++) {
            double t0 = now_ns();
            for (int i = 0; i < 1000; i++) clock_gettime(CLOCK_MONOTONIC, &ts);
            s[r] = (now_ns() - t0) / 1000;
        }
        report("clock_gettime, hot (per call, 1000 in a row)", s);
        for (int r = 0; r < REPS; r++) {
            thrash(r);
            double t0 = now_ns();
            clock_gettime(CLOCK_MONOTONIC, &ts);
            s[r] = now_ns() - t0;
        }
        report("clock_gettime, cold (one call)", s);
    }

    /* 3. A system call, and what it leaves the TLB: 16 dependent loads on 16 pages whose lines are
     * in cache, with and without a getppid() just before. */
    {
        double s[REPS];
        for (int r = 0; r < REPS; r++) {
            double t0 = now_ns();
            for (int i = 0; i < 1000; i++) syscall(SYS_getppid);
            s[r] = (now_ns() - t0) / 1000;
        }
        report("getppid() system call (per call, 1000 in a row)", s);
        size_t page[16];
        for (int j = 0; j < 16; j++) page[j] = (size_t)(j * 61 + 7) * 4096;
        for (int j = 0; j < 16; j++) *(size_t *)(objects + page[j]) = j + 1 < 16 ? page[j + 1] : page[0];
        for (int mode = 0; mode < 2; mode++) {
            for (int r = 0; r < REPS; r++) {
                size_t p = page[0];
                for (int j = 0; j < 16; j++) p = *(volatile size_t *)(objects + p); /* lines and TLB warm */
                if (mode) syscall(SYS_getppid);
                double t0 = now_ns();
                p = page[0];
                for (int j = 0; j < 16; j++) p = *(volatile size_t *)(objects + p);
                s[r] = now_ns() - t0;
            }
            report(mode ? "16 loads on 16 cached pages, right after getppid()" : "16 loads on 16 cached pages, no system call before", s);
        }
    }
    return 0;
}
