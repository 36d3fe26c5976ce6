// Package textsafe makes text taken from data — a recording's title, a
// thread's or host's name — safe to show in any medium: a terminal obeys
// ESC, OSC, BEL, CR, BS and NUL; a page with ESC or invalid UTF-8 is not
// well-formed; bidirectional overrides reorder what follows them. One
// mechanism serves every renderer, so every medium shows the same,
// harmless text.
package textsafe

import (
	"strings"
	"unicode/utf8"
)

// Line returns s with every rune that an output could act on instead
// of showing replaced: tabs and line breaks by a space, other C0 and C1
// controls, DEL, the bidirectional overrides and isolates (which reorder
// what follows them), the non-characters XML forbids, and invalid UTF-8 by
// U+FFFD. Text without such runes is returned as it is, unallocated.
func Line(s string) string {
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

// unsafeRune reports whether r, decoded from n bytes, is one Line and
// Page replace.
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

// Page returns page with every rune that Line replaces by U+FFFD replaced
// the same way, but for the tab and line breaks that lay out a whole
// document, which it keeps. It is for a page rendered as a whole (an
// html/template's output), where the template escapes markup but not
// controls or invalid UTF-8. A page without such runes is returned as it
// is.
func Page(page []byte) []byte {
	i := 0
	for i < len(page) {
		r, n := utf8.DecodeRune(page[i:])
		if unsafeRune(r, n) && !layout(r) {
			break
		}
		i += n
	}
	if i == len(page) {
		return page
	}
	out := make([]byte, 0, len(page)+8)
	out = append(out, page[:i]...)
	for i < len(page) {
		r, n := utf8.DecodeRune(page[i:])
		i += n
		if unsafeRune(r, n) && !layout(r) {
			r = utf8.RuneError
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

// layout reports whether r is white space a document's layout uses.
func layout(r rune) bool { return r == '\t' || r == '\n' || r == '\r' }
