// Package schedtrace records the kernel's scheduler events for chosen
// processes, or the whole machine, and returns them as a [Trace]: per CPU,
// exactly when each followed thread ran; per thread, its on-CPU time,
// switches, migrations, and the time it spent runnable but waiting for a CPU
// or asleep; and who woke whom.
//
// Sampling /proc/stat every half second shows that a Python 2 GIL run keeps
// two cores partly busy; it cannot show why, because the lock changes hands
// every few tens of microseconds. The scheduler's own events can: this
// package reads the sched:sched_switch and sched:sched_waking/sched_wakeup
// tracepoints through perf_event_open, one ring buffer per CPU, filtered in
// the kernel to the followed processes where the kernel allows.
//
// Tracing needs root or CAP_PERFMON, a perf_event_paranoid setting that
// allows CPU-wide events, and a mounted tracefs. Without them the recorder
// returns an error that names what is missing and how to get it; the package
// never mounts anything itself.
//
// A Trace round-trips through encoding/json and exports to the Trace Event
// Format that Perfetto UI and chrome://tracing open.
//
// A [Tracer] holds the choices; its zero value follows this process:
//
//	tr, err := (&schedtrace.Tracer{}).Record(ctx, func(ctx context.Context) error {
//		return codeUnderTest(ctx)
//	})
//	var ae *schedtrace.AccessError
//	if errors.As(err, &ae) {
//		log.Printf("not traced: %v", err) // says what is missing, and the fix
//	}
//	for _, th := range tr.Threads {
//		fmt.Println(th.Name, th.Running(), th.Switches, th.Migrations)
//	}
//	tr.WriteTraceEvents(f) // open f in https://ui.perfetto.dev
//
// Or Start and Stop around anything. Stop closes every perf descriptor
// and mapping; on this kind of VM the kernel takes some 50–80 ms to
// release them.
//
// How it follows processes: each CPU has one ring buffer that sched_switch,
// sched_waking and sched_process_fork write to. The kernel filter passes
// the followed threads that exist when tracing starts and every thread
// created after (tids from the pid counter's position on), so a child or
// thread forked mid-trace is seen from its first switch; the trace then
// keeps the followed ones, learning each thread's process from the
// events themselves. If the pid counter wraps during the trace, the
// filtered events are replaced by unfiltered ones; near pid_max no kernel
// filter is used at all.
//
// The tracepoint does not report every switch on every kernel: on this
// project's kind of VM (Linux 6.18 under PVM) sched_switch leaves out
// every switch away from the idle task on some CPUs, which would cost a
// woken thread the start of its slice (10–30 % of a Python 2 storm's
// slices; ftrace shows the same gap). So each ring buffer also takes the
// perf core's own context switch records (PERF_RECORD_SWITCH_CPU_WIDE),
// which the kernel makes around the switch itself: a switch they report
// that the tracepoint did not becomes an event, held to the kernel
// filter in user space; one both report is read once.
//
// What the kernel does not say is counted, never guessed silently:
// events it dropped for a full buffer in [Lost].Kernel, and switches
// neither source reported (a thread leaves a CPU it was never seen
// entering) in [Lost].Unmatched, with the slice bounded by the CPU's
// neighbouring switches. sched_migrate_task is not read: a migration is counted when a
// thread next runs on another CPU than it last ran on, which is what the
// timeline shows.
package schedtrace
