// Filling memory that sat free long enough for the guest to report it to the host (cold memory):
// does the cost shrink with more threads faulting at once, and does an O_DIRECT read into
// never-touched memory (the kernel pins and faults the pages, the host's DMA fills them) beat
// pre-faulting followed by a buffered read? A restore on a restarted machine pays exactly this.
// See ../free-page-reporting.md and ../direct-reads.md.
//
//   cc -O2 -Wall -pthread -o cold_fill cold_fill.c && ./cold_fill FILE [reps] [free-seconds] [modes, e.g. 1,6,7]
// FILE: 512 MB on the disk under test (created if missing). Each run first unmaps the previous
// run's memory and leaves it free for free-seconds (default 10), so every run starts cold.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define CHUNK (1 << 20)
static const size_t size = 512UL << 20;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static char *map_fresh(void) {
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    madvise(p, size, MADV_HUGEPAGE);
    return p;
}

static void drop(const char *path) {
    int fd = open(path, O_RDONLY);
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

struct job { char *dest; int fd; int thread, threads; };

// Populates this thread's share of 2 MiB blocks (every threads-th block, so all threads fault across the range).
static void *populate(void *arg) {
    struct job *j = arg;
    for (size_t off = (size_t)j->thread << 21; off < size; off += (size_t)j->threads << 21) {
        if (madvise(j->dest + off, 1 << 21, MADV_POPULATE_WRITE) != 0) { perror("MADV_POPULATE_WRITE"); exit(1); }
    }
    return NULL;
}

static void *reader(void *arg) {
    struct job *j = arg;
    for (size_t off = (size_t)j->thread * CHUNK; off < size; off += (size_t)j->threads * CHUNK) {
        if (pread(j->fd, j->dest + off, CHUNK, off) != CHUNK) { perror("pread"); exit(1); }
    }
    return NULL;
}

static void run_threads(void *(*fn)(void *), char *dest, int fd, int threads) {
    pthread_t t[16]; struct job j[16];
    for (int i = 0; i < threads; i++) { j[i] = (struct job){dest, fd, i, threads}; pthread_create(&t[i], NULL, fn, &j[i]); }
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
}

// Populates every block from the front on 2 threads while the caller reads into the same range (a restore's shape).
static void *populate_two(void *arg) { run_threads(populate, arg, -1, 2); return NULL; }

// Huge pages backing the process's anonymous memory now (the probe maps nothing else that large).
static long anon_huge_kb(void) {
    FILE *f = fopen("/proc/self/smaps_rollup", "r"); char line[256]; long kb = -1;
    while (f && fgets(line, sizeof line, f)) if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}
static long last_huge_kb;

// mode: 0..2 populate with 1/2/4 threads; 3 populate (2 threads) then buffered read, 1 thread;
// 4 O_DIRECT read, 8 in flight, into unpopulated memory; 5 populate (2 threads) then O_DIRECT, 8 in flight;
// 6 buffered read, 1 thread, into unpopulated memory (the kernel faults each page inside the copy);
// 7 buffered read, 1 thread, while 2 threads populate ahead of it (Store's restore).
static double run(int mode, const char *path) {
    char *dest = map_fresh();
    int fd = -1;
    if (mode >= 3) { drop(path); fd = open(path, O_RDONLY | (mode >= 4 ? O_DIRECT : 0)); if (fd < 0) { perror("open"); exit(1); } }
    double t0 = now();
    switch (mode) {
    case 0: run_threads(populate, dest, -1, 1); break;
    case 1: run_threads(populate, dest, -1, 2); break;
    case 2: run_threads(populate, dest, -1, 4); break;
    case 3: run_threads(populate, dest, -1, 2); run_threads(reader, dest, fd, 1); break;
    case 4: run_threads(reader, dest, fd, 8); break;
    case 5: run_threads(populate, dest, -1, 2); run_threads(reader, dest, fd, 8); break;
    case 6: run_threads(reader, dest, fd, 1); break;
    case 7: { pthread_t p; pthread_create(&p, NULL, populate_two, dest); run_threads(reader, dest, fd, 1); pthread_join(p, NULL); break; }
    }
    double s = now() - t0;
    last_huge_kb = anon_huge_kb();
    if (fd >= 0) close(fd);
    munmap(dest, size);
    return s;
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "cold_fill.bin";
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    double free_s = argc > 3 ? atof(argv[3]) : 10;
    struct stat st;
    if (stat(path, &st) != 0 || (size_t)st.st_size < size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        char *buf = malloc(CHUNK);
        for (size_t off = 0; off < size; off += CHUNK) { memset(buf, (int)(off >> 20), CHUNK); if (write(fd, buf, CHUNK) != CHUNK) { perror("write"); return 1; } }
        fsync(fd); close(fd); free(buf);
    }
    const char *names[] = {
        "populate, 1 thread", "populate, 2 threads", "populate, 4 threads",
        "populate (2 threads), then buffered read (1 thread)", "O_DIRECT read, 8 in flight, into unpopulated memory",
        "populate (2 threads), then O_DIRECT read, 8 in flight",
        "buffered read (1 thread) into unpopulated memory", "buffered read (1 thread) while 2 threads populate ahead"};
    const char *only = argc > 4 ? argv[4] : "0,1,2,3,4,5,6,7"; // the modes to run, in this order
    printf("# 512 MiB of MADV_HUGEPAGE memory, each run after the previous run's memory sat free for %.0f s; file reads after fdatasync + POSIX_FADV_DONTNEED\n", free_s);
    printf("| mode | seconds, %d runs | median s | median GB/s | huge pages after, MiB |\n|---|---|---:|---:|---|\n", reps);
    char *warm = map_fresh(); run_threads(populate, warm, -1, 2); munmap(warm, size); // something to free before the first run
    for (const char *m = only; *m; m += (m[1] == ',') ? 2 : 1) {
        int mode = *m - '0';
        if (mode < 0 || mode > 7) { fprintf(stderr, "unknown mode '%c'\n", *m); return 2; }
        double s[32]; long huge[32];
        for (int r = 0; r < reps; r++) { usleep((useconds_t)(free_s * 1e6)); s[r] = run(mode, path); huge[r] = last_huge_kb; }
        printf("| %s |", names[mode]);
        for (int r = 0; r < reps; r++) printf(" %.3f", s[r]);
        qsort(s, reps, sizeof s[0], cmp);
        printf(" | %.3f | %.2f |", s[reps / 2], size / s[reps / 2] / 1e9);
        for (int r = 0; r < reps; r++) printf(" %ld", huge[r] / 1024);
        printf(" |\n");
        fflush(stdout);
    }
    return 0;
}
