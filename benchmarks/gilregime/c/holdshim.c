// holdshim times CPython 2.7's GIL holds from inside the interpreter: an
// LD_PRELOAD shim around glibc's sem_wait and sem_post (all the GIL is
// under USE_SEMAPHORES) that reads the TSC when a take returns and when
// the holder next posts, and counts takes by another thread than the last
// holder (switches). The TSC reads cost about 20 ns a hold.
//
//	gcc -O2 -shared -fPIC -o /tmp/holdshim.so holdshim.c -ldl
//	LD_PRELOAD=/tmp/holdshim.so chrt -f 10 python2.7 ../../../workload/python/use_threading.py --num-threads 2 --n 8388608
//
// At exit it prints, on stderr, the mean hold after the holder re-took the
// lock and after a switch, splitting switches by whether the new holder's
// sem_wait lasted over 5 µs (long enough for it to have slept).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

static int (*real_wait)(sem_t *);
static int (*real_post)(sem_t *);
static __thread int mytid;
static int last = -1, holder = -1, kind; // kind: 0 re-take, 1 switch, 2 switch after a long wait
static unsigned long long tacq, t0tsc, longWait, sum[3], cnt[3];
static double t0ns;

static double nowns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

__attribute__((constructor)) static void init(void) {
	t0tsc = __rdtsc();
	t0ns = nowns();
	usleep(10000);
	longWait = (unsigned long long)(5000 * (__rdtsc() - t0tsc) / (nowns() - t0ns)); // 5 µs
}

int sem_wait(sem_t *s) {
	if (!real_wait)
		real_wait = dlsym(RTLD_NEXT, "sem_wait");
	if (!mytid)
		mytid = syscall(SYS_gettid);
	unsigned long long w0 = __rdtsc();
	int r = real_wait(s);
	tacq = __rdtsc();
	kind = 0;
	if (last != -1 && last != mytid)
		kind = tacq - w0 > longWait ? 2 : 1;
	last = holder = mytid;
	return r;
}

int sem_post(sem_t *s) {
	if (!real_post)
		real_post = dlsym(RTLD_NEXT, "sem_post");
	if (mytid && holder == mytid) {
		sum[kind] += __rdtsc() - tacq;
		cnt[kind]++;
		holder = -1;
	}
	return real_post(s);
}

static double mean(int k, double ghz) { return cnt[k] ? sum[k] / ghz / cnt[k] : 0; }

__attribute__((destructor)) static void fin(void) {
	double ghz = (double)(__rdtsc() - t0tsc) / (nowns() - t0ns);
	unsigned long long takes = cnt[0] + cnt[1] + cnt[2];
	fprintf(stderr, "holdshim: %llu holds, %.3f of them after a switch; mean hold %.0f ns after a re-take, %.0f ns after a switch (%.0f after a short wait, %.0f after one over 5 us)\n",
		takes, takes ? (double)(cnt[1] + cnt[2]) / takes : 0, mean(0, ghz),
		cnt[1] + cnt[2] ? (sum[1] + sum[2]) / ghz / (cnt[1] + cnt[2]) : 0, mean(1, ghz), mean(2, ghz));
}
