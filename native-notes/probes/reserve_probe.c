// Frames in one reserved range (native-notes/mmap-flavours.md, "7. One reservation").
// Compares, for 16 segments of 32 MiB: mprotect inside a 1 TiB PROT_NONE reservation against a
// separate 2 MiB-aligned mmap per segment (the layout before). Reports the time to reserve, to
// make each segment writable + MADV_HUGEPAGE + MADV_POPULATE_WRITE, the huge pages obtained
// (AnonHugePages), the number of mappings (/proc/self/maps lines) and, for a file, MAP_FIXED over
// the reservation. Build: cc -O2 -o reserve_probe reserve_probe.c; run: ./reserve_probe DIR
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define SEG (32L << 20)
#define SEGS 16
#define HUGE (2L << 20)
#define RESERVE (1L << 40)

static double now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }

static long rollup_kb(const char *field) {
    FILE *f = fopen("/proc/self/smaps_rollup", "r"); char line[256]; long v = -1;
    while (fgets(line, sizeof line, f)) if (!strncmp(line, field, strlen(field))) v = atol(line + strlen(field));
    fclose(f); return v;
}

static int maps_lines(void) {
    FILE *f = fopen("/proc/self/maps", "r"); int n = 0, c;
    while ((c = fgetc(f)) != EOF) if (c == '\n') n++;
    fclose(f); return n;
}

static char *align_up(char *p) { return (char *)(((unsigned long)p + HUGE - 1) & ~(HUGE - 1)); }

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    // Warm-up: take 1 GiB from the host and give it back, so neither layout is the first to pay
    // for memory the host had reclaimed (native-notes/free-page-reporting.md).
    char *warm = mmap(NULL, 1L << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    madvise(warm, 1L << 30, MADV_HUGEPAGE);
    madvise(warm, 1L << 30, MADV_POPULATE_WRITE);
    munmap(warm, 1L << 30);
    int maps0 = maps_lines();

    double t = now_us();
    char *raw = mmap(NULL, RESERVE + HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    double reserve_us = now_us() - t;
    if (raw == MAP_FAILED) { perror("reserve"); return 1; }
    char *base = align_up(raw);
    long huge0 = rollup_kb("AnonHugePages:");
    double seg_us[SEGS];
    for (int i = 0; i < SEGS; i++) {
        char *s = base + i * SEG;
        t = now_us();
        if (mprotect(s, SEG, PROT_READ | PROT_WRITE)) { perror("mprotect"); return 1; }
        madvise(s, SEG, MADV_HUGEPAGE);
        if (madvise(s, SEG, MADV_POPULATE_WRITE)) { perror("populate"); return 1; }
        seg_us[i] = now_us() - t;
    }
    long huge_reserved = rollup_kb("AnonHugePages:") - huge0;
    int maps_reserved = maps_lines() - maps0;
    t = now_us();
    munmap(raw, RESERVE + HUGE);
    double unmap_us = now_us() - t;

    huge0 = rollup_kb("AnonHugePages:");
    int maps1 = maps_lines();
    char *segs[SEGS];
    double sep_us[SEGS];
    for (int i = 0; i < SEGS; i++) {
        t = now_us();
        char *r = mmap(NULL, SEG + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        char *s = align_up(r);
        if (s > r) munmap(r, s - r);
        if (r + SEG + HUGE > s + SEG) munmap(s + SEG, r + SEG + HUGE - (s + SEG));
        madvise(s, SEG, MADV_HUGEPAGE);
        if (madvise(s, SEG, MADV_POPULATE_WRITE)) { perror("populate"); return 1; }
        sep_us[i] = now_us() - t;
        segs[i] = s;
    }
    long huge_separate = rollup_kb("AnonHugePages:") - huge0;
    int maps_separate = maps_lines() - maps1;
    for (int i = 0; i < SEGS; i++) munmap(segs[i], SEG);

    // A file mapped with MAP_FIXED over the reservation, segment by segment.
    char path[4096]; snprintf(path, sizeof path, "%s/reserve-probe.dat", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600); unlink(path);
    raw = mmap(NULL, RESERVE + HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    base = align_up(raw);
    int maps2 = maps_lines();
    double file_us[SEGS];
    for (int i = 0; i < SEGS; i++) {
        t = now_us();
        if (posix_fallocate(fd, i * SEG, SEG)) { perror("fallocate"); return 1; }
        if (mmap(base + i * SEG, SEG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, i * SEG) != base + i * SEG) { perror("map fixed"); return 1; }
        madvise(base + i * SEG, SEG, MADV_RANDOM);
        if (madvise(base + i * SEG, SEG, MADV_POPULATE_WRITE)) { perror("populate file"); return 1; }
        file_us[i] = now_us() - t;
    }
    int maps_file = maps_lines() - maps2;
    for (int i = 0; i < SEGS; i++) base[i * SEG] = 1; // still writable
    munmap(raw, RESERVE + HUGE);
    close(fd);

    printf("reserve 1 TiB PROT_NONE: %.1f us; munmap of it with 16 populated segments: %.1f us\n", reserve_us, unmap_us);
    printf("%-34s %10s %10s %10s %12s %8s\n", "layout", "seg 0 us", "median us", "max us", "huge pages", "mappings");
    double *rows[3] = { seg_us, sep_us, file_us };
    const char *names[3] = { "anon, mprotect in reservation", "anon, separate aligned mmap", "file, MAP_FIXED in reservation" };
    long huge[3] = { huge_reserved / 2048, huge_separate / 2048, -1 };
    int maps[3] = { maps_reserved, maps_separate, maps_file };
    for (int r = 0; r < 3; r++) {
        double sorted[SEGS]; memcpy(sorted, rows[r], sizeof sorted);
        for (int i = 0; i < SEGS; i++) for (int j = i + 1; j < SEGS; j++) if (sorted[j] < sorted[i]) { double x = sorted[i]; sorted[i] = sorted[j]; sorted[j] = x; }
        printf("%-34s %10.0f %10.0f %10.0f %12ld %+8d\n", names[r], rows[r][0], sorted[SEGS / 2], sorted[SEGS - 1], huge[r], maps[r]);
    }
    printf("(huge pages: AnonHugePages gained / 2 MiB, of %d possible; mappings: /proc/self/maps lines added)\n", SEGS * (int)(SEG / HUGE));
    return 0;
}
