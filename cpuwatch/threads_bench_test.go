//go:build linux

package cpuwatch

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// parkThreads starts n goroutines, each locked to its own OS thread and
// blocked, so this process has at least n more threads until release is
// called.
func parkThreads(tb testing.TB, n int) (release func()) {
	tb.Helper()
	var started, done sync.WaitGroup
	stop := make(chan struct{})
	started.Add(n)
	for range n {
		done.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			started.Done()
			<-stop
		})
	}
	started.Wait()
	return func() { close(stop); done.Wait() }
}

// BenchmarkThreadRead measures one reading of every thread of this process
// with n extra idle threads parked in it, against one reading of
// /proc/stat (the per-core sample every watch takes) in the same run.
func BenchmarkThreadRead(b *testing.B) {
	b.Run("ref=procstat", func(b *testing.B) {
		sr, err := openStat("")
		if err != nil {
			b.Fatal(err)
		}
		defer sr.Close()
		var prev, r reading
		b.ReportAllocs()
		for b.Loop() {
			if err := sr.read(&r, &prev); err != nil {
				b.Fatal(err)
			}
			prev, r = r, prev
		}
	})
	for _, n := range []int{64, 1024} {
		b.Run(fmt.Sprintf("threads=%d", n), func(b *testing.B) {
			release := parkThreads(b, n)
			defer release()
			w := Watcher{FollowSelf: true}
			tr, err := w.openThreads()
			if err != nil {
				b.Fatal(err)
			}
			buf, err := tr.read(nil, 0)
			if err != nil {
				b.Fatal(err)
			}
			var seen int
			b.ReportAllocs()
			for b.Loop() {
				if buf, err = tr.read(buf[:0], 1); err != nil {
					b.Fatal(err)
				}
				seen = len(buf)
			}
			if seen < n {
				b.Fatalf("read %d threads, want ≥ %d", seen, n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(seen), "ns/thread")
		})
		// The floor under any reader: open, read and close every thread's
		// stat file into a reused buffer, parsing nothing.
		b.Run(fmt.Sprintf("threads=%d/ref=rawread", n), func(b *testing.B) {
			release := parkThreads(b, n)
			defer release()
			task := fmt.Sprintf("/proc/%d/task", os.Getpid())
			buf := make([]byte, 1024)
			var seen int
			b.ReportAllocs()
			for b.Loop() {
				tids, err := readDirNames(task)
				if err != nil {
					b.Fatal(err)
				}
				for _, tid := range tids {
					f, err := os.Open(filepath.Join(task, tid, "stat"))
					if err != nil {
						continue
					}
					_, _ = f.Read(buf)
					f.Close()
				}
				seen = len(tids)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(seen), "ns/thread")
		})
	}
}
