package heatmap

import "github.com/corescope/corescope/internal/textsafe"

// Every text a chart shows can come from data: a recording's DataID, a
// thread's name, a host name in a title. Each output must show such text,
// never act on it: a terminal obeys ESC, OSC, BEL, CR, BS and NUL, a page
// with ESC or invalid UTF-8 is not well-formed XML, and a line break in a
// label breaks the terminal's line count. So the drawing layer passes every
// text through printable once, before any output lays it out (see
// chart.sanitize), and every medium gets the same, harmless text.

// printable is textsafe.Line: see there for what it replaces.
func printable(s string) string { return textsafe.Line(s) }

// sanitize passes every text of c through printable, hover texts and
// terminal pair labels included. Every output calls it before laying c
// out; it is idempotent.
func (c *chart) sanitize() {
	if c.sanitized {
		return
	}
	c.sanitized = true
	c.title, c.subtitle = printable(c.title), printable(c.subtitle)
	for i, r := range c.rows {
		c.rows[i] = printable(r)
	}
	for i := range c.markers {
		c.markers[i].label = printable(c.markers[i].label)
	}
	for i, s := range c.legend.title {
		c.legend.title[i] = printable(s)
	}
	for i := range c.legend.ticks {
		c.legend.ticks[i].label = printable(c.legend.ticks[i].label)
	}
	for i := range c.legend.entries {
		c.legend.entries[i].label = printable(c.legend.entries[i].label)
	}
	if tip := c.tip; tip != nil {
		c.tip = func(r, col int) string { return printable(tip(r, col)) }
	}
	if pair := c.pair; pair != nil {
		c.pair = func(u, l int) string { return printable(pair(u, l)) }
	}
}
