// Random reads over a large anonymous region: independent (memory-level parallelism), two dependent, and a
// serial chain, on 4 KiB or 2 MiB pages. Build: gcc -O2 -o random_read random_read.c
// Run: ./random_read MIB HUGE   (MIB: region size in MiB; HUGE: 1 = MADV_HUGEPAGE, 0 = MADV_NOHUGEPAGE)
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
static uint64_t rng=88172645463325252ull; static inline uint64_t xs(){rng^=rng<<13;rng^=rng>>7;rng^=rng<<17;return rng;}
int main(int argc,char**argv){
  size_t bytes=(size_t)atol(argv[1])<<20; int huge=atoi(argv[2]);
  char*raw=mmap(0,bytes+(2<<20),PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  char*p=(char*)(((uintptr_t)raw+(2<<20)-1)&~((uintptr_t)(2<<20)-1));
  madvise(p,bytes,huge?MADV_HUGEPAGE:MADV_NOHUGEPAGE);
  size_t n=bytes/8; uint64_t*a=(uint64_t*)p;
  // One random cycle through every slot (Sattolo's shuffle), so the serial chain never falls into a
  // short loop that fits in cache; the same values serve as random indices for the other two loops.
  for(size_t i=0;i<n;i++) a[i]=i;
  for(size_t i=n-1;i>0;i--){ size_t j=xs()%i; uint64_t t=a[i]; a[i]=a[j]; a[j]=t; }
  int N=2000000; uint64_t*idx=malloc(N*8); for(int i=0;i<N;i++) idx[i]=xs()%n;
  for(int rep=0;rep<3;rep++){
    double t0=now(); uint64_t s=0;
    for(int i=0;i<N;i++) s+=a[idx[i]];               // 1 independent miss per op
    double t1=now();
    for(int i=0;i<N;i++) s+=a[a[idx[i]]];            // 2 dependent misses per op (like bucket->record)
    double t2=now();
    uint64_t j=idx[0]; for(int i=0;i<N;i++) j=a[j];  // fully serial chain: latency
    double t3=now();
    printf("%zu MiB huge=%d: indep %.1f ns/op, 2-dep %.1f ns/op, serial %.1f ns/load (%lu)\n",bytes>>20,huge,(t1-t0)/N,(t2-t1)/N,(t3-t2)/N,(unsigned long)(s+j));
  }
}
