// Command watchcpu watches every core of this machine and prints a table of
// busy percentages per interval, like mpstat -P ALL.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

func main() {
	total := flag.Int("total-intervals", 5, "number of intervals to watch")
	interval := flag.Duration("interval", time.Second, "length of one interval")
	flag.Parse()
	if *total <= 0 || *interval <= 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "watchcpu: --total-intervals and --interval must be positive, and no arguments are taken")
		flag.Usage()
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	n := 0
	err := cpuwatch.Watch(ctx, *interval, func(s cpuwatch.Sample) {
		if n == 0 {
			var h strings.Builder
			fmt.Fprintf(&h, "%-12s %6s", "time", "all")
			for _, c := range s.Cores {
				fmt.Fprintf(&h, " %6s", fmt.Sprintf("cpu%d", c.ID))
			}
			fmt.Println(h.String())
		}
		var row strings.Builder
		fmt.Fprintf(&row, "%-12s %5.1f%%", s.Time.Format("15:04:05.000"), 100*s.Total.Busy())
		for _, c := range s.Cores {
			fmt.Fprintf(&row, " %5.1f%%", 100*c.Busy())
		}
		fmt.Println(row.String())
		if n++; n == *total {
			cancel()
		}
	})
	if err != nil && ctx.Err() == nil || n < *total {
		fmt.Fprintln(os.Stderr, "watchcpu:", err)
		os.Exit(1)
	}
}
