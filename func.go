package corescope

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/corescope/corescope/workload"
)

// Func returns a workload.Model that runs fn, so that Run can record any
// function of yours, such as the code under test in a concurrency test.
//
// Its Report has no workers; Wall is fn's elapsed time, and User and System
// are the whole process's CPU time over the call (getrusage RUSAGE_SELF),
// which includes any other goroutine of the process, the watcher's few
// microseconds a sample among them. name labels the model; "" means
// "func".
func Func(name string, fn func(context.Context) error) workload.Model {
	if name == "" {
		name = "func"
	}
	return funcModel{name: name, fn: fn}
}

type funcModel struct {
	name string
	fn   func(context.Context) error
}

func (f funcModel) String() string { return f.name }

func (f funcModel) Run(ctx context.Context) (workload.Report, error) {
	rep := workload.Report{Model: f.name}
	if f.fn == nil {
		return rep, errors.New("corescope: Func with a nil function")
	}
	u0, s0, err := processCPU()
	if err != nil {
		return rep, err
	}
	start := time.Now()
	runErr := f.fn(ctx)
	rep.Wall = time.Since(start)
	u1, s1, err := processCPU()
	if err != nil {
		return rep, errors.Join(runErr, err)
	}
	rep.User, rep.System = u1-u0, s1-s0
	if runErr != nil {
		return rep, fmt.Errorf("corescope: %s: %w", f.name, runErr)
	}
	return rep, nil
}
