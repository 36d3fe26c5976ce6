package main

import (
	"os"

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
