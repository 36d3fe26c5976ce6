// ctwin is a C twin of workload's Python 2 GIL emulation, with no Go
// runtime: two threads take glibc's sem_t in turn, as CPython 2.7 does
// under USE_SEMAPHORES, and each hold between a take and the next release
// is one check interval of work. It tells what the emulation's behaviour
// owes to the Go runtime (nothing measurable, BENCHMARKS.md "The storm's
// regimes") and what a working set changes.
//
//	gcc -O2 -pthread -o /tmp/ctwin ctwin.c
//	chrt -f 10 /tmp/ctwin MODE HOLD_NS RELEASES N
//
// MODE is clock (spin until HOLD_NS has passed since the take), pages (a
// spin calibrated to HOLD_NS that also reads one line in each of N pages)
// or lines (the same, writing a dependent chain of N cache lines every
// hold: state the next holder must fetch from the other CPU).
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <x86intrin.h>

static sem_t gil;
static long releases_per_thread, steps, n;
static int mode; // 0 clock, 1 pages, 2 lines
static double hold_ns;
static unsigned char *ws;
static long acq, sw, last = -1;
static unsigned long long hsum[2], hcnt[2];
static volatile unsigned long sinkv;

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void hold(long off) {
	unsigned long x = sinkv;
	if (mode == 0) {
		double t0 = now();
		while (now() - t0 < hold_ns)
			x = x * 6364136223846793005UL + 1;
	} else {
		for (long k = 0; k < steps; k++)
			x = x * 6364136223846793005UL + 1;
		if (mode == 1) {
			for (long p = 0; p < n; p++)
				x += ws[p * 4096 + (off & 63) * 64];
		} else {
			long i = 0;
			for (long p = 0; p < n; p++) {
				i = (i + ws[i * 64] + 1) % n;
				ws[i * 64] = 0;
				x += i;
			}
		}
	}
	sinkv = x;
}

struct res {
	double u, s;
	long vcsw;
};

static void *worker(void *arg) {
	long id = (long)arg;
	int switched = 0;
	sem_wait(&gil);
	for (long i = 0; i < releases_per_thread; i++) {
		unsigned long long t0 = __rdtsc();
		hold(i);
		hsum[switched] += __rdtsc() - t0;
		hcnt[switched]++;
		sem_post(&gil);
		sem_wait(&gil);
		acq++;
		switched = last != -1 && last != id;
		sw += switched;
		last = id;
	}
	sem_post(&gil);
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	struct res *r = malloc(sizeof *r);
	r->u = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	r->s = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	r->vcsw = ru.ru_nvcsw;
	return r;
}

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: ctwin clock|pages|lines HOLD_NS RELEASES N\n");
		return 2;
	}
	mode = strcmp(argv[1], "clock") == 0 ? 0 : strcmp(argv[1], "pages") == 0 ? 1 : 2;
	hold_ns = atof(argv[2]);
	long total = atol(argv[3]);
	n = atol(argv[4]);
	ws = aligned_alloc(4096, (n + 1) * 4096);
	memset(ws, 1, (n + 1) * 4096);
	double serial = hold_ns;
	if (mode != 0) { // calibrate the spin so that a serial hold costs HOLD_NS
		steps = 0;
		double t0 = now();
		for (int i = 0; i < 20000; i++)
			hold(i);
		double base = (now() - t0) / 20000;
		steps = 1000;
		t0 = now();
		for (int i = 0; i < 20000; i++)
			hold(i);
		double per = ((now() - t0) / 20000 - base) / 1000;
		steps = hold_ns > base ? (long)((hold_ns - base) / per) : 0;
		t0 = now();
		for (int i = 0; i < 20000; i++)
			hold(i);
		serial = (now() - t0) / 20000;
	}
	releases_per_thread = total / 2;
	sem_init(&gil, 0, 1);
	pthread_t t[2];
	double w0 = now();
	unsigned long long c0 = __rdtsc();
	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], 0, worker, (void *)i);
	double cpu = 0, sys = 0;
	long vcsw = 0;
	for (int i = 0; i < 2; i++) {
		struct res *r;
		pthread_join(t[i], (void **)&r);
		cpu += r->u + r->s;
		sys += r->s;
		vcsw += r->vcsw;
	}
	double wall = (now() - w0) / 1e9, ghz = (__rdtsc() - c0) / (wall * 1e9);
	printf("%s %ld: serial hold %.0f ns; speed-up %.2f, cores %.2f, system %.0f %%, %0.f voluntary switches/s, %.3f switches a take; holds %.0f ns after a re-take, %.0f ns after a switch\n",
		argv[1], n, serial, serial * total / 1e9 / wall, cpu / wall, 100 * sys / cpu, vcsw / wall,
		(double)sw / acq, hsum[0] / ghz / hcnt[0], hsum[1] / ghz / hcnt[1]);
	return 0;
}
