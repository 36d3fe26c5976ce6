package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/heatmap"
)

// savePicture writes rec as a heatmap in the given format.
func savePicture(name, format string, rec *cpuwatch.Recording) error {
	if format != "png" {
		return fmt.Errorf("--format %s: not available yet in this build", format)
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	err = heatmap.WritePNG(f, rec, heatmap.Options{})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// startLive is pending heatmap's live terminal renderer.
func startLive(context.Context, time.Duration, io.Writer) func() error {
	return func() error { return fmt.Errorf("--format term: not available yet in this build") }
}
