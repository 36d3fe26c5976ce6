package cpuwatch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeProc plays the kernel inside a synctest bubble: it keeps a proc tree
// whose stat file counts USER_HZ ticks of fake time, 100 a second, for each
// of its CPUs. busy says whether a CPU spent tick n (the n-th 10 ms since the
// fakeProc started) in user time; otherwise the tick is idle.
//
// The file is rewritten in place 5 ms before each multiple of 100 ms, with
// the ticks up to that multiple already counted, so a reading at a multiple
// T of 100 ms sees exactly T×100 ticks and never races a write (synctest
// advances time only once the writer sleeps). Tests therefore read only at
// multiples of 100 ms. (Writing every 10 ms would be exact everywhere, and
// ten times slower.)
type fakeProc struct {
	Root string

	mu      sync.Mutex
	cpus    []int
	busy    func(cpu, tick int) bool
	user    map[int]uint64
	idle    map[int]uint64
	corrupt string // when set, written instead of the counters
}

// startFakeProc writes the counters for fake time 0 and keeps them current
// until the test ends. It must be called inside a synctest bubble.
func startFakeProc(t *testing.T, cpus []int, busy func(cpu, tick int) bool) *fakeProc {
	t.Helper()
	p := &fakeProc{
		Root: filepath.Join(t.TempDir(), "proc"),
		cpus: cpus, busy: busy,
		user: map[int]uint64{}, idle: map[int]uint64{},
	}
	if err := os.Mkdir(p.Root, 0o755); err != nil {
		t.Fatal(err)
	}
	p.write(t)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		start := time.Now()
		for n := 0; ; n += 10 {
			wake := time.Duration(n+10)*10*time.Millisecond - 5*time.Millisecond
			select {
			case <-ctx.Done():
				return
			case <-time.After(wake - time.Since(start)):
			}
			p.mu.Lock()
			for _, c := range p.cpus {
				for tick := n; tick < n+10; tick++ {
					if p.busy(c, tick) {
						p.user[c]++
					} else {
						p.idle[c]++
					}
				}
			}
			p.mu.Unlock()
			p.write(t)
		}
	}()
	t.Cleanup(func() { stop(); <-done })
	return p
}

// Corrupt makes every later write of the stat file write s instead.
func (p *fakeProc) Corrupt(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.corrupt = s
}

func (p *fakeProc) write(t *testing.T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	if p.corrupt != "" {
		b.WriteString(p.corrupt)
	} else {
		var user, idle uint64
		for _, c := range p.cpus {
			user += p.user[c]
			idle += p.idle[c]
		}
		fmt.Fprintf(&b, "cpu  %d 0 0 %d 0 0 0 0 0 0\n", user, idle)
		for _, c := range p.cpus {
			fmt.Fprintf(&b, "cpu%d %d 0 0 %d 0 0 0 0 0 0\n", c, p.user[c], p.idle[c])
		}
		b.WriteString("intr 0\nctxt 0\n")
	}
	// os.WriteFile truncates and rewrites the same inode, as the kernel
	// regenerates /proc/stat: the watcher's kept-open descriptor sees it.
	if err := os.WriteFile(filepath.Join(p.Root, "stat"), []byte(b.String()), 0o644); err != nil {
		t.Error(err)
	}
}

// between reports whether tick n lies in the fake-time span [from, to).
func between(n int, from, to time.Duration) bool {
	at := time.Duration(n) * 10 * time.Millisecond
	return at >= from && at < to
}
