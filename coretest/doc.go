// Package coretest records a function inside a unit test and asserts how
// it used the machine's cores, in the manner of net/http/httptest:
//
//	func TestParallelSum(t *testing.T) {
//		r := coretest.Record(t, func(ctx context.Context) { parallelSum(ctx, 2) })
//		r.AtLeastCores(1.5)       // CPU ÷ wall of the process and its children
//		r.AtLeastParallel(2, 0.8) // 2 of its threads on CPU at once for ≥ 80 % of the run
//	}
//
// [Record] runs the function under a [cpuwatch.Watcher] sampling every
// 100 ms and, where the machine allows, a scheduler trace
// ([schedtrace.Trace]) of this process's threads and of every child
// process the function starts. [RecordModel] does the same for a
// [workload.Model]. Goroutines need nothing special: the Go runtime's
// threads are the process's threads.
//
// An average of CPU time over wall time ([Recording.AtLeastCores],
// [Recording.AtMostCores]) cannot tell "two threads ran at once" from "one
// thread ran twice as long"; the trace can. [Recording.AtLeastParallel]
// and [Recording.AtMostParallel] read a time-weighted histogram of how
// many of the threads ran at the same instant ([schedtrace.Concurrency]).
//
// A test that cannot judge skips instead of failing, with a reason that
// names the numbers: an assertion that needs more CPUs than the process
// may use (affinity, cpuset and cgroup quota counted), an "at least"
// assertion on a run during which other processes kept more than
// [DefaultMaxOtherShare] of the CPUs busy, and a parallelism assertion
// with no trace (not root, tracefs not mounted: the trace error says
// which). CPU assertions fail with Errorf, so call them before the
// parallelism ones: a failed CPU assertion still fails the test when a
// later parallelism assertion skips it.
package coretest
