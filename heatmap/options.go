package heatmap

import (
	"fmt"
	"strings"
)

// Mode selects what a picture's colour shows. It implements
// [encoding.TextMarshaler] and [encoding.TextUnmarshaler] with the names
// String returns, so it serves as a flag (flag.TextVar) or a JSON field.
type Mode int

const (
	// Busy colours each cell by the fraction of the interval the core was
	// busy: everything but idle and I/O wait. It is the default.
	Busy Mode = iota
	// User colours each cell by user time (user + nice): the workload's own
	// code.
	User
	// System colours each cell by system time: the kernel working on the
	// workload's behalf, such as the futex storm of a contended lock.
	System
	// Split shows user and system time at once: the upper half of each cell
	// is user time, the lower half system time, on the same scale.
	Split
	// Distribution draws a utilisation heat map in the style of Brendan
	// Gregg: x is time, y is a utilisation bucket, and the colour says how
	// many CPUs were in that bucket. It scales to thousands of CPUs, and is
	// chosen automatically for recordings with more than Options.MaxRows
	// cores.
	Distribution
)

// String returns the mode's lower-case name, such as "busy".
func (m Mode) String() string {
	switch m {
	case Busy:
		return "busy"
	case User:
		return "user"
	case System:
		return "system"
	case Split:
		return "split"
	case Distribution:
		return "distribution"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// MarshalText returns the mode's name, such as "busy", or an error for an
// unknown mode.
func (m Mode) MarshalText() ([]byte, error) {
	if m < Busy || m > Distribution {
		return nil, fmt.Errorf("heatmap: unknown mode %d", int(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText sets m from its name, in any case: "busy", "user",
// "system", "split" or "distribution".
func (m *Mode) UnmarshalText(b []byte) error {
	for v := Busy; v <= Distribution; v++ {
		if strings.EqualFold(string(b), v.String()) {
			*m = v
			return nil
		}
	}
	return fmt.Errorf("heatmap: unknown mode %q: want busy, user, system, split or distribution", b)
}

// Defaults used for the zero fields of Options.
const (
	// DefaultMaxRows is the most cores drawn one row each; recordings with
	// more are drawn in Distribution mode.
	DefaultMaxRows = 64
	// DefaultBuckets is the number of utilisation buckets in Distribution
	// mode: 5 % each.
	DefaultBuckets = 20
	// DefaultGridWidth is the width budget, in pixels, of the cells of a
	// picture; longer recordings average intervals into columns.
	DefaultGridWidth = 960
	// DefaultGridHeight is the height budget, in pixels, of the cells.
	DefaultGridHeight = 640
)

// Options controls a picture. The zero value gives a good one: busy time
// in viridis, titled with the recording's DataID, cells sized to fit about
// 960×640 pixels, and Distribution mode above 64 cores.
type Options struct {
	// Mode selects what colour shows; the zero value is Busy.
	Mode Mode
	// Colormap colours the cells; nil means Viridis.
	Colormap *Colormap
	// Title heads the picture; "" means the recording's DataID, or
	// "CPU utilisation" when that is empty too.
	Title string
	// GridWidth and GridHeight are the budgets, in pixels, of the area the
	// cells fill (labels and legend come on top). Zero means
	// DefaultGridWidth and DefaultGridHeight. Intervals beyond GridWidth are
	// averaged into GridWidth columns; rows never get thinner than 1 pixel,
	// so more rows than GridHeight make a taller picture.
	GridWidth, GridHeight int
	// CellWidth and CellHeight fix a cell's size in pixels instead of
	// deriving it from the budgets. Zero means automatic.
	CellWidth, CellHeight int
	// MaxRows is the most cores drawn one row each before Busy, User,
	// System and Split give way to Distribution. Zero means
	// DefaultMaxRows; a negative value never switches.
	MaxRows int
	// Buckets is the number of utilisation buckets of Distribution mode;
	// zero means DefaultBuckets. At most 100.
	Buckets int
	// GroupByCore orders and groups the core rows by physical core, from
	// the topology the recording carries (cpuwatch.Record keeps it in
	// Host.Topology), instead of by CPU id. Extra space separates physical
	// cores; SMT (hyperthread) siblings sit next to each other, joined by a
	// bar left of the grid; the first row of each core names it, and every
	// hover text does. That is what it takes to read "8 busy CPUs" on a
	// machine with 4 hyperthreaded cores: two busy siblings share one
	// core's execution units and do not do the work of two cores. CPUs the
	// topology lacks come last, one group each.
	//
	// A recording without a topology (Host.Topology nil), or with one that
	// fails cpuwatch.Topology.Validate (a CPU listed twice, say), is then an
	// error in every writer.
	// Distribution mode, which has no per-core rows, is drawn as usual.
	GroupByCore bool
}

// Limits that keep a hostile recording from asking for a gigantic picture.
const (
	maxCell    = 64
	maxBuckets = 100
	maxRows    = 1 << 14
	maxPixels  = 1 << 27 // 128 Mpx: 128 MiB paletted
)

// resolved is Options with the defaults filled in and checked.
type resolved struct {
	Options
	// from, when set, supplies the samples instead of the recording's
	// Samples: see WriteFrom.
	from *source
	cmap *Colormap
}

func (o Options) resolve() (resolved, error) {
	r := resolved{Options: o, cmap: o.Colormap}
	if r.cmap == nil {
		r.cmap = Viridis()
	}
	if o.Mode < Busy || o.Mode > Distribution {
		return r, fmt.Errorf("heatmap: unknown mode %d", int(o.Mode))
	}
	for _, f := range []struct {
		name string
		v    *int
		def  int
		max  int
	}{
		{"GridWidth", &r.GridWidth, DefaultGridWidth, 1 << 15},
		{"GridHeight", &r.GridHeight, DefaultGridHeight, 1 << 15},
		{"CellWidth", &r.CellWidth, 0, maxCell},
		{"CellHeight", &r.CellHeight, 0, maxCell},
		{"Buckets", &r.Buckets, DefaultBuckets, maxBuckets},
	} {
		if *f.v < 0 || *f.v > f.max {
			return r, fmt.Errorf("heatmap: Options.%s %d out of [0, %d]", f.name, *f.v, f.max)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if r.MaxRows == 0 {
		r.MaxRows = DefaultMaxRows
	}
	return r, nil
}
