package cpuwatch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// BinaryExt is the file name extension of a binary recording (FORMAT.md).
const BinaryExt = ".csrec"

// ErrUnknownFormat is returned by WriteFile for a file name whose
// extension names no format it writes.
var ErrUnknownFormat = errors.New("cpuwatch: unknown recording format")

// ReadRecordingFile reads a recording saved as JSON or in the binary
// format, told apart by the file's first bytes, whatever its name. For a
// binary file whose tail is damaged it returns every sample before the
// damage and the *FormatError that says where the damage is; the binary
// format is read one sample at a time, JSON all at once.
func ReadRecordingFile(name string) (*Recording, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cpuwatch: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(len(formatMagic))
	// An empty file, or one cut inside the magic, is a binary recording
	// killed before it wrote its header.
	if bytes.HasPrefix(head, []byte(formatMagic[:4])) || strings.HasPrefix(formatMagic, string(head)) {
		rec, err := ReadRecording(br)
		if err != nil {
			err = fmt.Errorf("%s: %w", name, err)
		}
		return rec, err
	}
	var rec Recording
	if err := json.NewDecoder(br).Decode(&rec); err != nil {
		return nil, fmt.Errorf("cpuwatch: %s: not a binary recording, and as JSON: %w", name, err)
	}
	return &rec, nil
}

// WriteFile writes the recording to the named file in the format its
// extension names: ".json" (encoding/json, the interchange format),
// ".csv" (WriteCSV) or BinaryExt (WriteRecording).
func (r *Recording) WriteFile(name string) error {
	var write func(*bufio.Writer) error
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		write = func(w *bufio.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", " ")
			return enc.Encode(r)
		}
	case ".csv":
		write = func(w *bufio.Writer) error { return r.WriteCSV(w) }
	case BinaryExt:
		write = func(w *bufio.Writer) error { return WriteRecording(w, r) }
	default:
		return fmt.Errorf("%w: %q (want .json, .csv or %s)", ErrUnknownFormat, name, BinaryExt)
	}
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("cpuwatch: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cpuwatch: write %s: %w", name, err)
	}
	return nil
}
