package cpuwatch_test

import (
	"fmt"
	"log"

	"github.com/corescope/corescope/cpuwatch"
)

// A container allowed on four CPUs, pinned by its cpuset to two of them,
// and given a quota of one and a half CPUs' worth of time.
func ExampleWatcher_Limits() {
	w := cpuwatch.Watcher{
		ProcRoot: "testdata/cgroups/v2-set/proc",
		SysRoot:  "testdata/cgroups/v2-set/sys",
	}
	l, err := w.Limits()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l)
	// Output:
	// 1.5 usable CPUs (affinity 0-3, cpuset 1-2, quota 1.5 CPUs per 100ms, cgroup v2)
}
