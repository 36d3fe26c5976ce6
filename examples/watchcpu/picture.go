package main

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/heatmap"
)

// savePicture writes rec as a heatmap in the given format.
func savePicture(name, format string, rec *cpuwatch.Recording, opts heatmap.Options) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	switch format {
	case "svg":
		err = heatmap.WriteSVG(f, rec, opts)
	case "html":
		err = heatmap.WriteHTML(f, rec, opts)
	default:
		err = heatmap.WritePNG(f, rec, opts)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// saveThreads writes rec's thread timeline as PNG or SVG.
func saveThreads(name, format string, rec *cpuwatch.Recording) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if format == "svg" {
		err = heatmap.WriteThreadsSVG(f, rec, heatmap.ThreadOptions{})
	} else {
		err = heatmap.WriteThreadsPNG(f, rec, heatmap.ThreadOptions{})
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// startLive draws the machine's cores in the terminal as the run goes, from
// a watch of its own beside the recording's (a Watcher's Record hands out
// no samples while it runs). The returned function stops it and reports
// its error.
func startLive(ctx context.Context, interval time.Duration, out io.Writer, opts heatmap.TerminalOptions) func() error {
	ctx, cancel := context.WithCancel(ctx)
	live := heatmap.NewLive(out, opts)
	done := make(chan error, 1)
	go func() {
		var drawErr error
		err := cpuwatch.Watch(ctx, interval, func(s cpuwatch.Sample) {
			if drawErr == nil {
				drawErr = live.Add(s)
			}
		})
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		done <- errors.Join(err, drawErr)
	}()
	return func() error {
		cancel()
		return <-done
	}
}
