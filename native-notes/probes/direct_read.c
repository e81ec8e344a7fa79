// Reading a large file into already-faulted memory: buffered vs O_DIRECT, 1-8 requests in flight.
// The question: is a restore's full-file read (page images into the store's frames) bound by the
// kernel's copy out of the page cache, and would direct reads (DMA into the frames) beat it?
//
// cc -O2 -pthread -o direct_read direct_read.c && ./direct_read FILE [reps]
// FILE should be large (512 MB) and on the disk under test; it is created if missing.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)
static size_t file_size = 512UL << 20;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

// CPU seconds (user + system) of the whole process so far: a run's difference is what its reads cost the CPUs.
static double cpu(void) {
    struct rusage u; getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}
static double last_cpu; // CPU seconds per GB of the last run

static void drop(const char *path) {
    int fd = open(path, O_RDONLY);
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

struct job { int fd; char *dest; int thread, threads; };

static void *reader(void *arg) {
    struct job *j = arg;
    for (size_t off = (size_t)j->thread * CHUNK; off < file_size; off += (size_t)j->threads * CHUNK) {
        ssize_t n = pread(j->fd, j->dest + off, CHUNK, off);
        if (n != CHUNK) { perror("pread"); exit(1); }
    }
    return NULL;
}

// Reads the whole file into dest (or into one reused 1 MiB buffer when reuse) with `threads` preads in flight.
static double run(const char *path, int direct, char *dest, int threads) {
    int fd = open(path, O_RDONLY | (direct ? O_DIRECT : 0));
    if (fd < 0) { perror("open"); exit(1); }
    pthread_t t[16]; struct job j[16];
    double start = now(), c = cpu();
    for (int i = 0; i < threads; i++) { j[i] = (struct job){fd, dest, i, threads}; pthread_create(&t[i], NULL, reader, &j[i]); }
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double s = now() - start;
    last_cpu = (cpu() - c) / (file_size / 1e9);
    close(fd);
    return file_size / s / 1e9;
}

static double run_reused(const char *path) {
    int fd = open(path, O_RDONLY);
    char *buf = aligned_alloc(4096, CHUNK);
    memset(buf, 1, CHUNK);
    double start = now(), c = cpu();
    for (size_t off = 0; off < file_size; off += CHUNK) if (pread(fd, buf, CHUNK, off) != CHUNK) { perror("pread"); exit(1); }
    double s = now() - start;
    last_cpu = (cpu() - c) / (file_size / 1e9);
    close(fd); free(buf);
    return file_size / s / 1e9;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "direct_read.bin";
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    struct stat st;
    if (stat(path, &st) != 0 || (size_t)st.st_size < file_size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        char *buf = malloc(CHUNK);
        for (size_t off = 0; off < file_size; off += CHUNK) { for (int i = 0; i < CHUNK; i += 8) *(uint64_t *)(buf + i) = off + i; if (write(fd, buf, CHUNK) != CHUNK) { perror("write"); return 1; } }
        fsync(fd); close(fd); free(buf);
    }
    // The destination: like a store's frames, mapped and pre-faulted (huge pages where the kernel gives them).
    char *dest = mmap(NULL, file_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    madvise(dest, file_size, MADV_HUGEPAGE);
    memset(dest, 0, file_size);
    printf("file %s, %zu MB; GB/s = 10^9 bytes/s; each run after fdatasync + POSIX_FADV_DONTNEED\n", path, file_size >> 20);
    printf("GB/s (CPU s per GB) | buffered, one reused 1 MiB buffer | buffered into pre-faulted memory, 1 / 2 thread(s) | O_DIRECT into pre-faulted memory, 1 / 2 / 4 / 8 in flight\n");
    for (int r = 0; r < reps; r++) {
        printf("%d", r + 1);
        drop(path); printf(" | %.2f (%.2f)", run_reused(path), last_cpu);
        for (int t = 1; t <= 2; t++) { drop(path); printf(" %s %.2f (%.2f)", t == 1 ? "|" : "/", run(path, 0, dest, t), last_cpu); }
        for (int t = 1; t <= 8; t *= 2) { drop(path); printf(" %s %.2f (%.2f)", t == 1 ? "|" : "/", run(path, 1, dest, t), last_cpu); }
        printf("\n");
        fflush(stdout);
    }
    return 0;
}
