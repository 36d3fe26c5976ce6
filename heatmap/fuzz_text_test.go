package heatmap

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/corescope/corescope/cpuwatch"
)

// textRec is a small recording whose texts come from the fuzzer: the
// DataID, and a followed thread's name.
func textRec(id, thread string) *cpuwatch.Recording {
	rec := makeRec([]int{0, 1}, 3, func(i, id int) (float64, float64) { return 0.25 * float64(i+id), 0.1 })
	rec.DataID = id
	for i := range rec.Len() {
		mutate(rec, func(ss []cpuwatch.Sample) {
			ss[i].Threads = []cpuwatch.ThreadUsage{{PID: 3, TID: 3, Name: thread, CPU: i % 2, User: 0.5}}
		})
	}
	return rec
}

var textSeeds = []string{"", "plain", hostile, "\x1b[2J", "\x1b]8;;http://x\a", "a\nb\r\nc", "\xff", "\u202e", "\ufffe", "<&>\"'", "é漢字🙂"}

// FuzzTerminalText checks that no text from data makes WriteTerminal or
// Live write a byte a terminal would act on, with or without colour, and
// that Live moves the cursor up by exactly its last frame's lines.
func FuzzTerminalText(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, id, title string) {
		rec := textRec(id, "")
		for _, cs := range []ColorSupport{NoColor, TrueColor} {
			var buf bytes.Buffer
			if err := WriteTerminal(&buf, rec, TerminalOptions{Color: cs}); err != nil {
				t.Fatal(err)
			}
			if err := terminalSafe(buf.String(), cs != NoColor); err != nil {
				t.Fatalf("WriteTerminal, colour %d: %v", cs, err)
			}
		}
		var buf bytes.Buffer
		l := NewLive(&buf, TerminalOptions{Title: title, Color: TrueColor})
		inPlace := os.Getenv("TERM") != "dumb" // as Live decides
		prev := 0
		for i, s := range rec.All() {
			buf.Reset()
			if err := l.Add(s); err != nil {
				t.Fatal(err)
			}
			frame := buf.String()
			if err := terminalSafe(frame, true); err != nil {
				t.Fatalf("Live frame %d: %v", i, err)
			}
			if i > 0 && inPlace {
				want := "\x1b[" + strconv.Itoa(prev) + "F\x1b[J"
				if !strings.HasPrefix(frame, want) {
					t.Fatalf("Live frame %d does not start with %q", i, want)
				}
				frame = frame[len(want):]
			}
			prev = strings.Count(frame, "\n")
		}
	})
}

// FuzzHTMLText checks that every page made from texts of data is valid
// UTF-8, holds no control character and parses as XML.
func FuzzHTMLText(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, id, thread string) {
		rec := textRec(id, thread)
		for name, write := range map[string]func(io.Writer) error{
			"cores":   func(w io.Writer) error { return WriteHTML(w, rec, Options{}) },
			"threads": func(w io.Writer) error { return WriteThreadsHTML(w, rec, ThreadOptions{AllThreads: true}) },
			"svg":     func(w io.Writer) error { return WriteThreadsSVG(w, rec, ThreadOptions{AllThreads: true}) },
		} {
			var buf bytes.Buffer
			if err := write(&buf); err != nil {
				t.Fatal(err)
			}
			page := buf.String()
			if !utf8.ValidString(page) {
				t.Fatalf("%s: page is not valid UTF-8", name)
			}
			for i, r := range page {
				if r < 0x20 && r != '\n' || r >= 0x7f && r < 0xa0 {
					t.Fatalf("%s: control %U at byte %d", name, r, i)
				}
			}
			dec := xml.NewDecoder(strings.NewReader(page))
			dec.Strict = true
			for {
				_, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: page does not parse: %v", name, err)
				}
			}
		}
	})
}
