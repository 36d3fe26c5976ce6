package heatmap

import (
	"encoding/binary"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

// fuzzRec turns bytes into a recording of arbitrary shape: zero to
// thousands of cores, any number of samples, times that may go backwards,
// and usage values that may be negative, above 1, NaN or infinite.
func fuzzRec(data []byte) (*cpuwatch.Recording, Options) {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	val := func() float64 {
		switch b := next(); {
		case b == 255:
			return math.NaN()
		case b == 254:
			return math.Inf(1)
		case b == 253:
			return -0.5
		case b == 252:
			return 7
		default:
			return float64(b) / 251
		}
	}
	nCores := int(next())
	if nCores == 255 {
		nCores = 4096
	}
	nSamples := int(next() % 9)
	opts := Options{Mode: Mode(next() % 6), GridWidth: 1 + int(next()), GridHeight: 1 + int(next())}
	rec := &cpuwatch.Recording{Interval: time.Duration(int8(next())) * time.Millisecond}
	if next()%2 == 0 {
		rec.RunStart = t0.Add(time.Duration(int8(next())) * 100 * time.Millisecond)
		rec.RunEnd = rec.RunStart.Add(time.Duration(int8(next())) * 100 * time.Millisecond)
	}
	at := t0
	for range nSamples {
		var b [2]byte
		b[0], b[1] = next(), next()
		step := time.Duration(int16(binary.LittleEndian.Uint16(b[:]))) * time.Millisecond
		at = at.Add(step)
		s := cpuwatch.Sample{Time: at, Elapsed: time.Duration(int8(next())) * 10 * time.Millisecond}
		if next() == 0 {
			s.Time = time.Time{}
		}
		for c := range nCores {
			u, sy := val(), val()
			s.Cores = append(s.Cores, cpuwatch.CoreUsage{ID: c * int(next()%3), Usage: cpuwatch.Usage{User: u, System: sy, Idle: 1 - u - sy, IOWait: val() / 8}})
		}
		rec.Append(s)
	}
	return rec, opts
}

func FuzzRender(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 3, 0, 100, 50, 0, 0, 0, 0, 0xe8, 0x03, 100, 1, 10, 20, 1, 30, 40, 1})
	f.Add([]byte{255, 1, 0, 10, 10, 5, 1, 0xe8, 0x03, 100, 1})
	f.Add([]byte{1, 1, 3, 255, 255, 0, 1, 0, 0, 0, 0, 1, 252, 255, 253})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, opts := fuzzRec(data)
		for name, write := range map[string]func(io.Writer, *cpuwatch.Recording, Options) error{
			"PNG": WritePNG, "SVG": WriteSVG,
		} {
			err := write(io.Discard, rec, opts)
			if err != nil && !strings.HasPrefix(err.Error(), "heatmap: ") {
				t.Errorf("Write%s error %q lacks the package prefix", name, err)
			}
		}
		err := WriteTerminal(io.Discard, rec, TerminalOptions{Mode: opts.Mode, Color: TrueColor, Width: opts.GridWidth})
		if err != nil && !strings.HasPrefix(err.Error(), "heatmap: ") {
			t.Errorf("WriteTerminal error %q lacks the package prefix", err)
		}
	})
}
