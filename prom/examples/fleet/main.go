// Command fleet draws the per-core CPU utilisation of every host a
// Prometheus server scrapes with node_exporter as one heatmap.
//
//	fleet --prometheus http://prom:9090 --selector '{job="node"}' --since 1h -o fleet.png
//
// The picture is PNG, SVG or HTML (hover for host, core, time and values),
// by the extension of -o; --json also writes the recordings, one per host,
// as cpuwatch.Recording marshals them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/heatmap"
	"github.com/corescope/corescope/prom"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		addr     = flag.String("prometheus", prom.DefaultAddress, "base `URL` of the Prometheus server")
		selector = flag.String("selector", "", "label matchers of the targets to draw, such as '{job=\"node\"}'; all by default")
		since    = flag.Duration("since", time.Hour, "draw this far back from now (unless --start is given)")
		startS   = flag.String("start", "", "start `time`, RFC 3339 or Unix seconds")
		endS     = flag.String("end", "", "end `time`, RFC 3339 or Unix seconds; default now")
		step     = flag.Duration("step", prom.DefaultStep, "resolution: no shorter than the scrape interval")
		out      = flag.String("o", "", "picture to write: `file`.png, .svg or .html")
		jsonOut  = flag.String("json", "", "also write the recordings to this `file` as JSON")
	)
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		return errors.New("-o is required, and there are no arguments")
	}
	write, err := writerFor(*out)
	if err != nil {
		return err
	}
	end := time.Now()
	if *endS != "" {
		if end, err = parseTime(*endS); err != nil {
			return err
		}
	}
	start := end.Add(-*since)
	if *startS != "" {
		if start, err = parseTime(*startS); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	src := prom.Source{Address: *addr, Selector: *selector, Step: *step}
	recs, err := src.Recordings(ctx, start, end)
	if err != nil {
		return err
	}
	cores := 0
	for _, r := range recs {
		cores += r.Host.NumCPU
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(recs, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	// A host that was listed but has no step with counters at both ends
	// cannot be drawn; say so rather than fail the picture.
	drawn := recs[:0:0]
	for _, r := range recs {
		if r.Len() == 0 {
			fmt.Fprintf(os.Stderr, "fleet: %s has no samples in the range: left out of the picture\n", r.DataID)
			continue
		}
		drawn = append(drawn, r)
	}
	if len(drawn) == 0 {
		return errors.New("no host has samples in the range: is --step shorter than the scrape interval?")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := write(f, drawn, heatmap.Options{}); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("%d hosts, %d cores, %v to %v every %v: %s\n", len(recs), cores,
		start.UTC().Format(time.DateTime), end.UTC().Format(time.DateTime), *step, *out)
	return nil
}

// writerFor picks the heatmap writer for path's extension.
func writerFor(path string) (func(io.Writer, []*cpuwatch.Recording, heatmap.Options) error, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return heatmap.WriteFleetPNG, nil
	case ".svg":
		return heatmap.WriteFleetSVG, nil
	case ".html", ".htm":
		return heatmap.WriteFleetHTML, nil
	}
	return nil, fmt.Errorf("-o %s: want a .png, .svg or .html file", path)
}

// parseTime reads RFC 3339 or Unix seconds, as Prometheus's API does.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(v*1e9)), nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2026-12-01T12:00:00Z) or Unix seconds", s)
}
