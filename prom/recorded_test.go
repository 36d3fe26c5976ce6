package prom_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corescope/corescope/prom"
	"github.com/prometheus/common/model"
)

// recorded loads the answers a real Prometheus gave TestLive, saved with
// -live.record in testdata/live: one range query per host, and the range.
func recorded(t testing.TB) (liveRange, [][]byte) {
	t.Helper()
	var r liveRange
	b, err := os.ReadFile(filepath.Join("testdata", "live", "range.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "live", "query_range_*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded answers: %v", err)
	}
	var bodies [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	return r, bodies
}

// TestRecorded serves the real server's recorded answers and checks that
// Source turns them into the patterns TestLive made, without a server.
// recordedServer serves the recorded answers as the server did, and
// returns what TestLive asked for.
func recordedServer(t testing.TB) (liveRange, string) {
	t.Helper()
	r, bodies := recorded(t)
	byInst := map[string][]byte{}
	var insts []string
	for _, b := range bodies {
		var env struct {
			Data struct {
				Result model.Matrix `json:"result"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		inst := string(env.Data.Result[0].Metric["instance"])
		byInst[inst] = b
		insts = append(insts, `"`+inst+`"`)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/label/instance/values", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":[` + strings.Join(insts, ",") + `]}`))
	})
	mux.HandleFunc("/api/v1/query_range", func(w http.ResponseWriter, req *http.Request) {
		_ = req.ParseForm()
		m := instRe.FindStringSubmatch(req.Form.Get("query"))
		if m == nil || byInst[m[1]] == nil {
			http.Error(w, "no such instance", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(byInst[m[1]])
	})
	return r, serveHandler(t, mux)
}

// TestRecorded serves the real server's recorded answers and checks that
// Source turns them into the patterns TestLive made, without a server.
func TestRecorded(t *testing.T) {
	r, url := recordedServer(t)
	src := prom.Source{Address: url, Selector: `{job="node"}`, Step: r.Step}
	recs, err := src.Recordings(t.Context(), r.Start, r.End)
	if err != nil {
		t.Fatal(err)
	}
	checkPatterns(t, recs, r.Swap, r.IdleStop, r.Step)
}
