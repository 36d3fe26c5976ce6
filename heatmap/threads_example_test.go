package heatmap_test

import (
	"context"
	"log"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/heatmap"
)

// Record four threads that take turns under one lock, as Python threads
// do under the GIL, following this process's threads at 10 ms, and draw
// which thread ran on which core when. (Not run as a test: it burns CPU.)
func ExampleWriteThreadsPNG() {
	w := cpuwatch.Watcher{Interval: 10 * time.Millisecond, FollowSelf: true}
	rec, err := w.Record(context.Background(), func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		var gil sync.Mutex
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				for ctx.Err() == nil {
					gil.Lock()
					for end := time.Now().Add(5 * time.Millisecond); time.Now().Before(end); {
					}
					gil.Unlock()
					runtime.Gosched()
				}
			})
		}
		wg.Wait()
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Create("threads.png")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := heatmap.WriteThreadsPNG(f, rec, heatmap.ThreadOptions{}); err != nil {
		log.Fatal(err)
	}
}

// Draw a recording's cores grouped by physical core: Record keeps the
// machine's topology in Host.Topology.
func ExampleOptions_groupByCore() {
	rec, err := cpuwatch.Record(context.Background(), time.Second, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := heatmap.WritePNG(os.Stdout, rec, heatmap.Options{GroupByCore: true}); err != nil {
		log.Fatal(err)
	}
}
