package workload_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/corescope/corescope/workload"
)

var (
	interpsOnce sync.Once
	interps     []workload.Interpreter
)

// testInterpreters returns the newest Python 2 and Python 3 found here,
// or skips the test saying why there are none.
func testInterpreters(t *testing.T) []workload.Interpreter {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("Command needs Linux")
	}
	interpsOnce.Do(func() { interps = workload.FindInterpreters(context.Background()) })
	var out []workload.Interpreter
	for _, major := range []int{2, 3} {
		if i, ok := workload.NewestInterpreter(interps, major); ok {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		t.Skip("no Python interpreter found (python2.7, python2, python3 on PATH, or $(pyenv root)/versions/*/bin/python)")
	}
	return out
}

func TestPythonPrograms(t *testing.T) {
	const n = 1 << 16
	for _, in := range testInterpreters(t) {
		for _, tc := range []struct {
			prog workload.PythonProgram
			n    int
		}{{workload.PyNonThreaded, 1}, {workload.PyThreading, 3}, {workload.PyMultiprocessing, 2}} {
			t.Run(fmt.Sprintf("%s/%s", in, tc.prog), func(t *testing.T) {
				m := workload.Python{Interpreter: in.Path, Program: tc.prog, N: tc.n, Work: workload.Work{N: n, Units: 2}}
				rep, err := m.Run(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Workers) != tc.n {
					t.Fatalf("%d workers reported, want %d", len(rep.Workers), tc.n)
				}
				for i, w := range rep.Workers {
					if w.ID != i || w.Result != workload.Expected(n) || w.Units != 2 || w.Iterations != 2*n || w.Wall <= 0 {
						t.Errorf("worker %d = %+v, want ID %d, result %d, 2 units of %d, a wall time", i, w, i, workload.Expected(n), n)
					}
				}
				if rep.CPU() <= 0 || rep.Wall <= 0 || rep.Model != m.String() {
					t.Errorf("report CPU %v, wall %v, model %q; want both > 0 and %q", rep.CPU(), rep.Wall, rep.Model, m.String())
				}
			})
		}
	}
}

// TestPythonSeedOutput runs the programs as the seed did, without
// --report, and checks their printed results against the closed form.
func TestPythonSeedOutput(t *testing.T) {
	const n = 1 << 18
	want := fmt.Sprint(workload.Expected(n))
	for _, in := range testInterpreters(t) {
		for _, tc := range []struct {
			prog workload.PythonProgram
			args []string
			out  string
		}{
			{workload.PyNonThreaded, nil, want + "\n"},
			{workload.PyThreading, []string{"--num-threads", "2"}, want + "\n" + want + "\n"},
			{workload.PyMultiprocessing, []string{"--num-procs", "2"}, "[" + want + ", " + want + "]\n"},
		} {
			c := workload.Command{Path: in.Path, Args: append([]string{"-", "--n", fmt.Sprint(n)}, tc.args...), Stdin: tc.prog.Source()}
			rep, err := c.Run(t.Context())
			if err != nil {
				t.Fatalf("%s %s: %v", in, tc.prog, err)
			}
			if got := string(rep.Stdout); got != tc.out {
				t.Errorf("%s %s printed %q, want %q", in, tc.prog, got, tc.out)
			}
		}
	}
}

func TestPythonSourceUsesXrangeOn2(t *testing.T) {
	for _, p := range []workload.PythonProgram{workload.PyNonThreaded, workload.PyThreading, workload.PyMultiprocessing} {
		src := p.Source()
		if !bytes.Contains(src, []byte("for v in xrange(n):\n        result += v")) || !bytes.Contains(src, []byte("xrange = range")) {
			t.Errorf("%s: the loop is not the seed's over xrange (range on 3.x)", p)
		}
	}
}

func TestPythonBadInput(t *testing.T) {
	tests := []struct {
		name string
		m    workload.Python
		want string
	}{
		{"no interpreter", workload.Python{Program: workload.PyThreading, N: 2}, "no Interpreter"},
		{"no workers", workload.Python{Interpreter: "python3", Program: workload.PyThreading}, "at least 1 worker"},
		{"duration", workload.Python{Interpreter: "python3", Work: workload.Work{Duration: 1}}, "Duration is not supported"},
		{"bad program", workload.Python{Interpreter: "python3", Program: 9}, "unknown Python program"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.m.Run(t.Context())
			if err == nil || !strings.HasPrefix(err.Error(), "workload: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run error = %v, want a workload: error about %q", err, tc.want)
			}
		})
	}
}

func TestPythonFailingInterpreterIsExitError(t *testing.T) {
	in := testInterpreters(t)[0]
	// --bogus is not an argument the programs take: argparse exits with 2.
	c := workload.Command{Path: in.Path, Args: []string{"-", "--bogus"}, Stdin: workload.PyThreading.Source()}
	_, err := c.Run(t.Context())
	var xe *workload.ExitError
	if !errors.As(err, &xe) || xe.Status != 2 || !strings.Contains(xe.Stderr, "--bogus") {
		t.Errorf("Run error = %v, want an ExitError with status 2 naming --bogus", err)
	}
}

func TestFindInterpreters(t *testing.T) {
	for _, in := range testInterpreters(t) {
		if in.Implementation == "" || in.Major < 2 || !strings.HasPrefix(in.String(), in.Implementation+" "+fmt.Sprint(in.Major)+".") {
			t.Errorf("interpreter %+v: String %q", in, in)
		}
		again, err := workload.InspectInterpreter(t.Context(), in.Path)
		if err != nil || again != in {
			t.Errorf("InspectInterpreter(%q) = %+v, %v; want %+v", in.Path, again, err, in)
		}
	}
	if _, err := workload.InspectInterpreter(t.Context(), "/bin/false"); err == nil || !strings.Contains(err.Error(), "not a working python") {
		t.Errorf("InspectInterpreter(/bin/false) error = %v", err)
	}
}
