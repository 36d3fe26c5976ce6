package textsafe_test

import (
	"testing"
	"unicode/utf8"

	"github.com/corescope/corescope/internal/textsafe"
)

func TestLineAndPage(t *testing.T) {
	tests := []struct {
		name, in, line, page string
	}{
		{"plain", "gil-py2/0 on cpu1", "gil-py2/0 on cpu1", "gil-py2/0 on cpu1"},
		{"escape sequence", "\x1b]0;pwned\a\x1b[2J", "\uFFFD]0;pwned\uFFFD\uFFFD[2J", "\uFFFD]0;pwned\uFFFD\uFFFD[2J"},
		{"line breaks", "a\nb\tc\r", "a b c ", "a\nb\tc\r"},
		{"NUL, BS, DEL, C1", "a\x00b\bc\x7fd\u0085", "a\uFFFDb\uFFFDc\uFFFDd\uFFFD", "a\uFFFDb\uFFFDc\uFFFDd\uFFFD"},
		{"invalid UTF-8", "a\xffb\xc3", "a\uFFFDb\uFFFD", "a\uFFFDb\uFFFD"},
		{"bidi override", "abc\u202edcba", "abc\uFFFDdcba", "abc\uFFFDdcba"},
		{"XML non-characters", "a\uFFFEb\uFFFF", "a\uFFFDb\uFFFD", "a\uFFFDb\uFFFD"},
		{"other scripts stay", "héllo 核心 😀", "héllo 核心 😀", "héllo 核心 😀"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := textsafe.Line(tt.in); got != tt.line {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.line)
			}
			if got := string(textsafe.Page([]byte(tt.in))); got != tt.page {
				t.Errorf("Page(%q) = %q, want %q", tt.in, got, tt.page)
			}
		})
	}
}

func FuzzPage(f *testing.F) {
	for _, s := range []string{"", "<p>\x1b[2J</p>\n", "\xff\xfe", "a\u202eb"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := textsafe.Page(in)
		if !utf8.Valid(out) {
			t.Fatalf("Page(%q) = %q, not valid UTF-8", in, out)
		}
		for _, r := range string(out) {
			if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r < 0xa0) {
				t.Fatalf("Page(%q) = %q keeps control %U", in, out, r)
			}
		}
		if again := textsafe.Page(out); string(again) != string(out) {
			t.Fatalf("Page is not idempotent on %q", in)
		}
	})
}
