package heatmap

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/corescope/corescope/cpuwatch"
)

func TestFormatText(t *testing.T) {
	tests := []struct {
		text string
		want Format
		ext  string
	}{
		{"png", PNG, ".png"},
		{"SVG", SVG, ".svg"},
		{"html", HTML, ".html"},
		{"term", Terminal, ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var f Format = -1
			if err := f.UnmarshalText([]byte(tt.text)); err != nil || f != tt.want {
				t.Fatalf("UnmarshalText(%q) = %v, %v; want %v", tt.text, f, err, tt.want)
			}
			b, err := f.MarshalText()
			if err != nil || !bytes.EqualFold(b, []byte(tt.text)) {
				t.Errorf("MarshalText() = %q, %v; want %q", b, err, tt.text)
			}
			if got := f.Ext(); got != tt.ext {
				t.Errorf("Ext() = %q, want %q", got, tt.ext)
			}
		})
	}
	var f Format
	if err := f.UnmarshalText([]byte("gif")); err == nil || f != PNG {
		t.Errorf("UnmarshalText(gif) = %v, %v; want an error and f unchanged", f, err)
	}
	if _, err := Format(9).MarshalText(); err == nil {
		t.Error("Format(9).MarshalText() succeeded, want an error")
	}
}

func TestModeText(t *testing.T) {
	for m := Busy; m <= Distribution; m++ {
		b, err := m.MarshalText()
		if err != nil {
			t.Fatalf("%v.MarshalText: %v", m, err)
		}
		var got Mode = -1
		if err := got.UnmarshalText(bytes.ToUpper(b)); err != nil || got != m {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", bytes.ToUpper(b), got, err, m)
		}
	}
	var m Mode
	if err := m.UnmarshalText([]byte("rainbow")); err == nil || m != Busy {
		t.Errorf("UnmarshalText(rainbow) = %v, %v; want an error and m unchanged", m, err)
	}
	if _, err := Mode(42).MarshalText(); err == nil {
		t.Error("Mode(42).MarshalText() succeeded, want an error")
	}
}

func TestFormatFor(t *testing.T) {
	tests := []struct {
		name string
		want Format
		ok   bool
	}{
		{"a.png", PNG, true},
		{"dir.v2/A.PNG", PNG, true},
		{"a.svg", SVG, true},
		{"a.html", HTML, true},
		{"a.htm", HTML, true},
		{"a.gif", 0, false},
		{"png", 0, false},
	}
	for _, tt := range tests {
		got, err := FormatFor(tt.name)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("FormatFor(%q) = %v, %v; want %v, ok %v", tt.name, got, err, tt.want, tt.ok)
		}
	}
}

func TestThreadsFileName(t *testing.T) {
	for name, want := range map[string]string{
		"profile-threading-2.png": "profile-threading-2-threads.png",
		"out/run.v1.svg":          "out/run.v1-threads.svg",
		"plain":                   "plain-threads",
	} {
		if got := ThreadsFileName(name); got != want {
			t.Errorf("ThreadsFileName(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestWriteByFormat checks that Write and WriteThreads give what the
// format's own writer gives.
func TestWriteByFormat(t *testing.T) {
	t.Setenv("NO_COLOR", "1") // Write(Terminal) detects colour
	rec, threads := makeRec([]int{0, 1}, 4, func(i, id int) (float64, float64) { return 0.3, 0.2 }), gilRec()
	opts := Options{Mode: Split, Title: "t"}
	own := map[Format]func(io.Writer, *cpuwatch.Recording, Options) error{
		PNG: WritePNG, SVG: WriteSVG, HTML: WriteHTML,
		Terminal: func(w io.Writer, rec *cpuwatch.Recording, o Options) error {
			return WriteTerminal(w, rec, TerminalOptions{Mode: o.Mode, Title: o.Title, Color: NoColor})
		},
	}
	ownThreads := map[Format]func(io.Writer, *cpuwatch.Recording, ThreadOptions) error{
		PNG: WriteThreadsPNG, SVG: WriteThreadsSVG, HTML: WriteThreadsHTML,
	}
	for f, write := range own {
		t.Run(f.String(), func(t *testing.T) {
			var got, want bytes.Buffer
			if err := Write(&got, f, rec, opts); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if err := write(&want, rec, opts); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) || got.Len() == 0 {
				t.Errorf("Write(%v) wrote %d bytes unlike its own writer's %d", f, got.Len(), want.Len())
			}
			got.Reset()
			want.Reset()
			err := WriteThreads(&got, f, threads, ThreadOptions{})
			if f == Terminal {
				if err == nil {
					t.Error("WriteThreads(Terminal) succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("WriteThreads: %v", err)
			}
			if err := ownThreads[f](&want, threads, ThreadOptions{}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("WriteThreads(%v) wrote %d bytes unlike its own writer's %d", f, got.Len(), want.Len())
			}
		})
	}
}

// TestWriteFile checks that the file's extension picks the format and that
// a failure leaves no file behind.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	rec := makeRec([]int{0, 1}, 4, func(i, id int) (float64, float64) { return 0.5, 0 })

	name := filepath.Join(dir, "a.svg")
	if err := WriteFile(name, rec, Options{}); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	var want bytes.Buffer
	if err := WriteSVG(&want, rec, Options{}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(name); err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Errorf("a.svg holds %d bytes (%v), want WriteSVG's %d", len(got), err, want.Len())
	}

	tests := []struct {
		name  string
		write func(string) error
		is    error
	}{
		{"bad.png", func(n string) error { return WriteFile(n, &cpuwatch.Recording{}, Options{}) }, ErrBadRecording},
		{"none-threads.png", func(n string) error { return WriteThreadsFile(n, rec, ThreadOptions{}) }, ErrNoThreads},
		{"a.gif", func(n string) error { return WriteFile(n, rec, Options{}) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := filepath.Join(dir, tt.name)
			err := tt.write(n)
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("error = %v, want one wrapping %v", err, tt.is)
			}
			if _, serr := os.Stat(n); !errors.Is(serr, fs.ErrNotExist) {
				t.Errorf("%s left behind after the error (stat: %v)", tt.name, serr)
			}
		})
	}
	if err := WriteFile(filepath.Join(dir, "missing", "a.png"), rec, Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteFile into a missing folder = %v, want fs.ErrNotExist", err)
	}
}
