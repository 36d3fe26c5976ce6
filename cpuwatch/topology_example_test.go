//go:build linux

package cpuwatch_test

import (
	"fmt"
	"log"

	"github.com/corescope/corescope/cpuwatch"
)

// A machine with two hyperthreaded cores: logical CPUs 0 and 2 share one
// physical core, 1 and 3 the other.
func ExampleWatcher_Topology() {
	w := cpuwatch.Watcher{SysRoot: "testdata/topology/smt-on/sys"}
	top, err := w.Topology()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(top)
	for i, cpus := range top.Cores() {
		fmt.Printf("physical core %d: logical CPUs %v\n", i, cpus)
	}
	// Output:
	// 4 logical CPUs on 2 physical cores in 1 package (SMT on)
	// physical core 0: logical CPUs [0 2]
	// physical core 1: logical CPUs [1 3]
}
