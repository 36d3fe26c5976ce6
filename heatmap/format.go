package heatmap

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/internal/atomicfile"
	"github.com/corescope/corescope/schedtrace"
)

// Format is a picture's encoding. Its zero value is PNG. It implements
// [encoding.TextMarshaler] and [encoding.TextUnmarshaler] with the names
// "png", "svg", "html" and "term", so it serves as a flag (flag.TextVar)
// or a JSON field as is.
type Format int

const (
	// PNG is a paletted PNG image, as WritePNG writes.
	PNG Format = iota
	// SVG is a standalone SVG document, as WriteSVG writes.
	SVG
	// HTML is a self-contained page whose cells name themselves on hover,
	// as WriteHTML writes.
	HTML
	// Terminal is text for a terminal, as WriteTerminal writes. It has no
	// file extension.
	Terminal
)

var formatNames = [...]string{PNG: "png", SVG: "svg", HTML: "html", Terminal: "term"}

// String returns the format's name: "png", "svg", "html" or "term".
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Ext returns the file-name extension of the format, with its dot, such
// as ".png"; Terminal has none and returns "".
func (f Format) Ext() string {
	if f < PNG || f >= Terminal {
		return ""
	}
	return "." + formatNames[f]
}

// MarshalText returns the format's name, or an error for an unknown
// format.
func (f Format) MarshalText() ([]byte, error) {
	if f < 0 || int(f) >= len(formatNames) {
		return nil, fmt.Errorf("heatmap: unknown format %d", int(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText sets f from its name, in any case: "png", "svg", "html"
// or "term".
func (f *Format) UnmarshalText(b []byte) error {
	for i, n := range formatNames {
		if strings.EqualFold(string(b), n) {
			*f = Format(i)
			return nil
		}
	}
	return fmt.Errorf("heatmap: unknown format %q: want png, svg, html or term", b)
}

// FormatFor returns the format a file name's extension names: ".png",
// ".svg", ".html" or ".htm", in any case.
func FormatFor(name string) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png":
		return PNG, nil
	case ".svg":
		return SVG, nil
	case ".html", ".htm":
		return HTML, nil
	}
	return 0, fmt.Errorf("heatmap: %q: want a .png, .svg or .html file", name)
}

// Write writes rec's heatmap to w in format f: WritePNG, WriteSVG,
// WriteHTML or, for Terminal, WriteTerminal with opts's Mode, Colormap,
// Title, MaxRows and GroupByCore, colour detected from the environment.
func Write(w io.Writer, f Format, rec *cpuwatch.Recording, opts Options) error {
	switch f {
	case PNG:
		return WritePNG(w, rec, opts)
	case SVG:
		return WriteSVG(w, rec, opts)
	case HTML:
		return WriteHTML(w, rec, opts)
	case Terminal:
		return WriteTerminal(w, rec, TerminalOptions{Mode: opts.Mode, Colormap: opts.Colormap,
			Title: opts.Title, MaxRows: opts.MaxRows, GroupByCore: opts.GroupByCore})
	}
	return fmt.Errorf("heatmap: unknown format %d", int(f))
}

// WriteThreads writes rec's thread timeline to w in format f:
// WriteThreadsPNG, WriteThreadsSVG or WriteThreadsHTML. There is no
// Terminal thread timeline.
func WriteThreads(w io.Writer, f Format, rec *cpuwatch.Recording, opts ThreadOptions) error {
	switch f {
	case PNG:
		return WriteThreadsPNG(w, rec, opts)
	case SVG:
		return WriteThreadsSVG(w, rec, opts)
	case HTML:
		return WriteThreadsHTML(w, rec, opts)
	}
	return fmt.Errorf("heatmap: no thread timeline in format %v", f)
}

// WriteFile writes rec's heatmap to the named file, in the format its
// extension names (see FormatFor). If drawing or writing fails it removes
// the file, so that no half-written picture is left, and returns the error.
func WriteFile(name string, rec *cpuwatch.Recording, opts Options) error {
	f, err := FormatFor(name)
	if err != nil {
		return err
	}
	return writeFile(name, func(w io.Writer) error { return Write(w, f, rec, opts) })
}

// WriteThreadsFile writes rec's thread timeline to the named file, as
// WriteFile does for the heatmap. Name it with ThreadsFileName to put it
// next to the heatmap. An error wrapping ErrNoThreads means the recording
// has no thread to show; no file is left then either.
func WriteThreadsFile(name string, rec *cpuwatch.Recording, opts ThreadOptions) error {
	f, err := FormatFor(name)
	if err != nil {
		return err
	}
	return writeFile(name, func(w io.Writer) error { return WriteThreads(w, f, rec, opts) })
}

// writeFile writes name with write, all or nothing (see atomicfile): a
// failure leaves no file behind, and a picture already at name as it was.
func writeFile(name string, write func(io.Writer) error) error {
	if err := atomicfile.Write(name, write); err != nil {
		return fmt.Errorf("heatmap: write %s: %w", name, err)
	}
	return nil
}

// ThreadsFileName returns the file name of the thread timeline that goes
// with the heatmap file name: "-threads" before the extension, so
// "run.png" gives "run-threads.png".
func ThreadsFileName(name string) string {
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + "-threads" + ext
}

// WriteTrace writes a window of tr to w in format f: WriteTracePNG,
// WriteTraceSVG or WriteTraceHTML (which embeds the whole trace and opens
// on the window). There is no Terminal trace picture.
func WriteTrace(w io.Writer, f Format, tr *schedtrace.Trace, opts TraceOptions) error {
	switch f {
	case PNG:
		return WriteTracePNG(w, tr, opts)
	case SVG:
		return WriteTraceSVG(w, tr, opts)
	case HTML:
		return WriteTraceHTML(w, tr, opts)
	}
	return fmt.Errorf("heatmap: no trace picture in format %v", f)
}

// WriteTraceFile writes tr's zoom picture to the named file, in the
// format its extension names, as WriteFile does for the heatmap. Name it
// with TraceFileName to put it next to the heatmap.
func WriteTraceFile(name string, tr *schedtrace.Trace, opts TraceOptions) error {
	f, err := FormatFor(name)
	if err != nil {
		return err
	}
	return writeFile(name, func(w io.Writer) error { return WriteTrace(w, f, tr, opts) })
}

// TraceFileName returns the file name of the trace picture that goes with
// the heatmap file name: "-trace" before the extension, so "run.png" gives
// "run-trace.png".
func TraceFileName(name string) string {
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + "-trace" + ext
}
