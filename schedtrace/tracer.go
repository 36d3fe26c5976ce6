package schedtrace

import (
	"context"
	"errors"
	"fmt"
)

// MaxDefaultBufferPages is the size of each CPU's ring buffer, in pages,
// when Tracer.BufferPages is zero on a machine of up to 16 CPUs: 4 MiB
// with 4 KiB pages, as perf sched record uses, which holds seconds of a
// Python 2 GIL storm even when a loaded machine is slow to run the
// goroutine that drains it. Larger machines get proportionally smaller
// buffers (64 MiB in all, at least 64 pages each).
const MaxDefaultBufferPages = 1024

// defaultBufferPages is the zero BufferPages on a machine of ncpu CPUs,
// a power of two.
func defaultBufferPages(ncpu int) int {
	p := MaxDefaultBufferPages
	for p > 64 && p*max(ncpu, 1) > 16*MaxDefaultBufferPages {
		p /= 2
	}
	return p
}

// Tracer records scheduler events. It holds only configuration: each
// Start or Record opens its own perf events, so one Tracer may serve
// several goroutines at once.
//
// The zero Tracer follows this process: its threads, including those the
// Go runtime or the traced code starts during the trace.
type Tracer struct {
	// FollowSelf, FollowPIDs and FollowChildren choose the processes to
	// follow, as cpuwatch.Watcher's fields of the same names do: this
	// process, the given ones, and with FollowChildren every process any
	// of them forks, before or during the trace. Every thread of a
	// followed process is followed, whenever it was created. A FollowPIDs
	// entry that does not exist when tracing starts is an error. If none
	// is set and All is false, the Tracer follows this process.
	FollowSelf     bool
	FollowPIDs     []int
	FollowChildren bool

	// All traces the whole machine: every thread but the idle tasks. The
	// Follow fields are then ignored.
	All bool

	// TracefsRoot is where tracefs is mounted. "" tries
	// /sys/kernel/tracing, then /sys/kernel/debug/tracing.
	TracefsRoot string

	// BufferPages is the size of each CPU's ring buffer in pages; it must
	// be a power of two. Zero means MaxDefaultBufferPages on machines of
	// up to 16 CPUs, less on larger ones. A buffer that
	// fills between two drains loses events, which Trace.Lost counts.
	BufferPages int

	// ProcRoot and SysRoot are the proc and sys file systems to read the
	// followed processes and the online CPUs from; "" means /proc and
	// /sys. Tests point them at fixture trees.
	ProcRoot, SysRoot string
}

// Errors a caller can branch on with errors.Is. Every error about a
// missing privilege or file system is also an *AccessError.
var (
	// ErrUnsupported: scheduler tracing needs Linux's perf_event_open.
	ErrUnsupported = errors.New("schedtrace: scheduler tracing needs Linux perf_event_open")
	// ErrPermission: the process may not open CPU-wide tracepoint events.
	ErrPermission = errors.New("schedtrace: not permitted to trace the scheduler")
	// ErrNoTracefs: tracefs is not mounted, so the tracepoints' ids and
	// formats cannot be read.
	ErrNoTracefs = errors.New("schedtrace: tracefs is not mounted")
)

// AccessError says what the process lacks to trace the scheduler and how
// to get it. It matches ErrPermission or ErrNoTracefs with errors.Is.
type AccessError struct {
	// Missing names what is missing, e.g. "root or CAP_PERFMON".
	Missing string
	// Fix is what a user can do about it, e.g. a command to run.
	Fix string
	// Kind is ErrPermission or ErrNoTracefs.
	Kind error
	// Err is the underlying system error, if any.
	Err error
}

func (e *AccessError) Error() string {
	s := fmt.Sprintf("schedtrace: cannot trace the scheduler: missing %s; %s", e.Missing, e.Fix)
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

// Unwrap returns Kind and Err, so errors.Is matches both.
func (e *AccessError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Kind, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Record traces while run executes and returns what it saw, together with
// run's error. run is called on the caller's goroutine with a context that
// is ctx itself; tracing starts before run is called and stops when it
// returns. If tracing cannot start, run is not called and the error says
// why (see AccessError). If ctx is cancelled, Record stops tracing and
// returns the trace so far with ctx.Err() (joined with run's error, if
// run returned one). A nil run traces until ctx is done, and then returns
// the trace with a nil error.
func (t *Tracer) Record(ctx context.Context, run func(context.Context) error) (*Trace, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := t.Start()
	if err != nil {
		return nil, err
	}
	// If run panics, the perf descriptors still close.
	defer r.Stop() // a no-op after the Stop below
	var runErr error
	if run != nil {
		runErr = run(ctx)
	} else {
		<-ctx.Done()
	}
	tr, err := r.Stop()
	if err != nil {
		return tr, errors.Join(runErr, err)
	}
	if cerr := ctx.Err(); run != nil && cerr != nil && !errors.Is(runErr, cerr) {
		runErr = errors.Join(runErr, cerr)
	}
	return tr, runErr
}
