// Package cli holds what the example commands share about behaving like a
// Unix tool: exit statuses as shells report them, Ctrl-C that stops
// promptly the first time and at once the second, and output files that
// are checked before the work (heatmap.WriteFile never leaves one
// half-written). It is small on
// purpose: a program of one's own would copy it.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
)

// SignalStatus is the exit status a shell reports for a program that
// sig ended: 128 plus the signal's number, so 130 for SIGINT and 143 for
// SIGTERM. A signal without a number gives 1.
func SignalStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// ExitStatus is the exit status that reports err, the result of running a
// command, the way time(1) and perf stat pass a command's status on: 0
// for nil, the command's own status when it exited, 128+n when signal n
// killed it, and 1 for any other error (one that kept it from starting,
// say).
func ExitStatus(err error) int {
	if err == nil {
		return 0
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return SignalStatus(ws.Signal())
		}
		if c := exit.ExitCode(); c > 0 {
			return c
		}
	}
	return 1
}

// Interrupts turns the first of some signals into a cancelled context, so
// that the program winds down and keeps what it has, and the second into
// an exit at once. A program that has a child to stop with it sets
// OnSecond.
type Interrupts struct {
	mu       sync.Mutex
	first    os.Signal
	onSecond func()
	stop     func()
	exit     func(int) // os.Exit; tests replace it
}

// Notify starts listening for sigs (os.Interrupt and syscall.SIGTERM if
// none are given) and returns a context that the first of them cancels. A
// second signal runs the OnSecond hook and exits with SignalStatus of the
// first. Call Stop to stop listening.
func Notify(parent context.Context, sigs ...os.Signal) (*Interrupts, context.Context) {
	return notify(parent, os.Exit, sigs...)
}

func notify(parent context.Context, exit func(int), sigs ...os.Signal) (*Interrupts, context.Context) {
	if len(sigs) == 0 {
		sigs = []os.Signal{os.Interrupt, syscall.SIGTERM}
	}
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	in := &Interrupts{exit: exit}
	var once sync.Once
	in.stop = func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel()
		})
	}
	go func() {
		for n := 0; ; n++ {
			select {
			case <-done:
				return
			case sig := <-ch:
				in.mu.Lock()
				if n == 0 {
					in.first = sig
					in.mu.Unlock()
					cancel()
					continue
				}
				hook, first := in.onSecond, in.first
				in.mu.Unlock()
				if hook != nil {
					hook()
				}
				in.exit(SignalStatus(first))
				return
			}
		}
	}()
	return in, ctx
}

// OnSecond sets what a second signal does before the program exits, such
// as killing a child that ignores the first.
func (in *Interrupts) OnSecond(f func()) {
	in.mu.Lock()
	in.onSecond = f
	in.mu.Unlock()
}

// Signal returns the first signal received, or nil.
func (in *Interrupts) Signal() os.Signal {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.first
}

// Status returns SignalStatus of the first signal, or 0 if none came.
func (in *Interrupts) Status() int {
	if sig := in.Signal(); sig != nil {
		return SignalStatus(sig)
	}
	return 0
}

// Stop stops listening; signals then have their default effect again.
func (in *Interrupts) Stop() { in.stop() }

// CheckWritable reports whether a file can be created at path, before any
// long work whose result it is to hold: it creates and removes a
// temporary file in path's directory. The error names the path and why.
func CheckWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".check-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
