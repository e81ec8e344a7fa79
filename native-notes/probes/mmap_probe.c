// mmap_probe.c - measure the three candidate mapping flavours for Store frames.
//
//   shared  = MAP_SHARED  of a regular file (grown with fallocate)
//   private = MAP_PRIVATE of the same kind of file
//   anon    = MAP_PRIVATE | MAP_ANONYMOUS
//
// Build: gcc -O2 -Wall -o mmap_probe mmap_probe.c
// Usage: mmap_probe <test> <dir>
//   test: baseline | firsttouch | cow | writeback | sparsedirty | rss | thp | fulldisk | all
//   dir : directory for temporary files (for fulldisk: a small, nearly empty filesystem)
// Env:  RUNS (default 5), MIB (first-touch region, default 256), WB_WAIT (seconds, default 35)
//
// Linux only. Page-flag inspection (/proc/kpageflags) needs root; it is skipped otherwise.
// Every temporary file is unlinked before the program exits.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PG 4096UL
#define MiB (1024UL * 1024UL)

static const char *g_dir;
static int g_runs = 5;

/* ------------------------------------------------------------------ timing */
static double ns_per_tick = 1.0;

static inline uint64_t ticks(void) {
#if defined(__x86_64__)
    unsigned lo, hi;
    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
#endif
}

static double mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void calibrate(void) {
#if defined(__x86_64__)
    double t0 = mono_ns();
    uint64_t c0 = ticks();
    while (mono_ns() - t0 < 200e6) {
    }
    double t1 = mono_ns();
    uint64_t c1 = ticks();
    ns_per_tick = (t1 - t0) / (double)(c1 - c0);
#endif
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 100000; i++) {
        uint64_t a = ticks(), b = ticks();
        if (b - a < best) best = b - a;
    }
    printf("# timer: %s, %.4f ns/tick, back-to-back overhead %.1f ns (included in per-op figures)\n",
#if defined(__x86_64__)
           "rdtsc(lfence)",
#else
           "clock_gettime",
#endif
           ns_per_tick, best * ns_per_tick);
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

/* ------------------------------------------------------------------- stats */
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}
static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct dist {
    double med, p99, p999, max, mean; /* ns */
};

static struct dist summarize(uint64_t *t, size_t n) {
    struct dist d;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += t[i];
    qsort(t, n, sizeof *t, cmp_u64);
    d.med = t[n / 2] * ns_per_tick;
    d.p99 = t[(size_t)(n * 0.99)] * ns_per_tick;
    d.p999 = t[(size_t)(n * 0.999)] * ns_per_tick;
    d.max = t[n - 1] * ns_per_tick;
    d.mean = sum / n * ns_per_tick;
    return d;
}

static double median_d(double *v, int n) {
    double tmp[64];
    memcpy(tmp, v, n * sizeof *v);
    qsort(tmp, n, sizeof *tmp, cmp_d);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}
static double min_d(double *v, int n) {
    double m = v[0];
    for (int i = 1; i < n; i++) if (v[i] < m) m = v[i];
    return m;
}
static double max_d(double *v, int n) {
    double m = v[0];
    for (int i = 1; i < n; i++) if (v[i] > m) m = v[i];
    return m;
}

/* malloc + pre-touch, so that faults on our own sample buffers never land inside a timed region */
static void *xmalloc_touched(size_t n) {
    void *p = malloc(n);
    if (!p) die("malloc");
    memset(p, 0xff, n);
    return p;
}

static long minflt(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt + ru.ru_majflt;
}

/* ------------------------------------------------------------- proc files */
static long long kv_from(const char *path, const char *key) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    size_t kl = strlen(key);
    long long v = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) == 0 && (line[kl] == ':' || line[kl] == ' ')) {
            char *p = line + kl;
            while (*p == ':' || *p == ' ' || *p == '\t') p++;
            v = atoll(p);
            break;
        }
    }
    fclose(f);
    return v;
}
static long long read_ll(const char *path) {
    FILE *f = fopen(path, "r");
    long long v = -1;
    if (f) {
        if (fscanf(f, "%lld", &v) != 1) v = -1;
        fclose(f);
    }
    return v;
}
#define MEMINFO(k) kv_from("/proc/meminfo", k)   /* kB */
#define VMSTAT(k) kv_from("/proc/vmstat", k)     /* pages */
#define SELFIO(k) kv_from("/proc/self/io", k)    /* bytes */
#define STATUS(k) kv_from("/proc/self/status", k) /* kB */

/* sectors written on the block device holding `dir` (field 7 of .../stat); -1 if unknown */
static long long disk_sectors_written(const char *dir) {
    struct stat st;
    if (stat(dir, &st) != 0) return -1;
    char path[128];
    snprintf(path, sizeof path, "/sys/dev/block/%u:%u/stat", major(st.st_dev), minor(st.st_dev));
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long long v[8] = {0};
    int n = fscanf(f, "%lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
    fclose(f);
    return n == 7 ? v[6] : -1;
}

/* Count page flags of the pages backing [p, p+len) via pagemap + kpageflags (root only). */
struct pflags {
    long present, dirty, writeback, head, tail, anon, thp;
    long max_folio;     /* pages */
    double sum_sq;      /* sum over folios of size^2, for the page-weighted mean folio size */
    int ok;
};
static struct pflags scan_pages(const char *p, size_t len) {
    struct pflags r = {0};
    int pm = open("/proc/self/pagemap", O_RDONLY);
    int kf = open("/proc/kpageflags", O_RDONLY);
    if (pm < 0 || kf < 0) {
        if (pm >= 0) close(pm);
        if (kf >= 0) close(kf);
        return r;
    }
    size_t n = len / PG;
    long cur = 0; /* pages in the folio being walked */
    uint64_t *ents = malloc(n * 8);
    if (pread(pm, ents, n * 8, ((uintptr_t)p / PG) * 8) != (ssize_t)(n * 8)) goto out;
    for (size_t i = 0; i < n; i++) {
        uint64_t e = ents[i];
        if (!(e >> 63)) {
            r.sum_sq += (double)cur * cur;
            if (cur > r.max_folio) r.max_folio = cur;
            cur = 0;
            continue;
        }
        uint64_t pfn = e & ((1ULL << 55) - 1);
        if (!pfn) goto out; /* no CAP_SYS_ADMIN: PFNs hidden */
        uint64_t fl;
        if (pread(kf, &fl, 8, pfn * 8) != 8) goto out;
        r.present++;
        if (fl & (1ULL << 4)) r.dirty++;
        if (fl & (1ULL << 8)) r.writeback++;
        if (fl & (1ULL << 15)) r.head++;
        if (fl & (1ULL << 16)) {
            r.tail++;
            cur++;
        } else { /* head or order-0 page starts a new folio */
            r.sum_sq += (double)cur * cur;
            if (cur > r.max_folio) r.max_folio = cur;
            cur = 1;
        }
        if (fl & (1ULL << 12)) r.anon++;
        if (fl & (1ULL << 22)) r.thp++;
    }
    r.sum_sq += (double)cur * cur;
    if (cur > r.max_folio) r.max_folio = cur;
    r.ok = 1;
out:
    free(ents);
    close(pm);
    close(kf);
    return r;
}
static double avg_folio_kib(struct pflags f) {
    long folios = (f.present - f.head - f.tail) + f.head;
    return folios ? 4.0 * f.present / folios : 0;
}
/* folio size seen by an average page (what one random write drags along) */
static double page_weighted_folio_kib(struct pflags f) {
    return f.present ? 4.0 * f.sum_sq / f.present : 0;
}

/* ------------------------------------------------------------------ regions */
enum flav { SHARED, PRIVATE, ANON };
static const char *flav_name[] = {"shared", "private", "anon"};

struct region {
    char *p;
    size_t len;
    int fd;
    char path[PATH_MAX];
};

/* Creates a fresh file (new inode: empty page cache) grown with fallocate. */
static int new_file(struct region *r, size_t len) {
    snprintf(r->path, sizeof r->path, "%s/mmap-probe-XXXXXX", g_dir);
    r->fd = mkstemp(r->path);
    if (r->fd < 0) die("mkstemp");
    if (fallocate(r->fd, 0, 0, len) != 0) die("fallocate");
    return r->fd;
}

/* warm: read() the whole file first so its (zero) pages sit clean in the page cache */
static void region_open(struct region *r, enum flav f, size_t len, int extra_flags, int warm) {
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->len = len;
    if (f != ANON) {
        new_file(r, len);
        if (warm) {
            char *buf = malloc(MiB);
            for (size_t off = 0; off < len; off += MiB)
                if (pread(r->fd, buf, MiB, off) != (ssize_t)MiB) die("pread");
            free(buf);
        }
    }
    int flags = (f == SHARED ? MAP_SHARED : MAP_PRIVATE) | (f == ANON ? MAP_ANONYMOUS : 0) | extra_flags;
    r->p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, r->fd, 0);
    if (r->p == MAP_FAILED) die("mmap");
}

static void region_close(struct region *r) {
    munmap(r->p, r->len);
    if (r->fd >= 0) {
        close(r->fd);
        unlink(r->path);
    }
}

/* per-page timed 1-byte write; returns faults per page; fills t[] */
static double touch_timed(char *p, size_t pages, uint64_t *t, char val) {
    long f0 = minflt();
    for (size_t i = 0; i < pages; i++) {
        uint64_t a = ticks();
        *(volatile char *)(p + i * PG) = val;
        uint64_t b = ticks();
        t[i] = b - a;
    }
    return (double)(minflt() - f0) / pages;
}

/* ----------------------------------------------------------------- baseline */
/* What a kernel entry costs on this machine, independent of the flavour. */
static void test_baseline(void) {
    const size_t len = 64 * MiB, pages = len / PG;
    uint64_t *t = xmalloc_touched(pages * sizeof *t);
    double sys[64], rd[64], rdm[64], wr2[64], wr2m[64], wr3[64], wr3m[64];
    for (int run = 0; run < g_runs; run++) {
        uint64_t a = ticks();
        for (int i = 0; i < 100000; i++) syscall(SYS_getppid);
        sys[run] = (ticks() - a) * ns_per_tick / 100000;
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) die("mmap");
        long f0 = minflt();
        for (size_t i = 0; i < pages; i++) { /* read fault: maps the shared zero page, allocates nothing */
            uint64_t b = ticks();
            (void)*(volatile char *)(p + i * PG);
            t[i] = ticks() - b;
        }
        if (minflt() - f0 < (long)pages / 2) printf("# warning: read pass took only %ld faults\n", minflt() - f0);
        struct dist d = summarize(t, pages);
        rd[run] = d.med;
        rdm[run] = d.mean;
        munmap(p, len);
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        touch_timed(p, pages, t, 1); /* first user access after MAP_POPULATE (no guest fault) */
        d = summarize(t, pages);
        wr2[run] = d.med;
        wr2m[run] = d.mean;
        touch_timed(p, pages, t, 2); /* second pass */
        d = summarize(t, pages);
        wr3[run] = d.med;
        wr3m[run] = d.mean;
        munmap(p, len);
    }
    int n = g_runs;
    printf("\n## baseline kernel-entry costs on this machine (%d runs, medians)\n", n);
    printf("| operation | median ns | mean ns |\n|---|---|---|\n");
    printf("| syscall(SYS_getppid) | - | %.0f |\n", median_d(sys, n));
    printf("| read fault on untouched anon page (zero page, no allocation) | %.0f | %.0f |\n", median_d(rd, n),
           median_d(rdm, n));
    printf("| 1st write to a page after MAP_POPULATE (0 guest faults) | %.0f | %.0f |\n", median_d(wr2, n),
           median_d(wr2m, n));
    printf("| 2nd write pass over the same pages | %.0f | %.0f |\n", median_d(wr3, n), median_d(wr3m, n));
    free(t);
}

/* --------------------------------------------------------------- firsttouch */
enum pre { PRE_NONE, PRE_MAP_POPULATE, PRE_MADV_WRITE };
static const char *pre_name[] = {"none", "MAP_POPULATE", "MADV_POPULATE_WRITE"};

static void firsttouch_cfg(enum flav f, enum pre pre, int warm, int rand, size_t len) {
    size_t pages = len / PG;
    uint64_t *t = xmalloc_touched(pages * sizeof *t);
    double pre_ns[64], pre_flt[64], med[64], p99[64], p999[64], mean[64], flt[64], total[64];
    int madv_err = 0;
    for (int run = 0; run < g_runs; run++) {
        struct region r;
        /* file creation, fallocate and the optional warm read are not timed */
        region_open(&r, f, len, 0, warm);
        munmap(r.p, len); /* nothing touched yet; remap so that only mmap/madvise is timed */
        int flags = (f == SHARED ? MAP_SHARED : MAP_PRIVATE) | (f == ANON ? MAP_ANONYMOUS : 0) |
                    (pre == PRE_MAP_POPULATE ? MAP_POPULATE : 0);
        long f0 = minflt();
        double t0 = mono_ns();
        r.p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, r.fd, 0);
        if (r.p == MAP_FAILED) die("mmap");
        if (rand && madvise(r.p, len, MADV_RANDOM) != 0) die("madvise(MADV_RANDOM)");
        if (pre == PRE_MADV_WRITE && madvise(r.p, len, MADV_POPULATE_WRITE) != 0) madv_err = errno;
        double t1 = mono_ns();
        long f1 = minflt();
        pre_ns[run] = pre == PRE_NONE ? 0 : (t1 - t0) / pages;
        pre_flt[run] = pre == PRE_NONE ? 0 : (double)(f1 - f0) / pages;
        flt[run] = touch_timed(r.p, pages, t, 1);
        struct dist d = summarize(t, pages);
        med[run] = d.med;
        p99[run] = d.p99;
        p999[run] = d.p999;
        mean[run] = d.mean;
        total[run] = pre_ns[run] + d.mean;
        region_close(&r);
    }
    int n = g_runs;
    char label[64];
    snprintf(label, sizeof label, "%s%s%s", flav_name[f], warm ? " (page cache warm)" : "", rand ? " + MADV_RANDOM" : "");
    printf("| %-26s | %-19s | %7.0f | %5.2f | %7.0f | %7.0f | %8.0f | %7.0f (%.0f-%.0f) | %5.2f | %7.0f |%s\n", label,
           pre_name[pre], median_d(pre_ns, n), median_d(pre_flt, n), median_d(med, n), median_d(p99, n),
           median_d(p999, n), median_d(mean, n), min_d(mean, n), max_d(mean, n), median_d(flt, n),
           median_d(total, n), madv_err ? " madvise failed" : "");
    if (madv_err) printf("#   madvise(MADV_POPULATE_WRITE) errno=%d (%s)\n", madv_err, strerror(madv_err));
    fflush(stdout);
    free(t);
}

static void test_firsttouch(void) {
    size_t mib = getenv("MIB") ? strtoul(getenv("MIB"), 0, 10) : 256;
    size_t len = mib * MiB;
    printf("\n## first-touch write fault, %zu MiB region, 1-byte write per 4 KiB page, sequential, %d runs; "
           "fresh fallocated file per run\n",
           mib, g_runs);
    printf("# prefault = ns/page spent inside mmap(MAP_POPULATE) or madvise(MADV_POPULATE_WRITE); touch = per-page "
           "timed first write after it; all = median over runs\n");
    printf("| flavour                    | prefault            | pre ns/pg | pre flt/pg | touch med | touch p99 | "
           "touch p99.9 | touch mean (min-max) | touch flt/pg | prefault+touch ns/pg |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|\n");
    for (int f = SHARED; f <= ANON; f++)
        for (int p = PRE_NONE; p <= PRE_MADV_WRITE; p++) firsttouch_cfg(f, p, 0, 0, len);
    firsttouch_cfg(SHARED, PRE_NONE, 1, 0, len);
    firsttouch_cfg(PRIVATE, PRE_NONE, 1, 0, len);
    firsttouch_cfg(SHARED, PRE_MADV_WRITE, 1, 0, len);
    firsttouch_cfg(SHARED, PRE_NONE, 0, 1, len);
    firsttouch_cfg(SHARED, PRE_MADV_WRITE, 0, 1, len);
}

/* ------------------------------------------------------------- software COW */
static uint64_t rng_state = 88172645463325252ULL;
static inline uint64_t xorshift(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_cow(void) {
    const size_t src_len = 512 * MiB, pool_frames = 256, copies = 500000;
    size_t src_pages = src_len / PG;
    uint64_t *t = xmalloc_touched(copies * sizeof *t);
    printf("\n## software COW: memcpy 4 KiB from a random resident frame of a %zu MiB region into a pooled, "
           "pre-faulted frame (%zu-frame pool, round robin); %zu copies/run, %d runs\n",
           src_len / MiB, pool_frames, copies, g_runs);
    printf("| source/pool flavour | source | copy med ns | p99 ns (min-max over runs) | p99.9 ns | mean ns | faults during copies |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (int f = SHARED; f <= ANON; f++) {
        for (int hot = 0; hot <= 1; hot++) {
            double med[64], p99[64], p999[64], mean[64];
            long faults = 0;
            for (int run = 0; run < g_runs; run++) {
                struct region src, pool;
                region_open(&src, f, src_len, 0, 0);
                region_open(&pool, f, pool_frames * PG, 0, 0);
                for (size_t i = 0; i < src_pages; i++) memset(src.p + i * PG, (int)(i & 0xff) | 1, PG);
                memset(pool.p, 0, pool_frames * PG);
                if (f == PRIVATE) posix_fadvise(src.fd, 0, src_len, POSIX_FADV_DONTNEED); /* drop COWed-away cache */
                long f0 = minflt();
                for (size_t k = 0; k < copies; k++) {
                    size_t s = hot ? 7 : xorshift() % src_pages;
                    char *dst = pool.p + (k % pool_frames) * PG;
                    uint64_t a = ticks();
                    memcpy(dst, src.p + s * PG, PG);
                    __asm__ volatile("" ::"r"(dst) : "memory");
                    uint64_t b = ticks();
                    t[k] = b - a;
                }
                faults += minflt() - f0;
                struct dist d = summarize(t, copies);
                med[run] = d.med;
                p99[run] = d.p99;
                p999[run] = d.p999;
                mean[run] = d.mean;
                region_close(&pool);
                region_close(&src);
            }
            int n = g_runs;
            printf("| %-7s | %-34s | %5.0f | %5.0f (%.0f-%.0f) | %6.0f | %5.0f | %ld |\n", flav_name[f],
                   hot ? "same frame every time (cache-hot floor)" : "random frame (cache/TLB cold)",
                   median_d(med, n), median_d(p99, n), min_d(p99, n), max_d(p99, n), median_d(p999, n),
                   median_d(mean, n), faults);
            fflush(stdout);
        }
    }
    free(t);
}

/* ---------------------------------------------------------------- writeback */
struct wbsnap {
    long long wbytes, cancelled, dirtied, written, sectors, dirty_kb, wb_kb;
};
static struct wbsnap wb_snap(void) {
    struct wbsnap s;
    s.wbytes = SELFIO("write_bytes");
    s.cancelled = SELFIO("cancelled_write_bytes");
    s.dirtied = VMSTAT("nr_dirtied");
    s.written = VMSTAT("nr_written");
    s.sectors = disk_sectors_written(g_dir);
    s.dirty_kb = MEMINFO("Dirty");
    s.wb_kb = MEMINFO("Writeback");
    return s;
}
static void wb_print(const char *label, struct wbsnap a, struct wbsnap b) {
    printf("| %-44s | %8.1f | %8.1f | %8.1f | %9.1f | %8.1f |\n", label, (b.wbytes - a.wbytes) / (double)MiB,
           (b.dirtied - a.dirtied) * PG / (double)MiB, (b.written - a.written) * PG / (double)MiB,
           a.sectors >= 0 ? (b.sectors - a.sectors) * 512.0 / MiB : -1.0, b.dirty_kb / 1024.0);
}

static void print_flags(const char *label, struct pflags pf) {
    if (!pf.ok) {
        printf("#   %s: page flags unavailable (need root)\n", label);
        return;
    }
    printf("#   %s: present=%ld dirty=%ld writeback=%ld anon=%ld, folio heads=%ld tails=%ld, folio KiB mean %.0f / "
           "page-weighted %.0f / max %ld\n",
           label, pf.present, pf.dirty, pf.writeback, pf.anon, pf.head, pf.tail, avg_folio_kib(pf),
           page_weighted_folio_kib(pf), pf.max_folio * 4);
}

static void test_writeback(void) {
    const size_t len = 256 * MiB, pages = len / PG;
    int wait_s = getenv("WB_WAIT") ? atoi(getenv("WB_WAIT")) : 35;
    uint64_t *t = xmalloc_touched(pages * sizeof *t);
    printf("\n## writeback of a shared mapping: dirty %zu MiB (memset every page), then wait >= %d s "
           "(vm.dirty_expire_centisecs=%lld, dirty_writeback_centisecs=%lld)\n",
           len / MiB, wait_s, read_ll("/proc/sys/vm/dirty_expire_centisecs"),
           read_ll("/proc/sys/vm/dirty_writeback_centisecs"));
    printf("# columns: MiB deltas since before dirtying. self write_bytes = /proc/self/io; dirtied/written = "
           "/proc/vmstat nr_dirtied/nr_written (system-wide); disk = sectors written on the fs device "
           "(system-wide, includes journal and other processes); Dirty = /proc/meminfo now\n");
    printf("| moment | self write_bytes | vmstat dirtied | vmstat written | disk written | Dirty (MiB) |\n");
    printf("|---|---|---|---|---|---|\n");

    struct region r;
    struct wbsnap s0 = wb_snap();
    region_open(&r, SHARED, len, 0, 0);
    double t0 = mono_ns();
    for (size_t i = 0; i < pages; i++) memset(r.p + i * PG, 0x5a, PG);
    double t1 = mono_ns();
    struct wbsnap s1 = wb_snap();
    wb_print("right after dirtying (no I/O yet)", s0, s1);
    struct pflags pf_dirty = scan_pages(r.p, len);

    /* second write pass while still dirty: should not fault */
    double flt_dirty = touch_timed(r.p, pages, t, 2);
    struct dist d_dirty = summarize(t, pages);

    /* wait for the flusher */
    double start = mono_ns();
    int last_print = -100, clean_at = -1;
    long long base_dirty = s0.dirty_kb;
    for (;;) {
        sleep(1);
        int el = (int)((mono_ns() - start) / 1e9);
        struct pflags pf = scan_pages(r.p, len);
        struct wbsnap s = wb_snap();
        if (el - last_print >= 5) {
            char lab[80];
            if (pf.ok)
                snprintf(lab, sizeof lab, "t=+%ds (our pages still dirty: %ld)", el, pf.dirty + pf.writeback);
            else
                snprintf(lab, sizeof lab, "t=+%ds", el);
            wb_print(lab, s0, s);
            last_print = el;
        }
        int clean = pf.ok ? (pf.dirty + pf.writeback == 0) : (s.dirty_kb < base_dirty + 4096 && s.wb_kb == 0);
        if (clean && clean_at < 0) clean_at = el;
        if (el >= wait_s && clean) break;
        if (el >= wait_s + 30) {
            printf("#   gave up waiting for writeback at t=+%ds\n", el);
            break;
        }
    }
    struct wbsnap s2 = wb_snap();
    char lab2[80];
    snprintf(lab2, sizeof lab2, "after writeback (clean at t=+%ds)", clean_at);
    wb_print(lab2, s0, s2);
    struct pflags pf_clean = scan_pages(r.p, len);

    /* write pass after writeback: does it fault again? */
    double flt_after = touch_timed(r.p, pages, t, 3);
    struct dist d_after = summarize(t, pages);
    struct wbsnap s3 = wb_snap();
    wb_print("after re-writing every page once", s0, s3);
    region_close(&r);
    struct wbsnap s4 = wb_snap();
    printf("# cancelled_write_bytes after unlink of the re-dirtied file: %.1f MiB\n",
           (s4.cancelled - s0.cancelled) / (double)MiB);
    printf("# dirtying %zu MiB with memset took %.0f ns/page (includes the first-touch write fault)\n", len / MiB,
           (t1 - t0) / pages);
    print_flags("page flags right after dirtying", pf_dirty);
    print_flags("page flags after writeback", pf_clean);
    printf("| write pass | faults/page | med ns | p99 ns | p99.9 ns | mean ns |\n|---|---|---|---|---|---|\n");
    printf("| re-write while pages still dirty | %.3f | %.0f | %.0f | %.0f | %.0f |\n", flt_dirty, d_dirty.med,
           d_dirty.p99, d_dirty.p999, d_dirty.mean);
    printf("| first write after kernel writeback (%ds) | %.3f | %.0f | %.0f | %.0f | %.0f |\n", wait_s, flt_after,
           d_after.med, d_after.p99, d_after.p999, d_after.mean);

    /* repeated runs using fdatasync instead of the flusher (same clean+write-protected end state) */
    const size_t slen = 64 * MiB, spages = slen / PG;
    double med[64], p99[64], p999[64], mean[64], flt[64], sync_ms[64], sync_mib[64];
    for (int run = 0; run < g_runs; run++) {
        struct region q;
        region_open(&q, SHARED, slen, 0, 0);
        for (size_t i = 0; i < spages; i++) memset(q.p + i * PG, 0x33, PG);
        long long sec0 = disk_sectors_written(g_dir);
        double a = mono_ns();
        if (fdatasync(q.fd) != 0) die("fdatasync");
        sync_ms[run] = (mono_ns() - a) / 1e6;
        sync_mib[run] = sec0 >= 0 ? (disk_sectors_written(g_dir) - sec0) * 512.0 / MiB : -1;
        if (run == g_runs - 1) print_flags("64 MiB file after fdatasync (last run)", scan_pages(q.p, slen));
        flt[run] = touch_timed(q.p, spages, t, 4);
        struct dist d = summarize(t, spages);
        med[run] = d.med;
        p99[run] = d.p99;
        p999[run] = d.p999;
        mean[run] = d.mean;
        region_close(&q);
    }
    int n = g_runs;
    printf("| first write after fdatasync (64 MiB, %d runs, medians) | %.3f | %.0f | %.0f | %.0f | %.0f |\n", n,
           median_d(flt, n), median_d(med, n), median_d(p99, n), median_d(p999, n), median_d(mean, n));
    printf("# fdatasync of 64 MiB freshly dirtied shared mapping: median %.0f ms (%.0f-%.0f), disk written median %.1f MiB\n",
           median_d(sync_ms, n), min_d(sync_ms, n), max_d(sync_ms, n), median_d(sync_mib, n));

    /* private mapping: are dirtied pages accounted as file dirt at all? */
    struct wbsnap p0 = wb_snap();
    struct region pr;
    region_open(&pr, PRIVATE, len, 0, 0);
    for (size_t i = 0; i < pages; i++) memset(pr.p + i * PG, 0x5a, PG);
    struct wbsnap p1 = wb_snap();
    printf("| moment | self write_bytes | vmstat dirtied | vmstat written | disk written | Dirty (MiB) |\n");
    printf("|---|---|---|---|---|---|\n");
    wb_print("private: right after dirtying 256 MiB", p0, p1);
    region_close(&pr);
    free(t);
}

/* ------------------------------------------------- sparse dirtying / folios */
static void test_sparsedirty(void) {
    const size_t len = 64 * MiB, pages = len / PG;
    const size_t strides[] = {1, 16, 64, 512};
    printf("\n## write amplification: fault in a 64 MiB shared mapping (read pass), then write 1 byte to every Nth "
           "page, fdatasync; one run per row (disk column is system-wide)\n");
    printf("| madvise before faulting | every Nth page | pages written by app | our dirty 4K pages (kpageflags) | "
           "self write_bytes MiB | disk written by fdatasync MiB | folio KiB: mean / page-weighted mean / max |\n"
           "|---|---|---|---|---|---|---|\n");
    for (int rand = 0; rand <= 1; rand++) {
        { /* MADV_POPULATE_WRITE alone, no application writes: how much does it dirty? */
            struct region r;
            region_open(&r, SHARED, len, 0, 0);
            if (rand && madvise(r.p, len, MADV_RANDOM) != 0) die("madvise(MADV_RANDOM)");
            long long w0 = SELFIO("write_bytes");
            if (madvise(r.p, len, MADV_POPULATE_WRITE) != 0) die("madvise(MADV_POPULATE_WRITE)");
            struct pflags pf = scan_pages(r.p, len);
            long long w1 = SELFIO("write_bytes");
            long long sec0 = disk_sectors_written(g_dir);
            if (fdatasync(r.fd) != 0) die("fdatasync");
            long long sec1 = disk_sectors_written(g_dir);
            printf("| %s | populate-only | 0 (0.00 MiB) | %ld (%.2f MiB) | %.2f | %.2f | %.0f / %.0f / %ld |\n",
                   rand ? "MADV_RANDOM" : "none", pf.ok ? pf.dirty : -1L, pf.ok ? pf.dirty * PG / (double)MiB : -1.0,
                   (w1 - w0) / (double)MiB, sec0 >= 0 ? (sec1 - sec0) * 512.0 / MiB : -1.0, avg_folio_kib(pf),
                   page_weighted_folio_kib(pf), pf.max_folio * 4);
            region_close(&r);
        }
        for (size_t si = 0; si < sizeof strides / sizeof *strides; si++) {
            size_t n = strides[si];
            struct region r;
            region_open(&r, SHARED, len, 0, 0);
            if (rand && madvise(r.p, len, MADV_RANDOM) != 0) die("madvise(MADV_RANDOM)");
            volatile char sink = 0;
            for (size_t i = 0; i < pages; i++) sink += r.p[i * PG]; /* read faults: populate page cache */
            (void)sink;
            long long w0 = SELFIO("write_bytes");
            size_t napp = 0;
            for (size_t i = 0; i < pages; i += n, napp++) r.p[i * PG] = 1;
            struct pflags pf = scan_pages(r.p, len);
            long long w1 = SELFIO("write_bytes");
            long long sec0 = disk_sectors_written(g_dir);
            if (fdatasync(r.fd) != 0) die("fdatasync");
            long long sec1 = disk_sectors_written(g_dir);
            printf("| %s | %zu | %zu (%.2f MiB) | %ld (%.2f MiB) | %.2f | %.2f | %.0f / %.0f / %ld |\n",
                   rand ? "MADV_RANDOM" : "none", n, napp, napp * PG / (double)MiB, pf.ok ? pf.dirty : -1L,
                   pf.ok ? pf.dirty * PG / (double)MiB : -1.0, (w1 - w0) / (double)MiB,
                   sec0 >= 0 ? (sec1 - sec0) * 512.0 / MiB : -1.0, avg_folio_kib(pf), page_weighted_folio_kib(pf),
                   pf.max_folio * 4);
            fflush(stdout);
            region_close(&r);
        }
    }
}

/* ---------------------------------------------------------------------- RSS */
static void rss_child(enum flav f, size_t len) {
    const size_t chunk = 128 * MiB;
    long long b_rss = STATUS("VmRSS"), b_anon = STATUS("RssAnon"), b_file = STATUS("RssFile"),
              b_shm = STATUS("RssShmem");
    long long c0 = MEMINFO("Cached"), ap0 = MEMINFO("AnonPages"), dirty0 = MEMINFO("Dirty");
    long long cache_created_kb = 0;
    struct region r;
    region_open(&r, f, len, 0, 0);
    for (size_t off = 0; off < len; off += chunk) {
        long long cc0 = MEMINFO("Cached");
        for (size_t i = off; i < off + chunk; i += PG) r.p[i] = 1;
        if (f == PRIVATE) {
            /* the COW source pages stay in the page cache; count them, then drop them to stay < 2 GiB */
            cache_created_kb += MEMINFO("Cached") - cc0;
            posix_fadvise(r.fd, off, chunk, POSIX_FADV_DONTNEED);
        }
    }
    if (f != PRIVATE) cache_created_kb = MEMINFO("Cached") - c0;
    long long rss = STATUS("VmRSS"), anon = STATUS("RssAnon"), file = STATUS("RssFile"), shm = STATUS("RssShmem");
    long long ap1 = MEMINFO("AnonPages"), dirty1 = MEMINFO("Dirty");
    printf("| %-7s | %6lld | %6lld | %6lld | %6lld | %+7lld | %+7lld | %+7lld |\n", flav_name[f], (rss - b_rss) / 1024,
           (anon - b_anon) / 1024, (file - b_file) / 1024, (shm - b_shm) / 1024, cache_created_kb / 1024,
           (ap1 - ap0) / 1024, (dirty1 - dirty0) / 1024);
    fflush(stdout);
    region_close(&r);
}

static void test_rss(void) {
    size_t len = 1024 * MiB;
    printf("\n## RSS after writing 1 byte to every page of a 1 GiB region (deltas in MiB, each flavour in its own "
           "child process; system-wide meminfo columns are noisy)\n");
    printf("| flavour | VmRSS | RssAnon | RssFile | RssShmem | page cache created | meminfo AnonPages | meminfo Dirty |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    fflush(stdout);
    for (int f = SHARED; f <= ANON; f++) {
        pid_t pid = fork();
        if (pid == 0) {
            rss_child(f, len);
            _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
    }
}

/* ---------------------------------------------------------------------- THP */
static void test_thp(void) {
    const size_t len = 256 * MiB, pages = len / PG, huge = 2 * MiB;
    uint64_t *t = xmalloc_touched(pages * sizeof *t);
    char thp[128] = "?";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (f) {
        if (!fgets(thp, sizeof thp, f)) thp[0] = 0;
        fclose(f);
        thp[strcspn(thp, "\n")] = 0;
    }
    printf("\n## THP on anonymous memory: 256 MiB, 2 MiB-aligned, 1-byte write per 4 KiB page, %d runs "
           "(THP enabled: %s)\n", g_runs, thp);
    printf("| madvise | populate ns/4K page | touch med ns | p99 ns | p99.9 ns | max ns | touch mean ns/4K page | "
           "faults/4K page (populate+touch) | AnonHugePages MiB |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    const int advs[] = {-1, MADV_NOHUGEPAGE, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_HUGEPAGE};
    const int pops[] = {0, 0, 0, 1, 1};
    const char *names[] = {"none (default)", "MADV_NOHUGEPAGE", "MADV_HUGEPAGE",
                           "MADV_NOHUGEPAGE + MADV_POPULATE_WRITE", "MADV_HUGEPAGE + MADV_POPULATE_WRITE"};
    for (int a = 0; a < 5; a++) {
        double pop[64], med[64], p99[64], p999[64], mx[64], mean[64], flt[64], hp[64];
        for (int run = 0; run < g_runs; run++) {
            char *raw = mmap(NULL, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (raw == MAP_FAILED) die("mmap");
            char *p = (char *)(((uintptr_t)raw + huge - 1) & ~(huge - 1));
            if (advs[a] >= 0 && madvise(p, len, advs[a]) != 0) die("madvise");
            long f0 = minflt();
            double t0 = mono_ns();
            if (pops[a] && madvise(p, len, MADV_POPULATE_WRITE) != 0) die("madvise(MADV_POPULATE_WRITE)");
            pop[run] = (mono_ns() - t0) / pages;
            long pf = minflt() - f0;
            flt[run] = touch_timed(p, pages, t, 1) + (double)pf / pages;
            hp[run] = kv_from("/proc/self/smaps_rollup", "AnonHugePages") / 1024.0;
            struct dist d = summarize(t, pages);
            med[run] = d.med;
            p99[run] = d.p99;
            p999[run] = d.p999;
            mx[run] = d.max;
            mean[run] = d.mean;
            munmap(raw, len + huge);
        }
        int n = g_runs;
        printf("| %-16s | %5.0f | %5.0f | %6.0f | %7.0f | %7.0f | %6.0f | %.4f | %.0f |\n", names[a],
               pops[a] ? median_d(pop, n) : 0.0, median_d(med, n), median_d(p99, n), median_d(p999, n),
               median_d(mx, n), median_d(mean, n), median_d(flt, n), median_d(hp, n));
        fflush(stdout);
    }
    free(t);
}

/* ----------------------------------------------------------------- fulldisk */
static sigjmp_buf bus_jb;
static volatile sig_atomic_t bus_code;
static void *volatile bus_addr;
static void on_bus(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    bus_code = si->si_code;
    bus_addr = si->si_addr;
    siglongjmp(bus_jb, 1);
}

/* writes 1 byte per page; returns number of pages written before a SIGBUS (== pages if none) */
static size_t touch_until_bus(char *p, size_t pages, int *got_bus) {
    volatile size_t i = 0;
    *got_bus = 0;
    if (sigsetjmp(bus_jb, 1)) {
        *got_bus = 1;
        return i;
    }
    for (; i < pages; i++) p[i * PG] = 1;
    return i;
}

static long long fs_free(void) {
    struct statvfs sv;
    if (statvfs(g_dir, &sv) != 0) die("statvfs");
    return (long long)sv.f_bavail * sv.f_frsize;
}

static const char *bus_code_name(int c) {
    return c == BUS_ADRERR ? "BUS_ADRERR" : c == BUS_ADRALN ? "BUS_ADRALN" : c == BUS_OBJERR ? "BUS_OBJERR" : "other";
}

static void file_state(const char *what, int fd) {
    struct stat st;
    fstat(fd, &st);
    printf("#   %s: st_size=%.2f MiB, allocated=%.2f MiB, fs free now=%.2f MiB\n", what, st.st_size / (double)MiB,
           st.st_blocks * 512.0 / MiB, fs_free() / (double)MiB);
}

static void test_fulldisk(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    struct statfs sf;
    statfs(g_dir, &sf);
    long long free0 = fs_free();
    printf("\n## full filesystem behaviour in %s (f_type=0x%lx, free %.2f MiB)\n", g_dir, (unsigned long)sf.f_type,
           free0 / (double)MiB);
    size_t big = ((size_t)(free0 * 2) + MiB - 1) & ~(MiB - 1);
    struct region r;

    /* 1: fallocate more than free */
    memset(&r, 0, sizeof r);
    snprintf(r.path, sizeof r.path, "%s/fd-XXXXXX", g_dir);
    r.fd = mkstemp(r.path);
    int rc = fallocate(r.fd, 0, 0, big);
    printf("1. fallocate(fd, 0, 0, %.0f MiB) -> %d%s%s\n", big / (double)MiB, rc, rc ? " errno=" : "",
           rc ? strerror(errno) : "");
    file_state("after", r.fd);
    rc = ftruncate(r.fd, 0);
    file_state("after ftruncate(fd, 0) (undo)", r.fd);
    close(r.fd);
    unlink(r.path);

    /* 2: posix_fallocate more than free */
    snprintf(r.path, sizeof r.path, "%s/fd-XXXXXX", g_dir);
    r.fd = mkstemp(r.path);
    rc = posix_fallocate(r.fd, 0, big);
    printf("2. posix_fallocate(fd, 0, %.0f MiB) -> %d (%s)\n", big / (double)MiB, rc, rc ? strerror(rc) : "ok");
    file_state("after", r.fd);
    close(r.fd);
    unlink(r.path);

    /* 3: ftruncate (sparse) + MAP_SHARED + touch -> SIGBUS */
    snprintf(r.path, sizeof r.path, "%s/fd-XXXXXX", g_dir);
    r.fd = mkstemp(r.path);
    if (ftruncate(r.fd, big) != 0) die("ftruncate");
    r.p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0);
    int bus;
    size_t ok = touch_until_bus(r.p, big / PG, &bus);
    printf("3. ftruncate(%.0f MiB) + MAP_SHARED + write each page -> %s after %zu pages (%.2f MiB)", big / (double)MiB,
           bus ? "SIGBUS" : "no signal", ok, ok * PG / (double)MiB);
    if (bus)
        printf(", si_code=%s, si_addr=mapping+%.2f MiB", bus_code_name(bus_code),
               ((char *)bus_addr - r.p) / (double)MiB);
    printf("\n");
    munmap(r.p, big);
    rc = fsync(r.fd);
    printf("#   fsync afterwards -> %d%s%s\n", rc, rc ? " errno=" : "", rc ? strerror(errno) : "");
    file_state("after", r.fd);
    close(r.fd);
    unlink(r.path);

    /* 4: ftruncate + MAP_SHARED + MADV_POPULATE_WRITE */
    snprintf(r.path, sizeof r.path, "%s/fd-XXXXXX", g_dir);
    r.fd = mkstemp(r.path);
    if (ftruncate(r.fd, big) != 0) die("ftruncate");
    r.p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0);
    errno = 0;
    rc = madvise(r.p, big, MADV_POPULATE_WRITE);
    printf("4. ftruncate(%.0f MiB) + MAP_SHARED + madvise(MADV_POPULATE_WRITE) -> %d%s%s (no signal delivered)\n",
           big / (double)MiB, rc, rc ? " errno=" : "", rc ? strerror(errno) : "");
    file_state("after", r.fd);
    munmap(r.p, big);
    close(r.fd);
    unlink(r.path);

    /* 5: ftruncate + MAP_PRIVATE + touch */
    snprintf(r.path, sizeof r.path, "%s/fd-XXXXXX", g_dir);
    r.fd = mkstemp(r.path);
    if (ftruncate(r.fd, big) != 0) die("ftruncate");
    r.p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE, r.fd, 0);
    ok = touch_until_bus(r.p, big / PG, &bus);
    printf("5. ftruncate(%.0f MiB) + MAP_PRIVATE + write each page -> %s after %zu pages (%.2f MiB)%s%s\n",
           big / (double)MiB, bus ? "SIGBUS" : "no signal", ok, ok * PG / (double)MiB, bus ? ", si_code=" : "",
           bus ? bus_code_name(bus_code) : "");
    file_state("after", r.fd);
    munmap(r.p, big);
    close(r.fd);
    unlink(r.path);

    /* 6: reservation holds: fallocate half, fill the rest of the fs with another file, then write the reserved one */
    size_t half = ((size_t)(free0 / 2)) & ~(PG - 1);
    struct region res, filler;
    memset(&res, 0, sizeof res);
    memset(&filler, 0, sizeof filler);
    snprintf(res.path, sizeof res.path, "%s/fd-XXXXXX", g_dir);
    res.fd = mkstemp(res.path);
    rc = fallocate(res.fd, 0, 0, half);
    printf("6. fallocate(reserved file, %.2f MiB) -> %d; ", half / (double)MiB, rc);
    snprintf(filler.path, sizeof filler.path, "%s/fd-XXXXXX", g_dir);
    filler.fd = mkstemp(filler.path);
    char *zero = calloc(1, 64 * 1024);
    long long filled = 0;
    ssize_t w;
    while ((w = write(filler.fd, zero, 64 * 1024)) > 0) filled += w;
    int werr = errno;
    fsync(filler.fd);
    while ((w = write(filler.fd, zero, 4096)) > 0) filled += w; /* after fsync the delalloc reserve is exact */
    printf("filler write() got %s after %.2f MiB (fs free now %.2f MiB)\n", strerror(w < 0 ? errno : werr),
           filled / (double)MiB, fs_free() / (double)MiB);
    free(zero);
    res.p = mmap(NULL, half, PROT_READ | PROT_WRITE, MAP_SHARED, res.fd, 0);
    ok = touch_until_bus(res.p, half / PG, &bus);
    rc = msync(res.p, half, MS_SYNC);
    int e1 = errno;
    int rc2 = fsync(res.fd);
    int e2 = errno;
    printf("#   then write each page of the reserved (fallocated) file via MAP_SHARED: %s after %zu of %zu pages; "
           "msync(MS_SYNC) -> %d%s%s, fsync -> %d%s%s\n",
           bus ? "SIGBUS" : "no signal", ok, half / PG, rc, rc ? " " : "", rc ? strerror(e1) : "", rc2,
           rc2 ? " " : "", rc2 ? strerror(e2) : "");
    file_state("reserved file after", res.fd);
    munmap(res.p, half);
    close(res.fd);
    unlink(res.path);
    close(filler.fd);
    unlink(filler.path);
    signal(SIGBUS, SIG_DFL);
}

/* --------------------------------------------------------------------- main */
int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s baseline|firsttouch|cow|writeback|sparsedirty|rss|thp|fulldisk|all DIR\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_dir = argv[2];
    if (getenv("RUNS")) g_runs = atoi(getenv("RUNS"));
    if (g_runs < 1) g_runs = 1;
    if (g_runs > 64) g_runs = 64;
    calibrate();
    const char *t = argv[1];
    int all = strcmp(t, "all") == 0;
    if (all || !strcmp(t, "baseline")) test_baseline();
    if (all || !strcmp(t, "firsttouch")) test_firsttouch();
    if (all || !strcmp(t, "cow")) test_cow();
    if (all || !strcmp(t, "rss")) test_rss();
    if (all || !strcmp(t, "thp")) test_thp();
    if (all || !strcmp(t, "sparsedirty")) test_sparsedirty();
    if (all || !strcmp(t, "writeback")) test_writeback();
    if (!strcmp(t, "fulldisk")) test_fulldisk();
    return 0;
}
