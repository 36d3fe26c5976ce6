package prom_test

import (
	"encoding/json"
	"os"

	"github.com/corescope/corescope/cpuwatch"
)

// writePicture writes recs to path.
func writePicture(path string, recs []*cpuwatch.Recording) error {
	b, err := json.Marshal(recs)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
