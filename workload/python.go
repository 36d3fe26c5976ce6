package workload

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The seed's three scripts, rewritten to run unchanged on CPython 2.7 and
// 3.x (xrange on 2.7, so no list is built) and to take their sizes as
// arguments. They are embedded so that a binary needs no checkout.
//
//go:embed python/*.py
var pythonFS embed.FS

// PythonProgram selects one of the seed's Python scripts.
type PythonProgram int

const (
	// PyNonThreaded is non_threaded.py: the loop once, in the main thread.
	PyNonThreaded PythonProgram = iota
	// PyThreading is use_threading.py: N threading.Thread workers.
	PyThreading
	// PyMultiprocessing is use_multiprocessing.py: a multiprocessing
	// Pool of N forked processes, each doing the work.
	PyMultiprocessing
)

// String returns the seed's name: "non-threaded", "threading" or
// "multiprocessing".
func (p PythonProgram) String() string {
	switch p {
	case PyNonThreaded:
		return "non-threaded"
	case PyThreading:
		return "threading"
	case PyMultiprocessing:
		return "multiprocessing"
	}
	return fmt.Sprintf("PythonProgram(%d)", int(p))
}

func (p PythonProgram) file() string {
	switch p {
	case PyThreading:
		return "use_threading.py"
	case PyMultiprocessing:
		return "use_multiprocessing.py"
	}
	return "non_threaded.py"
}

// Source returns the program's Python source, as embedded in the binary.
func (p PythonProgram) Source() []byte {
	b, err := pythonFS.ReadFile("python/" + p.file())
	if err != nil {
		panic("workload: embedded " + p.file() + " missing: " + err.Error()) // a build without python/*.py
	}
	return b
}

// Python runs one of the seed's Python programs in a real interpreter, as
// a [Command]: the same loop as every other model, in CPython itself, so
// that the emulated GILs can be held against the real ones. Each worker's
// result is checked against [Expected], like every other worker's.
//
// The program comes on the interpreter's standard input (python -E -s -),
// so nothing needs to be on disk but the interpreter.
type Python struct {
	// Interpreter is the python executable: a path, or a name looked up
	// in PATH. Required.
	Interpreter string
	Program     PythonProgram
	// N is the number of threads or processes; ignored by PyNonThreaded.
	N int
	// Work sizes each worker: N iterations, Units times (0 and 0 mean 2^28
	// and 1). Its Kernel is ignored — the interpreter is the kernel — and
	// Duration is not supported.
	Work Work
}

// String returns "python3.11 threading:4"-style names: the interpreter's
// base name, the seed's program name and the workers.
func (p Python) String() string {
	return fmt.Sprintf("%s %s:%d", filepath.Base(p.Interpreter), p.Program, p.workers())
}

func (p Python) workers() int {
	if p.Program == PyNonThreaded {
		return 1
	}
	return p.N
}

// Command returns the Command that Run runs, for a caller that wants to
// change its environment, say.
func (p Python) Command() (Command, error) {
	if p.Interpreter == "" {
		return Command{}, errors.New("workload: Python with no Interpreter")
	}
	if p.Program < PyNonThreaded || p.Program > PyMultiprocessing {
		return Command{}, fmt.Errorf("workload: unknown Python program %d", int(p.Program))
	}
	if err := checkWorkers(p.String(), p.workers()); err != nil {
		return Command{}, err
	}
	w, err := p.Work.withDefaults()
	if err != nil {
		return Command{}, err
	}
	if w.Duration != 0 {
		return Command{}, fmt.Errorf("workload: %s: Work.Duration is not supported by a real interpreter; size it by N and Units", p)
	}
	args := []string{"-E", "-s", "-", "--n", strconv.FormatUint(w.N, 10), "--units", strconv.Itoa(w.Units), "--report"}
	switch p.Program {
	case PyThreading:
		args = append(args, "--num-threads", strconv.Itoa(p.N))
	case PyMultiprocessing:
		args = append(args, "--num-procs", strconv.Itoa(p.N))
	}
	n := p.workers()
	return Command{
		Path:  p.Interpreter,
		Args:  args,
		Stdin: p.Program.Source(),
		Name:  p.String(),
		Parse: func(out []byte, rep *Report) error {
			ws, err := parseWorkers(out, w)
			if err != nil {
				return err
			}
			if len(ws) != n {
				return fmt.Errorf("%d workers reported, want %d; stdout %q", len(ws), n, clip(out))
			}
			rep.Workers = ws
			return nil
		},
	}, nil
}

// Run runs the program and checks every worker's result. The Report's
// Kernel is [Bytecode]: CPython's own eval loop ran it.
func (p Python) Run(ctx context.Context) (Report, error) {
	c, err := p.Command()
	if err != nil {
		return Report{Model: p.String(), Kernel: Bytecode}, err
	}
	rep, err := c.Run(ctx)
	rep.Kernel = Bytecode
	return rep, err
}

// parseWorkers reads the "worker ID RESULT UNITS SECONDS" lines of the
// programs' --report output and checks each result.
func parseWorkers(out []byte, w Work) ([]WorkerReport, error) {
	var ws []WorkerReport
	want := Expected(w.N)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 5 || f[0] != "worker" {
			continue
		}
		id, err1 := strconv.Atoi(f[1])
		res, err2 := strconv.ParseUint(f[2], 10, 64)
		units, err3 := strconv.Atoi(f[3])
		secs, err4 := strconv.ParseFloat(f[4], 64)
		if err := errors.Join(err1, err2, err3, err4); err != nil || id != len(ws) {
			return nil, fmt.Errorf("bad worker line %q (want worker %d)", sc.Text(), len(ws))
		}
		if res != want {
			return nil, fmt.Errorf("worker %d: sum(range(%d)) = %d, want %d", id, w.N, res, want)
		}
		if units != w.Units {
			return nil, fmt.Errorf("worker %d did %d units, want %d", id, units, w.Units)
		}
		ws = append(ws, WorkerReport{ID: id, Result: res, Units: units, Iterations: uint64(units) * w.N,
			CPU: -1, Wall: time.Duration(secs * 1e9)})
	}
	return ws, nil
}

// Interpreter is a Python interpreter found on this machine.
type Interpreter struct {
	// Path is the executable itself (sys.executable): a pyenv shim
	// resolves to the interpreter it runs.
	Path string
	// Implementation is platform.python_implementation(): "CPython".
	Implementation string
	// Major, Minor and Micro are sys.version_info's.
	Major, Minor, Micro int
}

// String returns "CPython 2.7.18".
func (i Interpreter) String() string {
	return fmt.Sprintf("%s %s", i.Implementation, i.Version())
}

// Version returns "2.7.18".
func (i Interpreter) Version() string { return fmt.Sprintf("%d.%d.%d", i.Major, i.Minor, i.Micro) }

// compare orders interpreters by version.
func (i Interpreter) compare(j Interpreter) int {
	return cmp.Or(cmp.Compare(i.Major, j.Major), cmp.Compare(i.Minor, j.Minor), cmp.Compare(i.Micro, j.Micro))
}

// inspectScript prints what Interpreter holds, on 2.7 and 3.x alike.
const inspectScript = `import platform, sys
print(platform.python_implementation())
print("%d %d %d" % tuple(sys.version_info[:3]))
print(sys.executable)
`

// InspectInterpreter runs the python at path (or named, looked up in PATH)
// to learn its implementation, version and real executable.
func InspectInterpreter(ctx context.Context, path string) (Interpreter, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-E", "-s", "-c", inspectScript)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil {
		return Interpreter{}, fmt.Errorf("workload: %s is not a working python: %w; stderr %q", path, err, clip(errOut.Bytes()))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var i Interpreter
	if len(lines) != 3 {
		return i, fmt.Errorf("workload: %s answered %q, not a python's version", path, out)
	}
	if _, err := fmt.Sscan(lines[1], &i.Major, &i.Minor, &i.Micro); err != nil {
		return i, fmt.Errorf("workload: %s answered version %q: %w", path, lines[1], err)
	}
	i.Implementation, i.Path = strings.TrimSpace(lines[0]), strings.TrimSpace(lines[2])
	if i.Path == "" {
		i.Path = path
	}
	return i, nil
}

// FindInterpreters looks for Python interpreters: python2.7, python2 and
// python3 on PATH, then every $(pyenv root)/versions/*/bin/python (pyenv
// root from the pyenv command, else $PYENV_ROOT, else ~/.pyenv). Each is
// run once to learn its version (see [InspectInterpreter]); one that does
// not run, such as a pyenv shim with no version behind it, is skipped. The
// result has one entry per executable, newest version first.
func FindInterpreters(ctx context.Context) []Interpreter {
	var candidates []string
	for _, name := range []string{"python2.7", "python2", "python3"} {
		if p, err := exec.LookPath(name); err == nil {
			candidates = append(candidates, p)
		}
	}
	if root := pyenvRoot(ctx); root != "" {
		bins, _ := filepath.Glob(filepath.Join(root, "versions", "*", "bin", "python"))
		candidates = append(candidates, bins...)
	}
	var found []Interpreter
	seen := map[string]bool{}
	for _, c := range candidates {
		if ctx.Err() != nil {
			break
		}
		i, err := InspectInterpreter(ctx, c)
		if err != nil {
			continue
		}
		key := i.Path
		if r, err := filepath.EvalSymlinks(i.Path); err == nil {
			key = r
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		found = append(found, i)
	}
	slices.SortStableFunc(found, func(a, b Interpreter) int { return b.compare(a) })
	return found
}

// NewestInterpreter returns the newest interpreter of major version major
// in found, and whether there is one.
func NewestInterpreter(found []Interpreter, major int) (Interpreter, bool) {
	var best Interpreter
	ok := false
	for _, i := range found {
		if i.Major == major && (!ok || i.compare(best) > 0) {
			best, ok = i, true
		}
	}
	return best, ok
}

func pyenvRoot(ctx context.Context) string {
	if p, err := exec.LookPath("pyenv"); err == nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, p, "root").Output(); err == nil {
			if r := strings.TrimSpace(string(out)); r != "" {
				return r
			}
		}
	}
	if r := os.Getenv("PYENV_ROOT"); r != "" {
		return r
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".pyenv")
	}
	return ""
}

// Speed is what the seed's loop costs in an interpreter on this machine.
type Speed struct {
	Interpreter Interpreter `json:"interpreter"`
	// NsPerIteration is the CPU time of one iteration of
	// `for v in xrange(n): result += v` (range on 3.x), startup excluded.
	NsPerIteration float64 `json:"ns_per_iteration"`
	// Iterations is the size of the run it was measured on.
	Iterations uint64 `json:"iterations"`
}

// MeasureInterpreter times the seed's loop in in: non_threaded.py with n
// iterations (0 means 2^22) and with none, five times each, on the CPU
// clock (wait4's rusage), so other load on the machine does not inflate
// it; the least of each, subtracted, divided by n. It takes about 3n
// iterations' time plus ten interpreter start-ups.
func MeasureInterpreter(ctx context.Context, in Interpreter, n uint64) (Speed, error) {
	if n == 0 {
		n = 1 << 22
	}
	sp := Speed{Interpreter: in, Iterations: n}
	least := func(n uint64) (time.Duration, error) {
		best := time.Duration(math.MaxInt64)
		for range paceSamples {
			rep, err := Python{Interpreter: in.Path, Program: PyNonThreaded, Work: Work{N: max(n, 1)}}.Run(ctx)
			if err != nil {
				return 0, err
			}
			best = min(best, rep.CPU())
		}
		return best, nil
	}
	full, err := least(n)
	if err != nil {
		return sp, err
	}
	empty, err := least(1)
	if err != nil {
		return sp, err
	}
	sp.NsPerIteration = max(float64(full-empty), 0) / float64(n)
	if sp.NsPerIteration <= 0 {
		return sp, fmt.Errorf("workload: %s: sum(range(%d)) took no measurable CPU time beyond start-up", in, n)
	}
	return sp, nil
}
