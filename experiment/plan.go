package experiment

import (
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/workload"
)

// Plan describes the seed's experiment scaled to a machine. Its zero value
// is a valid plan for the machine it runs on: see each field's default.
//
// The seed ran, on 4 cores with 8 hyperthreads: an idle baseline, the loop
// serially (2^28 iterations), 2, 4 and 8 processes of 2^28 iterations each,
// and 2, 4 and 8 Python threads of 2^26 iterations each. A Plan keeps those
// proportions: every process, locked thread and goroutine does as much
// work as the serial run, every GIL thread a quarter of it, so 4 GIL
// threads together do the serial run's work.
type Plan struct {
	// CPUs is how many CPUs the workload may use; 0 means
	// corescope.UsableCPUs(), which honours the process's affinity mask,
	// cpuset and CPU quota. The parallel models run 1, 2, … up to 2×CPUs
	// workers. Results.CPUs counts a recorded machine the same way.
	CPUs int
	// Kernel is the loop every worker runs. The zero Kernel is
	// workload's default.
	Kernel workload.Kernel
	// Unit is the n of one sum(range(n)) for the serial run and for each
	// process, thread and goroutine; GIL threads use Unit/4. 0 means the
	// seed's 2^28.
	Unit uint64
	// Units is how many units each worker repeats; 0 means 1. Repeating a
	// smaller unit keeps the seed's printed results checkable while the
	// run takes as long as the picture needs.
	Units int
	// Idle is how long the do-nothing baseline lasts; 0 means Spec.Idle's
	// default: one second, or enough to fill the Experiment watcher's
	// MinSamples if it sets them.
	Idle time.Duration
	// Pin pins worker i to CPU i, as the seed's --pin-cpu did.
	Pin bool
	// GILThreads lists the GIL thread counts; nil means 2 and 4 (the seed
	// also ran 8, which on a small machine only takes longer).
	GILThreads []int
	// Pythons lists real interpreters to run beside the emulation (see
	// FindPythons). For each, Specs adds the seed's runs in that
	// interpreter: non-threaded, threading with 2 and 4 threads (the
	// Python 2 GIL's workload for a 2.x, the Python 3 GIL's for a 3.x)
	// and multiprocessing with 2 processes, each with the work of the
	// matching emulated run — scaled by PythonUnits. For an interpreter
	// whose NsPerIteration was measured, it also adds the emulation
	// paced to that speed (Spec.SpeedOf) with the same work: a serial
	// run and the GIL runs, each right after the real run it mirrors,
	// so that the real and the emulated GIL are compared at the same
	// check and switch rates and each paced speed-up is against a
	// serial run paced the same way (Results.Fidelity).
	Pythons []*workload.Speed
	// PythonUnits, keyed by interpreter path, is how many units each
	// worker of that real interpreter repeats instead of Units: a real
	// interpreter is slower than the bytecode kernel, and a run that
	// must fit a time budget does less work in it. The real runs keep the
	// emulated runs' proportions (4 threads share the serial work), and
	// each is measured against its own interpreter's serial run.
	// PythonUnitsFor sizes it.
	PythonUnits map[string]int
}

// PythonUnitsFor returns how many units of unit iterations make a serial
// run of sp take about d, at least 1: a value for Plan.PythonUnits.
func PythonUnitsFor(sp *workload.Speed, unit uint64, d time.Duration) int {
	if sp == nil || sp.NsPerIteration <= 0 || unit == 0 {
		return 1
	}
	return max(1, int(float64(d)/(sp.NsPerIteration*float64(unit))+0.5))
}

// SizePythons sets PythonUnits so that each of Pythons' serial runs takes
// about d of one core, whatever Units the emulated runs were calibrated to:
// a real interpreter is two to four times slower than the bytecode kernel,
// and doing the emulation's whole work in it would double the experiment.
func (p *Plan) SizePythons(d time.Duration) {
	unit := serialUnit(p.Unit)
	for _, sp := range p.Pythons {
		if sp == nil {
			continue
		}
		if p.PythonUnits == nil {
			p.PythonUnits = map[string]int{}
		}
		p.PythonUnits[sp.Interpreter.Path] = PythonUnitsFor(sp, unit, d)
	}
}

// SeedUnit is the seed's n for processes and the serial run: sum(range(2^28)).
const SeedUnit = 1 << 28

// Specs returns the runs of the plan, in the order they should run: the
// workloads in the table's order — the idle baseline first, then the
// serial run every speed-up is measured against, then processes, locked
// threads and goroutines with 1 … 2×CPUs workers, then the Python 3 and
// Python 2 GIL. Every spec sets its Workers, so resolving it reads nothing.
func (p Plan) Specs() []Spec {
	cpus := p.CPUs
	if cpus <= 0 {
		cpus = corescope.UsableCPUs()
	}
	gil := p.GILThreads
	if gil == nil {
		gil = []int{2, 4}
	}
	unit := serialUnit(p.Unit)
	var specs []Spec
	for _, e := range workloads {
		s := Spec{Workload: e.name, Kernel: p.Kernel, Unit: e.group.unit(unit), Units: p.Units, Pin: p.Pin}
		var workers []int
		switch e.group {
		case GroupBaseline:
			specs = append(specs, Spec{Workload: e.name, Idle: p.Idle})
		case GroupSerial:
			workers = []int{1}
		case GroupScaling:
			for n := 1; n <= 2*cpus; n++ {
				workers = append(workers, n)
			}
		case GroupGIL:
			workers = gil
		}
		for _, n := range workers {
			s.Workers = n
			specs = append(specs, s)
		}
	}
	for _, sp := range p.Pythons {
		if sp == nil {
			continue
		}
		real := Spec{Kernel: p.Kernel, Unit: unit, Units: p.Units, Python: sp}
		if u := p.PythonUnits[sp.Interpreter.Path]; u > 0 {
			real.Units = u
		}
		gilWl := Threading
		if sp.Interpreter.Major == 2 {
			gilWl = ThreadingPy2
		}
		quarter := real
		quarter.Unit = GroupGIL.unit(unit)
		for _, s := range []Spec{with(real, NonThreaded, 1), with(quarter, gilWl, 2), with(quarter, gilWl, 4)} {
			specs = append(specs, s)
			if sp.NsPerIteration > 0 {
				specs = append(specs, paced(s, p.Pin))
			}
		}
		specs = append(specs, with(real, Multiprocessing, 2))
	}
	return specs
}

func with(s Spec, w Workload, n int) Spec {
	s.Workload, s.Workers = w, n
	return s
}

// paced returns the emulated run of a real interpreter's spec s, with the
// same work, at that interpreter's speed.
func paced(s Spec, pin bool) Spec {
	s.SpeedOf, s.Python, s.Pin = s.Python, nil, pin
	return s
}
