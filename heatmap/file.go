package heatmap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/corescope/corescope/cpuwatch"
)

// WriteFile writes rec to the named file in the format its extension
// names: a picture for ".png", ".svg" and ".html" (WritePNG, WriteSVG,
// WriteHTML with opts), or the recording itself for the extensions that
// cpuwatch's Recording.WriteFile knows (".json", ".csv" and
// cpuwatch.BinaryExt). A picture that fails leaves no file behind.
func WriteFile(name string, rec *cpuwatch.Recording, opts Options) error {
	var write func(io.Writer, *cpuwatch.Recording, Options) error
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png":
		write = WritePNG
	case ".svg":
		write = WriteSVG
	case ".html":
		write = WriteHTML
	default:
		err := rec.WriteFile(name)
		if errors.Is(err, cpuwatch.ErrUnknownFormat) {
			return fmt.Errorf("heatmap: no format for %q: want .png, .svg, .html, .json, .csv or %s", name, cpuwatch.BinaryExt)
		}
		return err
	}
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("heatmap: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	err = write(w, rec, opts)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	return nil
}
