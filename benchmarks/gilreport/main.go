// Command gilreport measures the memory of the default experiment's
// heaviest part: the emulated Python 2 GIL runs (threading-py2:2 and :4,
// the experiment's sizes), traced, and their report. It prints the heap
// and the resident peak (VmHWM) after the runs and after the report.
//
// -progressive draws each trace as its run ends (Experiment.ReportDir, as
// watchcpu does); without it every trace is held until WriteReport.
// -save keeps the runs' results and traces (JSON and gob) and -load
// writes the report of saved ones, with VmHWM reset after loading, so
// that the report phase of two versions can be compared on the same
// traces:
//
//	cd benchmarks && go build -o /tmp/gilreport ./gilreport
//	GODEBUG=gctrace=1 /tmp/gilreport -progressive -out /tmp/gilreport-exp
//	/tmp/gilreport -save /tmp/py2traces -out /tmp/gilreport-a
//	GODEBUG=gctrace=1 /tmp/gilreport -load /tmp/py2traces -out /tmp/gilreport-b
package main

import (
	"context"
	"encoding/gob"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/experiment"
	"github.com/corescope/corescope/schedtrace"
	"github.com/corescope/corescope/workload"
)

func main() {
	units := flag.Int("units", 16, "units of SeedUnit/16 per serial run (watchcpu's calibration here gave 16)")
	out := flag.String("out", "/tmp/gilreport-exp", "report folder")
	progressive := flag.Bool("progressive", false, "draw each trace as its run ends (Experiment.ReportDir)")
	save := flag.String("save", "", "keep the results and traces under this path prefix")
	load := flag.String("load", "", "write the report of results and traces saved under this prefix")
	flag.Parse()
	if *load != "" {
		replay(*load, *out)
		return
	}
	unit := uint64(experiment.SeedUnit / 16)
	specs := []experiment.Spec{{Workload: experiment.NonThreaded, Kernel: workload.Bytecode, Unit: unit, Units: *units}}
	for _, n := range []int{2, 4} {
		specs = append(specs, experiment.Spec{Workload: experiment.ThreadingPy2, Workers: n, Kernel: workload.Bytecode, Unit: unit / 4, Units: *units})
	}
	e := experiment.Experiment{Specs: specs,
		Watcher: cpuwatch.Watcher{Interval: 500 * time.Millisecond, FollowSelf: true, FollowChildren: true},
		Tracer:  &schedtrace.Tracer{}}
	if *progressive {
		e.ReportDir = *out
	}
	t0 := time.Now()
	res, err := e.Run(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	mem("after the runs")
	for _, id := range []string{"threading-py2:2", "threading-py2:4"} {
		if rt := res.Traces[id]; rt != nil && rt.Trace != nil {
			fmt.Printf("%s: %d GIL events, %d slices, lost %s\n", id, len(rt.Trace.GIL), len(rt.Trace.Slices), rt.Trace.Lost)
		}
	}
	if *save != "" {
		b, err := json.Marshal(res)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(*save+".json", b, 0o644); err != nil {
			log.Fatal(err)
		}
		trs := map[string]*schedtrace.Trace{}
		for id, rt := range res.Traces {
			trs[id] = rt.Trace
		}
		f, err := os.Create(*save + ".gob")
		if err != nil {
			log.Fatal(err)
		}
		if err := gob.NewEncoder(f).Encode(trs); err != nil {
			log.Fatal(err)
		}
		f.Close()
	}
	t1 := time.Now()
	if err := res.WriteReport(*out); err != nil {
		log.Fatal(err)
	}
	mem("after the report")
	fmt.Printf("runs %.1f s, report %.1f s\n", t1.Sub(t0).Seconds(), time.Since(t1).Seconds())
}

// replay writes the report of saved results and traces.
func replay(prefix, out string) {
	var res experiment.Results
	b, err := os.ReadFile(prefix + ".json")
	if err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		log.Fatal(err)
	}
	trs := map[string]*schedtrace.Trace{}
	f, err := os.Open(prefix + ".gob")
	if err != nil {
		log.Fatal(err)
	}
	if err := gob.NewDecoder(f).Decode(&trs); err != nil {
		log.Fatal(err)
	}
	f.Close()
	res.Traces = map[string]*experiment.RunTrace{}
	for id, tr := range trs {
		res.Traces[id] = &experiment.RunTrace{Trace: tr}
	}
	b = nil
	runtime.GC()
	debug.FreeOSMemory()
	// Writing 5 to clear_refs resets VmHWM: the peak that follows is the
	// report's.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		log.Print(err)
	}
	mem("loaded")
	t1 := time.Now()
	if err := res.WriteReport(out); err != nil {
		log.Fatal(err)
	}
	mem("after the report")
	fmt.Printf("report %.1f s\n", time.Since(t1).Seconds())
	runtime.KeepAlive(&res)
}

// mem prints the heap in use and the resident peak.
func mem(when string) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("%-17s heap %4d MB, from the OS %4d MB, resident peak %4d MB\n", when, m.HeapAlloc>>20, m.Sys>>20, hwm()>>20)
}

// hwm returns VmHWM in bytes, or 0.
func hwm() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}
