// Buffered sequential reads of a cold file into already-faulted memory: does the shape of each
// read matter? A restore reads a full checkpoint as 64-record scatter reads whose records are
// 20 + 4096 bytes, starting at offset 64: off 4 KiB boundaries, 128 iovecs per read. Compared
// with the same bytes read as 64 aligned pages, and with the same unaligned reads as one buffer.
//
// cc -O2 -o record_read record_read.c && ./record_read FILE [reps]
// FILE is created (550 MB) if missing; put it on the disk under test, not tmpfs.
// Each run drops FILE from the page cache first (fsync + POSIX_FADV_DONTNEED), like the bench.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define HEADER 20
#define BATCH 64
#define PAGES 133941 // the bench's full checkpoint at 10M keys

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void drop(int fd) { fsync(fd); posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); }

enum mode { ALIGNED, RECORDS_SCATTER, RECORDS_ONE_BUFFER, RECORDS_SCATTER_NO_SEQ, MODES };
static const char *names[] = {
    "aligned: 64 pages per read from offset 4096, one iovec per page",
    "records: 64 records per read from offset 64, header and image iovecs (the restore)",
    "records: the same reads into one contiguous buffer",
    "records: scatter, without POSIX_FADV_SEQUENTIAL",
};

static double run(const char *path, enum mode m, uint8_t *pages, uint8_t *headers, uint8_t *flat) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror("open"); exit(1); }
    drop(fd);
    if (m != RECORDS_SCATTER_NO_SEQ) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL); // what .NET's FileOptions.SequentialScan does
    struct iovec iov[2 * BATCH];
    double t0 = now();
    for (long first = 0; first < PAGES; first += BATCH) {
        int n = PAGES - first < BATCH ? (int)(PAGES - first) : BATCH, count = 0;
        off_t offset;
        size_t want = 0;
        if (m == ALIGNED) {
            offset = PAGE + first * PAGE;
            for (int i = 0; i < n; i++) { iov[count++] = (struct iovec){ pages + (first + i) * PAGE, PAGE }; want += PAGE; }
        } else if (m == RECORDS_ONE_BUFFER) {
            offset = 64 + first * (HEADER + PAGE);
            iov[count++] = (struct iovec){ flat, (size_t)n * (HEADER + PAGE) }; want = (size_t)n * (HEADER + PAGE);
        } else {
            offset = 64 + first * (HEADER + PAGE);
            for (int i = 0; i < n; i++) {
                iov[count++] = (struct iovec){ headers + i * HEADER, HEADER };
                iov[count++] = (struct iovec){ pages + (first + i) * PAGE, PAGE };
                want += HEADER + PAGE;
            }
        }
        ssize_t got = preadv(fd, iov, count, offset);
        if (got != (ssize_t)want) { fprintf(stderr, "short read %zd of %zu at %ld\n", got, want, (long)offset); exit(1); }
    }
    double t = now() - t0;
    close(fd);
    return t;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s FILE [reps]\n", argv[0]); return 2; }
    const char *path = argv[1];
    int reps = argc > 2 ? atoi(argv[2]) : 8;
    size_t size = 64 + (size_t)PAGES * (HEADER + PAGE) + 64;
    struct stat st;
    if (stat(path, &st) != 0 || (size_t)st.st_size < size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        uint8_t *chunk = malloc(1 << 20);
        for (size_t i = 0; i < (1 << 20); i++) chunk[i] = (uint8_t)(i * 131 + 7);
        for (size_t done = 0; done < size; done += 1 << 20) if (write(fd, chunk, 1 << 20) != 1 << 20) { perror("write"); return 1; }
        fsync(fd);
        close(fd);
        free(chunk);
    }
    size_t bytes = (size_t)PAGES * PAGE;
    uint8_t *pages = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    madvise(pages, bytes, MADV_HUGEPAGE); // as the store maps frames
    memset(pages, 1, bytes); // faulted in before any timed read
    uint8_t headers[BATCH * HEADER];
    uint8_t *flat = malloc(BATCH * (HEADER + PAGE));
    memset(flat, 1, BATCH * (HEADER + PAGE));
    printf("%d pages of %d B; reps rotate the order of the modes; seconds per read of the file\n", PAGES, PAGE);
    for (int m = 0; m < MODES; m++) printf("mode %d: %s\n", m, names[m]);
    printf("rep");
    for (int m = 0; m < MODES; m++) printf("\tmode %d", m);
    printf("\n");
    for (int r = 0; r < reps; r++) {
        double t[MODES];
        for (int s = 0; s < MODES; s++) {
            int m = (s + r) % MODES;
            sleep(1); // the bench's settle pause
            t[m] = run(path, m, pages, headers, flat);
        }
        printf("%d", r + 1);
        for (int m = 0; m < MODES; m++) printf("\t%.3f", t[m]);
        printf("\n");
        fflush(stdout);
    }
    return 0;
}
