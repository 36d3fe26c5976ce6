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
package schedtrace
