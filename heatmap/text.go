package heatmap

import (
	"strings"
	"unicode/utf8"
)

// Every text a chart shows can come from data: a recording's DataID, a
// thread's name, a host name in a title. Each output must show such text,
// never act on it: a terminal obeys ESC, OSC, BEL, CR, BS and NUL, a page
// with ESC or invalid UTF-8 is not well-formed XML, and a line break in a
// label breaks the terminal's line count. So the drawing layer passes every
// text through printable once, before any output lays it out (see
// chart.sanitize), and every medium gets the same, harmless text.

// printable returns s with every rune that an output could act on instead
// of showing replaced: tabs and line breaks by a space, other C0 and C1
// controls, DEL, the bidirectional overrides and isolates (which reorder
// what follows them), the non-characters XML forbids, and invalid UTF-8 by
// U+FFFD. Text without such runes is returned as it is, unallocated.
func printable(s string) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, n) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			b.WriteByte(' ')
		case unsafeRune(r, n):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unsafeRune reports whether r, decoded from n bytes, is one printable
// replaces.
func unsafeRune(r rune, n int) bool {
	switch {
	case r == utf8.RuneError && n <= 1: // invalid UTF-8
		return true
	case r < 0x20, r >= 0x7f && r < 0xa0: // C0, DEL, C1
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidirectional marks, embeddings, overrides, isolates
	case r == 0xfffe, r == 0xffff:
		return true // not characters, and not allowed in XML
	}
	return false
}

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
