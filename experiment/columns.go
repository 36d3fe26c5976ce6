package experiment

import (
	"fmt"
	"strings"

	"github.com/corescope/corescope"
)

// column is one column of the results table, on the report page and in
// WriteTable's text. Adding a column to both is adding an entry to
// columns; a column with no text func shows on the page only.
type column struct {
	// Head heads the column on the page; textHead in the text table.
	Head, textHead string
	// html formats the page's cell; text the text table's.
	html func(Row, *corescope.Result) cell
	text func(Row) string
}

// cell is one cell of the page's table; NA greys out a value that does
// not apply.
type cell struct {
	Text string
	NA   bool
}

// na is the cell of a value that does not apply.
var na = cell{Text: "–", NA: true}

// columns are the results table's columns, in order. It is never
// modified.
var columns = []column{
	{
		Head: "run", textHead: "run",
		html: func(r Row, _ *corescope.Result) cell { return cell{Text: r.DataID} },
		text: func(r Row) string { return r.DataID },
	},
	{
		Head: "workers", textHead: "workers",
		html: func(r Row, _ *corescope.Result) cell { return cell{Text: fmt.Sprint(r.Workers)} },
		text: func(r Row) string { return fmt.Sprint(r.Workers) },
	},
	{
		Head: "wall s", textHead: "wall s",
		html: func(r Row, _ *corescope.Result) cell { return cell{Text: fmt.Sprintf("%.2f", r.Wall)} },
		text: func(r Row) string { return fmt.Sprintf("%.2f", r.Wall) },
	},
	{
		Head: "speed-up", textHead: "speedup",
		html: func(r Row, _ *corescope.Result) cell {
			if r.Speedup == 0 {
				return na
			}
			return cell{Text: fmt.Sprintf("%.2f×", r.Speedup)}
		},
		text: func(r Row) string { return dash(r.Speedup, "%.2f×") },
	},
	{
		Head: "cores used", textHead: "cores used",
		html: func(r Row, _ *corescope.Result) cell { return cell{Text: fmt.Sprintf("%.2f", r.CoresUsed)} },
		text: func(r Row) string { return fmt.Sprintf("%.2f", r.CoresUsed) },
	},
	{
		Head: "cores seen busy", textHead: "cores seen",
		html: func(r Row, _ *corescope.Result) cell { return cell{Text: fmt.Sprintf("%.2f", r.EffectiveCores)} },
		text: func(r Row) string { return fmt.Sprintf("%.2f", r.EffectiveCores) },
	},
	{
		Head: "system", textHead: "system",
		html: func(r Row, _ *corescope.Result) cell {
			if r.Workers == 0 {
				return na
			}
			return cell{Text: fmt.Sprintf("%.0f %%", 100*r.SystemShare)}
		},
		text: func(r Row) string {
			if r.Workers == 0 {
				return "–"
			}
			return strings.TrimSpace(fmt.Sprintf("%4.1f %%", 100*r.SystemShare))
		},
	},
	{
		Head: "GIL switches", textHead: "GIL switches",
		html: func(r Row, _ *corescope.Result) cell {
			if r.GILSwitches < 0 {
				return na
			}
			return cell{Text: fmt.Sprint(r.GILSwitches)}
		},
		text: func(r Row) string {
			if r.GILSwitches < 0 {
				return "–"
			}
			return fmt.Sprint(r.GILSwitches)
		},
	},
	{
		Head: "results",
		html: func(_ Row, run *corescope.Result) cell {
			switch n := len(run.Results); {
			case n == 0:
				return cell{Text: "Did nothing"}
			case n > 1:
				return cell{Text: fmt.Sprintf("%d ×%d", run.Results[0], n)}
			default:
				return cell{Text: fmt.Sprint(run.Results[0])}
			}
		},
	},
}

func dash(v float64, format string) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf(format, v)
}
