package workload

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Func returns a Model that runs fn, so that a watcher can record any
// function of yours, such as the code under test in a concurrency test
// (corescope.Run(ctx, w, workload.Func("name", fn))).
//
// fn runs on the caller's goroutine with Run's context. Its Report has no
// workers; Wall is fn's elapsed time, and User and System are the whole
// process's CPU time over the call (getrusage RUSAGE_SELF), which includes
// any other goroutine of the process, a watcher's few microseconds a
// sample among them. name labels the model; "" means "func". Func works
// on every Unix; elsewhere Run returns an error wrapping ErrUnsupported.
func Func(name string, fn func(context.Context) error) Model {
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

func (f funcModel) Run(ctx context.Context) (Report, error) {
	rep := Report{Model: f.name}
	if f.fn == nil {
		return rep, errors.New("workload: Func with a nil function")
	}
	c0, err := processCPU()
	if err != nil {
		return rep, err
	}
	start := time.Now()
	runErr := f.fn(ctx)
	rep.Wall = time.Since(start)
	c1, err := processCPU()
	if err != nil {
		return rep, errors.Join(runErr, err)
	}
	rep.User, rep.System = c1.sub(c0)
	if runErr != nil {
		return rep, fmt.Errorf("workload: %s: %w", f.name, runErr)
	}
	return rep, nil
}
