package prom_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/heatmap"
)

// writePicture draws recs as a fleet to path, by its extension; .json
// writes the recordings.
func writePicture(path string, recs []*cpuwatch.Recording) error {
	var write func(io.Writer, []*cpuwatch.Recording, heatmap.Options) error
	switch filepath.Ext(path) {
	case ".png":
		write = heatmap.WriteFleetPNG
	case ".svg":
		write = heatmap.WriteFleetSVG
	case ".html":
		write = heatmap.WriteFleetHTML
	case ".json":
		b, err := json.Marshal(recs)
		if err != nil {
			return err
		}
		return os.WriteFile(path, b, 0o644)
	default:
		return fmt.Errorf("%s: want .png, .svg, .html or .json", path)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	opts := heatmap.Options{Title: "A fleet from Prometheus: three node_exporters scraped every second"}
	if err := write(f, recs, opts); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// liveRange is what a recorded run of TestLive asked the server for, and
// when its patterns changed.
type liveRange struct {
	Start, End time.Time
	Step       time.Duration
	Swap       time.Time // the alternating host's swap
	IdleStop   time.Time // the idle host's exporter stopped
}
