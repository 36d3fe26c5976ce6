// Package workload runs the CPU-bound workloads of the seed experiment —
// serially, in child processes, in locked OS threads, in goroutines, and in
// threads serialised by an emulated Python GIL — and reports verified
// results with honest CPU accounting.
//
// Every worker computes the seed's kernel `result = 0; for v in range(n):
// result += v`, with either a plain Go loop ([Native]) or a tiny interpreter
// of the loop's CPython 2.7 bytecodes ([Bytecode]), and every result is
// checked against the closed form [Expected]. A [Model] runs the workers:
//
//	rep, err := workload.GIL{N: 2, Version: workload.Python2,
//		Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 26}}.Run(ctx)
//	fmt.Printf("%v: %v wall, %.2f cores, %.0f%% system\n",
//		rep.Model, rep.Wall, rep.CoresUsed(), 100*rep.SystemShare())
//
// The models are [Serial], [Idle], [Processes], [Threads], [Goroutines] and
// [GIL], and two that run real programs: [Command], any external program,
// and [Python], the seed's three scripts in a real CPython 2.7 or 3.x. Each is a plain value whose zero fields mean defaults; Run blocks
// until every worker is done, and on cancellation of its context stops them
// all within about 100 ms and returns ctx.Err().
//
// # Processes
//
// [Processes] re-executes the running binary as its workers, so a program
// that uses it must call [HandleWorker] as the first statement of main (or
// of TestMain in tests):
//
//	func main() {
//		workload.HandleWorker()
//		…
//	}
//
// If that line is missing, the child runs the program's main instead; its
// own Processes.Run then fails with a clear error instead of spawning again.
//
// # Real interpreters
//
// [Python] runs the project's own versions of the seed's scripts, embedded
// in the package, in an interpreter that [FindInterpreters] finds (python2.7,
// python2, python3 on PATH, then pyenv's versions). [MeasureInterpreter]
// times the seed's loop in it; a [Work]'s NsPerIteration then paces the
// emulation to that speed, so that the emulated GIL's check interval (every
// 100 ticks) and switch interval (5 ms) fall as often in wall time as the
// real interpreter's:
//
//	in, _ := workload.NewestInterpreter(workload.FindInterpreters(ctx), 2)
//	sp, _ := workload.MeasureInterpreter(ctx, in, 0)
//	real, _ := workload.Python{Interpreter: in.Path, Program: workload.PyThreading, N: 4,
//		Work: workload.Work{N: 1 << 24}}.Run(ctx)
//	emu, _ := workload.GIL{N: 4, Version: workload.Python2,
//		Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 24, NsPerIteration: sp.NsPerIteration}}.Run(ctx)
//
// # Accounting
//
// [Report.User] and [Report.System] are the workload's own CPU time: each
// locked worker thread's CPU clock (CLOCK_THREAD_CPUTIME_ID, split into user
// and system by RUSAGE_THREAD) read inside that thread, or the wait4 rusage
// of each child — not the calling process, which may also run a watcher.
// [Goroutines] are the exception (see there).
//
// # Threads and GOMAXPROCS
//
// A locked OS thread still needs one of Go's Ps to run Go code. With fewer
// Ps than threads, a thread woken from a futex would queue for a P instead
// of running, and Go's scheduler — not the kernel's — would decide what runs:
// exactly the effect the GIL models must not hide. So [Serial], [Threads] and
// [GIL] raise GOMAXPROCS to at least N+1 for the duration of Run (one P per
// worker and one for the rest of the program, such as a watcher) and put it
// back afterwards. [Goroutines] leaves GOMAXPROCS alone: how it shapes plain
// goroutines is what that model shows.
//
// # Names
//
// On Linux every locked worker thread names itself (its comm, cut to 15
// bytes) "serial/0", "thread/i", "gil-py2/i" or "gil-py3/i" while it works,
// and gets its old name back before it returns to the Go scheduler (a
// worker never runs on the main thread, whose name is the process's); a
// [Processes] child names itself and its worker thread "proc/i". So ps -L,
// top -H and a per-thread timeline tell the workers from Go's own threads.
// [Goroutines] migrate between threads and name none.
//
// # Platforms
//
// Per-thread rusage, futexes and affinity are Linux's; elsewhere every model
// but [Idle] returns an error.
package workload
