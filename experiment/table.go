package experiment

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Row is one line of the results table: a run's numbers next to the
// serial run's.
type Row struct {
	DataID   string
	Workload string
	Workers  int
	// Wall is the workload's wall time, in seconds.
	Wall float64
	// Speedup is Results.Speedup: over the serial run, for the same work.
	// 0 means not applicable.
	Speedup float64
	// CoresUsed is the workload's CPU ÷ wall; EffectiveCores what the
	// watcher saw busy.
	CoresUsed, EffectiveCores float64
	// SystemShare is the fraction of the workload's CPU spent in the kernel.
	SystemShare float64
	// GILSwitches counts hand-offs between threads; -1 for runs with no GIL.
	GILSwitches int64
}

// Table returns one row per run, in run order; it skips a nil run, which
// no decoded Results holds.
func (r *Results) Table() []Row {
	rows := make([]Row, 0, len(r.Runs))
	for _, run := range r.Runs {
		if run == nil {
			continue
		}
		row := Row{
			DataID:         run.DataID,
			Workload:       run.Workload,
			Workers:        run.Workers,
			Wall:           run.WallSeconds,
			Speedup:        r.Speedup(run),
			CoresUsed:      run.CoresUsed,
			EffectiveCores: run.EffectiveCores,
			SystemShare:    run.SystemShare(),
			GILSwitches:    -1,
		}
		if run.GIL != nil {
			row.GILSwitches = run.GIL.Switches
		}
		rows = append(rows, row)
	}
	return rows
}

// WriteTable writes the results table as aligned text, one run per line,
// or returns ErrNoRuns. A nil run is an error.
func (r *Results) WriteTable(w io.Writer) error {
	if err := r.check(); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, c := range columns {
		if c.text != nil {
			fmt.Fprintf(tw, "%s\t", c.textHead)
		}
	}
	fmt.Fprintln(tw)
	for _, row := range r.Table() {
		for _, c := range columns {
			if c.text != nil {
				fmt.Fprintf(tw, "%s\t", c.text(row))
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, run := range r.Implausible() {
		if _, err := fmt.Fprintf(w, "note: %s's speed-up of %.2f× is more than its CPUs can give: the machine's speed per core changed between runs; trust its cores used instead\n",
			run.DataID, r.Speedup(run)); err != nil {
			return err
		}
	}
	return nil
}
