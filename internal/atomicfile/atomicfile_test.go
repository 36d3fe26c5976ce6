package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corescope/corescope/internal/atomicfile"
)

func TestWrite(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		write   func(io.Writer) error
		wantErr error
		want    string // the file's content afterwards
	}{
		{"writes", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, nil, "new"},
		{"keeps the old file on failure", func(w io.Writer) error { io.WriteString(w, "half"); return boom }, boom, "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, "f.txt")
			if err := os.WriteFile(name, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			err := atomicfile.Write(name, tt.write)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Write() = %v, want %v", err, tt.wantErr)
			}
			got, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("content mismatch (-want +got):\n%s", diff)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("folder holds %d entries, want only f.txt (no temporary file left)", len(entries))
			}
			if tt.wantErr == nil {
				if st, _ := os.Stat(name); st.Mode().Perm() != 0o644 {
					t.Errorf("mode = %v, want 0644", st.Mode().Perm())
				}
			}
		})
	}
}

func TestWriteMissingFolder(t *testing.T) {
	name := filepath.Join(t.TempDir(), "no", "such", "f.txt")
	if err := atomicfile.Write(name, func(io.Writer) error { return nil }); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Write into a missing folder = %v, want an error wrapping os.ErrNotExist", err)
	}
}
