package experiment

import "github.com/corescope/corescope"

// SeedRun is one run of the original experiment: Python 2.7 on 4 physical
// cores with 8 hyperthreads, timed with `time` (see the seed's NOTES.md).
type SeedRun struct {
	// DataID is the seed's name for the run, such as "multiprocessing:4".
	// The seed's threads ran under Python 2.7, so its "threading:N" is
	// this library's ThreadingPy2.
	DataID string
	// Workload is the equivalent Workload here.
	Workload Workload
	Workers  int
	// Size is the loop iterations of each worker.
	Size uint64
	// Real, User and Sys are the seconds `time` printed.
	Real, User, Sys float64
}

// SeedRuns returns the seed's measured runs, serial run first.
func SeedRuns() []SeedRun {
	return []SeedRun{
		{"non-threaded:1", NonThreaded, 1, 1 << 28, 5.866, 5.792, 0.024},
		{"multiprocessing:2", Multiprocessing, 2, 1 << 28, 6.236, 12.172, 0.028},
		{"multiprocessing:4", Multiprocessing, 4, 1 << 28, 6.970, 25.728, 0.048},
		{"multiprocessing:8", Multiprocessing, 8, 1 << 28, 12.169, 93.904, 0.040},
		{"threading:2", ThreadingPy2, 2, 1 << 26, 5.586, 5.980, 2.944},
		{"threading:4", ThreadingPy2, 4, 1 << 26, 14.600, 20.820, 13.280},
		{"threading:8", ThreadingPy2, 8, 1 << 26, 27.663, 39.132, 26.920},
	}
}

// CoresUsed returns the run's CPU time over its wall time.
func (s SeedRun) CoresUsed() float64 { return (s.User + s.Sys) / s.Real }

// SystemShare returns the fraction of the run's CPU time spent in the
// kernel.
func (s SeedRun) SystemShare() float64 { return s.Sys / (s.User + s.Sys) }

// Speedup returns the run's speed-up over the seed's serial run for the
// same number of iterations, as Results.Speedup measures ours.
func (s SeedRun) Speedup() float64 {
	serial := SeedRuns()[0]
	perIt := serial.Real / float64(serial.Size)
	return perIt * float64(s.Size) * float64(s.Workers) / s.Real
}

// SeedCores is how many physical cores the seed's machine had (with 8
// hyperthreads).
const SeedCores = 4

// Comparison pairs one of the seed's runs with the run here that matches
// it: for processes, the one with as many workers per CPU (the seed's 4
// processes on 4 cores against 2 on a 2-CPU machine); for GIL threads, the
// one with as many threads, since the lock, not the cores, sets their pace.
type Comparison struct {
	Seed SeedRun
	// Ours is nil when the experiment had no matching run.
	Ours *corescope.Result
	// Speedup is Results.Speedup of Ours, 0 without it.
	Speedup float64
}

// CompareSeed returns one Comparison per seed run, in the seed's order.
// Runs of GroupScaling (the seed's processes) are matched by workers per
// CPU when r.CPUs is known — the CPUs a Plan scales its workers to — else
// by workers.
func (r *Results) CompareSeed() []Comparison {
	var out []Comparison
	for _, s := range SeedRuns() {
		c := Comparison{Seed: s}
		want := s.Workers
		if cpus := r.CPUs(); s.Workload.Group() == GroupScaling && cpus > 0 {
			want = -1
			if s.Workers*cpus%SeedCores == 0 {
				want = s.Workers * cpus / SeedCores
			}
		}
		for _, run := range r.Runs {
			// The seed's columns are the emulation's, at its own speed.
			if run != nil && run.Workload == string(s.Workload) && run.Workers == want && run.Interpreter == "" && run.SpeedOf == "" {
				c.Ours, c.Speedup = run, r.Speedup(run)
				break
			}
		}
		out = append(out, c)
	}
	return out
}

// seedFacts are the seed's figures the report's prose quotes, all drawn
// from SeedRuns.
type seedFacts struct {
	Cores, Hyperthreads int
	// SerialSize and GILSize are the iterations of the serial run and of
	// one of the seed's threads.
	SerialSize, GILSize uint64
	// GIL is the seed's highlighted thread run, the one beside which the
	// report sets ours; ProcsMost its run with the most processes, and
	// ProcsSlower how much longer that took than one process per core.
	GIL, ProcsMost SeedRun
	ProcsSlower    float64
	// GILSystemLow and GILSystemHigh bound the kernel's share of the
	// seed's thread runs' CPU: the futex storm.
	GILSystemLow, GILSystemHigh float64
}

// seedHyperthreads is how many hardware threads the seed's SeedCores had.
const seedHyperthreads = 8

func newSeedFacts() seedFacts {
	f := seedFacts{Cores: SeedCores, Hyperthreads: seedHyperthreads, GILSystemLow: 1}
	var perCore SeedRun
	for _, s := range SeedRuns() {
		switch s.Workload.Group() {
		case GroupSerial:
			f.SerialSize = s.Size
		case GroupScaling:
			if s.Workers == SeedCores {
				perCore = s
			}
			if s.Workers > f.ProcsMost.Workers {
				f.ProcsMost = s
			}
		case GroupGIL:
			f.GILSize = s.Size
			if s.Workers == SeedCores {
				f.GIL = s
			}
			f.GILSystemLow = min(f.GILSystemLow, s.SystemShare())
			f.GILSystemHigh = max(f.GILSystemHigh, s.SystemShare())
		}
	}
	if perCore.Real > 0 {
		f.ProcsSlower = f.ProcsMost.Real / perCore.Real
	}
	return f
}
