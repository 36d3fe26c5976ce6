//go:build linux

package workload

import (
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func supported(string) error { return nil }

// futex(2) operations (linux/futex.h); x/sys/unix does not export them.
const (
	futexWaitOp  = 0
	futexWakeOp  = 1
	futexPrivate = 128
)

func tv(t unix.Timeval) time.Duration { return time.Duration(t.Nano()) }

// threadCPU returns the calling OS thread's CPU time; the caller must be
// locked to its thread. The total is the thread's exact runtime
// (CLOCK_THREAD_CPUTIME_ID); RUSAGE_THREAD, whose user/system split the
// kernel derives from tick samples, only decides how much of it was system
// time. Plain rusage would show no CPU at all for a run shorter than a tick.
func threadCPU() (cpuTimes, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return cpuTimes{}, fmt.Errorf("workload: clock_gettime(CLOCK_THREAD_CPUTIME_ID): %w", err)
	}
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return cpuTimes{}, fmt.Errorf("workload: getrusage(RUSAGE_THREAD): %w", err)
	}
	total := time.Duration(ts.Nano())
	sys := min(tv(ru.Stime), total)
	return cpuTimes{user: total - sys, system: sys, vcsw: ru.Nvcsw, ivcsw: ru.Nivcsw}, nil
}

// allowedCPUs returns the cores the calling thread may run on, ascending.
func allowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("workload: sched_getaffinity: %w", err)
	}
	var cpus []int
	for i := range int(unsafe.Sizeof(set)) * 8 {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	if len(cpus) == 0 {
		return nil, fmt.Errorf("workload: sched_getaffinity returned no allowed core")
	}
	return cpus, nil
}

// pinThread pins the calling (locked) thread to cpu and returns a function
// that restores its previous affinity.
func pinThread(cpu int) (restore func() error, err error) {
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, fmt.Errorf("workload: sched_getaffinity: %w", err)
	}
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("workload: pinning to cpu %d: %w", cpu, err)
	}
	return func() error {
		if err := unix.SchedSetaffinity(0, &old); err != nil {
			return fmt.Errorf("workload: restoring affinity after cpu %d: %w", cpu, err)
		}
		return nil
	}, nil
}

// futexWait blocks while *addr == val, for at most timeout if timeout > 0.
// It returns nil when woken (or spuriously), unix.EAGAIN if *addr != val,
// or unix.ETIMEDOUT. It goes through the runtime's syscall path so that the
// thread's P can run other goroutines meanwhile.
//
// A signal handler run on the thread does not end the wait. The kernel
// restarts an untimed FUTEX_WAIT by itself (Go's handlers are SA_RESTART)
// but ends a timed one with EINTR, and Go sends SIGURG to preempt a
// goroutine that may be entering the call just then; futexWait then waits
// again for the rest of the timeout, as glibc's pthread_cond_timedwait
// waits for its absolute deadline. Cut short, a GIL waiter would report no
// timeout and wait a whole new switch interval before it asked for the lock.
func futexWait(addr *uint32, val uint32, timeout time.Duration) error {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		var tsp *unix.Timespec
		if timeout > 0 {
			ts := unix.NsecToTimespec(int64(timeout))
			tsp = &ts
		}
		_, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)),
			uintptr(futexWaitOp|futexPrivate), uintptr(val),
			uintptr(unsafe.Pointer(tsp)), 0, 0)
		switch {
		case e == 0:
			return nil
		case e != unix.EINTR:
			return e
		case timeout > 0:
			if timeout = time.Until(deadline); timeout <= 0 {
				return unix.ETIMEDOUT
			}
		}
	}
}

// futexWake wakes up to n threads blocked in futexWait on addr. It never
// blocks, so it is a raw system call, as glibc's sem_post makes it.
func futexWake(addr *uint32, n int) {
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)),
		uintptr(futexWakeOp|futexPrivate), uintptr(n), 0, 0, 0)
}

func isTimeout(err error) bool { return err == unix.ETIMEDOUT }

// commLen is the kernel's TASK_COMM_LEN: a thread's name holds at most
// commLen-1 bytes and a NUL.
const commLen = 16

// nameThread names the calling (locked) OS thread — its comm, as ps, top and
// /proc/<pid>/task/<tid>/comm show it — cut to 15 bytes, and returns a
// function that gives the thread its previous name back. A thread handed back
// to the Go scheduler must get its old name first, or a runtime thread would
// go on carrying a worker's name.
func nameThread(name string) (restore func() error, err error) {
	var old [commLen]byte
	if err := prctlName(unix.PR_GET_NAME, &old); err != nil {
		return nil, fmt.Errorf("workload: prctl(PR_GET_NAME): %w", err)
	}
	var buf [commLen]byte
	copy(buf[:commLen-1], name)
	if err := prctlName(unix.PR_SET_NAME, &buf); err != nil {
		return nil, fmt.Errorf("workload: naming thread %q: %w", name, err)
	}
	return func() error {
		if err := prctlName(unix.PR_SET_NAME, &old); err != nil {
			return fmt.Errorf("workload: restoring thread name %q: %w", unix.ByteSliceToString(old[:]), err)
		}
		return nil
	}, nil
}

// prctlName is prctl(PR_GET_NAME or PR_SET_NAME, buf). It goes through the
// raw system call so that buf stays valid for the call's duration: prctl
// never blocks.
func prctlName(op int, buf *[commLen]byte) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PRCTL, uintptr(op), uintptr(unsafe.Pointer(buf)), 0, 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// onMainThread reports whether the calling (locked) goroutine runs on the
// process's main thread, whose thread id is the process id.
func onMainThread() bool { return unix.Gettid() == unix.Getpid() }

func gettid() int { return unix.Gettid() }

// monoNow reads CLOCK_MONOTONIC, the clock of the kernel's trace events.
func monoNow() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) // cannot fail on Linux
	return ts.Nano()
}

// nameProcess names the calling process — the comm of its main thread, which
// is what /proc/<pid>/comm and ps show — whichever thread calls it: a thread
// may rename any thread of its own group through /proc.
func nameProcess(name string) error {
	if len(name) > commLen-1 {
		name = name[:commLen-1]
	}
	if err := os.WriteFile("/proc/self/comm", []byte(name), 0); err != nil {
		return fmt.Errorf("workload: naming process %q: %w", name, err)
	}
	return nil
}

// eventChunk returns n zeroed uint64s for GIL events, outside the Go heap
// and with their pages already faulted in (MAP_POPULATE), and the func
// that frees them: so the helper goroutine that allocates a chunk pays
// for its pages, not the GIL thread that fills it, and a growing log
// never starts a garbage collection (whose stop-the-world pauses and
// mark workers would take the emulated threads' CPUs). Where mmap fails
// the chunk comes from the heap.
func eventChunk(n int) (ev []uint64, free func()) {
	b, err := unix.Mmap(-1, 0, n*8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return make([]uint64, n), nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), n), func() { unix.Munmap(b) }
}
