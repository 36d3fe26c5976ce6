// Package cpuwatch samples the utilisation of every CPU core from
// /proc/stat, and records it while a function runs.
//
// [Watch] takes a reading of the per-core tick counters, then one every
// interval on a fixed schedule, and calls a function with the difference as
// a [Sample]: for each core, keyed by its real CPU id, the fraction of the
// interval spent in user, system, idle and the other states the kernel
// counts.
//
//	err := cpuwatch.Watch(ctx, time.Second, func(s cpuwatch.Sample) {
//		for _, c := range s.Cores {
//			fmt.Printf("cpu%d %5.1f%%\n", c.ID, 100*c.Busy())
//		}
//	})
//
// [Record] runs a function under a watch, with a few idle intervals before
// and after it, and returns a [Recording] whose [Recording.Summary] says how
// many cores the function kept busy:
//
//	rec, err := cpuwatch.Record(ctx, time.Second, func(ctx context.Context) error {
//		return work(ctx)
//	})
//	fmt.Printf("%.2f cores busy\n", rec.EffectiveCores())
//
// A [Watcher] holds the options: the interval, the proc root (a fixture tree
// in tests), and how much idle time Record keeps around the run; the zero
// Watcher samples /proc every [DefaultInterval] (one second). A
// [Recording] round-trips through encoding/json and can be written as CSV
// with [Recording.WriteCSV]. It keeps the tick deltas the kernel gave, a
// few bytes per core and sample, and computes the fractions when they are
// read ([Recording.Sample], [Recording.All]), bit for bit the ones the
// watch gave.
//
// # Recordings on disk
//
// A watch of hours or days is better streamed than held: [Watcher.RecordTo]
// writes each sample as it is taken to an [Encoder], in a binary format of
// tick deltas (FORMAT.md) that takes 1 to 4 bytes per core and sample and
// that a process killed mid-watch leaves readable up to its last sample. A
// [Decoder] reads it back one sample at a time, [ReadRecording] whole,
// every value as the watch gave it; a damaged tail gives the samples before
// it and a [*FormatError] with its offset. [ReadRecordingFile] and
// [Recording.WriteFile] read and write JSON, CSV and the binary format by
// file name.
//
// # Resolution
//
// The kernel counts CPU time in USER_HZ ticks, 100 a second. A sample of
// interval d sees d×100 ticks per core, so at 1 s a core's usage is exact to
// 1 %, and at 100 ms it moves in steps of 10 %. Intervals shorter than about
// 100 ms show mostly quantisation noise; below 10 ms a core may count no
// tick at all.
//
// Each [Usage] is computed from the ticks a core actually counted between
// two readings, not from the wall time between them, so its fields always
// sum to 1 and a late wake-up does not bias it. A core that counted no
// ticks in an interval (an interval shorter than a tick, or counters that
// did not move) reports Idle = 1 and every other field 0: never NaN, and it
// adds nothing to [Sample.BusyCores].
//
// # Odd counters
//
// Counters can go backwards. Iowait does by design (the kernel moves time
// from iowait to idle once the waiting task has gone), and such a drop is
// taken out of idle's rise. A CPU that goes offline and back (hot-plug)
// restarts some counters: a core whose counters went backwards in total,
// or that is missing from either reading, is left out of that sample and
// starts afresh from the next reading. Cores keep their kernel ids, so
// offline CPUs leave gaps (0, 2, 5). The kernel counts guest time inside
// user and nice; [Usage] moves it to Guest and GuestNice. No field is ever
// negative, above 1, or NaN.
//
// # Cost
//
// Each reading is one pread of /proc/stat on a descriptor kept open for the
// whole watch, and a scan of its cpu lines only; in steady state it
// allocates nothing. Most counters do not move between two readings (nice,
// iowait, irq, steal and guest rarely do), so a line that keeps its layout
// is compared with the previous reading a word at a time and only the
// counters that changed are parsed. On a 256-CPU machine a sample costs
// tens of microseconds. The watcher's own cost therefore stays out of the
// pictures it draws.
//
// # Threads, topology and limits
//
// A Watcher told to follow processes (FollowSelf, FollowPIDs,
// FollowChildren) adds to every sample one [ThreadUsage] per thread of
// theirs: its CPU time in the interval and the core it last ran on, read
// from /proc/<pid>/task/<tid>/stat. That is what no per-core monitor
// shows: threads serialised by a lock take turns, each on whatever core
// the scheduler picked, so several cores look partly busy while only one
// thread runs at a time. A 1 s interval cannot see a thread hop between
// cores within the second, so this view allows intervals down to 10 ms;
// the CPU times are then coarse (one tick is 10 ms) but the core is exact.
//
// [Record] also keeps, in [Host], the machine's [Topology] (which logical
// CPUs share a physical core) and this process's [Limits] (its affinity
// mask, cgroup cpuset and CPU quota), so a recording made in a container
// says how many of the cores it shows the workload could ever use.
//
// # Platforms
//
// /proc/stat is Linux's. Elsewhere a Watcher with an empty ProcRoot returns
// an error wrapping [ErrUnsupported]; one pointed at a fixture tree works on
// any platform.
package cpuwatch
