package cpuwatch

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// csvHeader names the columns WriteCSV writes.
var csvHeader = []string{
	"time", "elapsed_s", "cpu",
	"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice",
	"busy",
}

// WriteCSV writes the recording's samples to w as CSV: a header row, then
// one row per sample and core, for spreadsheets and plotting tools. The
// columns are:
//
//	time        the end of the sample's interval (Sample.Time), RFC 3339 with nanoseconds
//	elapsed_s   the span the sample measured (Sample.Elapsed), in seconds
//	cpu         the core's CPU id, or "all" for the sample's Total
//	user … guest_nice
//	            the Usage fields, fractions of the interval in [0, 1]
//	busy        Usage.Busy
//
// Each sample's "all" row comes first, then its cores in ascending id.
// Numbers are written in the shortest form that parses back to the same
// float64. The recording's other fields (the run window, the host) are not
// written; use encoding/json for a complete copy.
func (r *Recording) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("cpuwatch: write CSV: %w", err)
	}
	row := make([]string, len(csvHeader))
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	put := func(s *Sample, cpu string, u Usage) error {
		row = append(row[:0],
			s.Time.Format(time.RFC3339Nano), f(s.Elapsed.Seconds()), cpu,
			f(u.User), f(u.Nice), f(u.System), f(u.Idle), f(u.IOWait), f(u.IRQ),
			f(u.SoftIRQ), f(u.Steal), f(u.Guest), f(u.GuestNice), f(u.Busy()),
		)
		return cw.Write(row)
	}
	var smp Sample
	for i := range r.Len() {
		s := &smp
		r.SampleInto(i, s)
		if err := put(s, "all", s.Total); err != nil {
			return fmt.Errorf("cpuwatch: write CSV: %w", err)
		}
		for _, c := range s.Cores {
			if err := put(s, strconv.Itoa(c.ID), c.Usage); err != nil {
				return fmt.Errorf("cpuwatch: write CSV: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("cpuwatch: write CSV: %w", err)
	}
	return nil
}
