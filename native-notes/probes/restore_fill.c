// What a restore pays for its memory, huge pages against 4 KiB pages, in the restore's own shape:
// two threads pre-fault 2 MiB blocks from the front while one thread reads the checkpoint file into
// the same range with 1 MiB buffered preads (or, in the last mode, without them). After the fill, one user-mode write per 4 KiB page is
// timed on its own: what is left for the store's first touches (on these PVM guests a 4 KiB page
// traps once on its first user access even after the kernel has populated it).
// See ../free-page-reporting.md, "Huge pages or 4 KiB pages for a restore".
//
//   cc -O2 -Wall -pthread -o restore_fill restore_fill.c && ./restore_fill FILE [reps] [free-seconds...]
// FILE: 512 MB on the disk under test (created if missing). Each run first unmaps the previous
// run's memory and leaves it free for the given seconds, so memory is as cold as that makes it.
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
#define BLOCK (1 << 21)
static const size_t size = 512UL << 20;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

struct job { char *dest; int thread; int touch; };

// Every other 2 MiB block from this thread's first; with touch, then one atomic user-mode add of zero
// per 4 KiB page of the block (atomic because the reader may already be writing that page).
static void *populate(void *arg) {
    struct job *j = arg;
    for (size_t off = (size_t)j->thread * BLOCK; off < size; off += 2 * (size_t)BLOCK) {
        if (madvise(j->dest + off, BLOCK, MADV_POPULATE_WRITE) != 0) { perror("MADV_POPULATE_WRITE"); exit(1); }
        if (j->touch) for (size_t p = 0; p < BLOCK; p += 4096) __atomic_fetch_add((int *)(j->dest + off + p), 0, __ATOMIC_RELAXED);
    }
    return NULL;
}

// mode 0: huge pages; 1: 4 KiB pages; 2: 4 KiB pages, the pre-faulting threads also touch each page from user mode;
// 3: 4 KiB pages and no pre-faulting threads (the reader's copy faults each page in).
static const char *names[] = {"2 MiB pages", "4 KiB pages", "4 KiB pages, pre-faulting threads touch each page", "4 KiB pages, no pre-faulting threads"};
#define MODES 4

static void run(int mode, const char *path, double *fill_s, double *touch_s) {
    char *dest = mmap(NULL, size + BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (dest == MAP_FAILED) { perror("mmap"); exit(1); }
    dest = (char *)(((uintptr_t)dest + BLOCK - 1) & ~(uintptr_t)(BLOCK - 1));
    madvise(dest, size, mode == 0 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    int fd = open(path, O_RDONLY);
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    double t0 = now();
    pthread_t t[2]; struct job j[2]; int populators = mode == 3 ? 0 : 2;
    for (int i = 0; i < populators; i++) { j[i] = (struct job){dest, i, mode == 2}; pthread_create(&t[i], NULL, populate, &j[i]); }
    for (size_t off = 0; off < size; off += CHUNK)
        if (pread(fd, dest + off, CHUNK, off) != CHUNK) { perror("pread"); exit(1); }
    for (int i = 0; i < populators; i++) pthread_join(t[i], NULL);
    double t1 = now();
    for (size_t p = 0; p < size; p += 4096) dest[p + 1]++;
    *fill_s = t1 - t0;
    *touch_s = now() - t1;
    close(fd);
    munmap(dest, size); // the unaligned head and tail stay mapped but were never touched
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static double median(double *v, int n) { qsort(v, n, sizeof v[0], cmp); return v[n / 2]; }

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "restore_fill.bin";
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    struct stat st;
    if (stat(path, &st) != 0 || (size_t)st.st_size < size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        char *buf = malloc(CHUNK);
        for (size_t off = 0; off < size; off += CHUNK) { memset(buf, (int)(off >> 20), CHUNK); if (write(fd, buf, CHUNK) != CHUNK) { perror("write"); return 1; } }
        fsync(fd); close(fd); free(buf);
    }
    printf("# 512 MiB filled by 1 reader (1 MiB buffered preads of a dropped file) while 2 threads pre-fault ahead; then one user write per 4 KiB\n");
    printf("| pages | free before, s | fill s, %d runs | fill median s | then touch median s | total median s |\n|---|---:|---|---:|---:|---:|\n", reps);
    for (int a = 3; a < (argc > 3 ? argc : 4); a++) {
        double free_s = argc > 3 ? atof(argv[a]) : 10;
        for (int mode = 0; mode < MODES; mode++) {
            double fill[32], touch[32], total[32];
            for (int r = 0; r < reps; r++) {
                usleep((useconds_t)(free_s * 1e6));
                run(mode, path, &fill[r], &touch[r]);
                total[r] = fill[r] + touch[r];
            }
            printf("| %s | %.0f |", names[mode], free_s);
            for (int r = 0; r < reps; r++) printf(" %.3f", fill[r]);
            printf(" | %.3f | %.3f | %.3f |\n", median(fill, reps), median(touch, reps), median(total, reps));
            fflush(stdout);
        }
    }
    return 0;
}
