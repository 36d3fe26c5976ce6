package prom_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/prom"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// answerServer answers the instance list with "h" and every range query
// with body.
func answerServer(t *testing.T, body string) string {
	t.Helper()
	return serveHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/values") {
			_, _ = w.Write([]byte(`{"status":"success","data":["h"]}`))
			return
		}
		_, _ = w.Write([]byte(body))
	}))
}

func TestDecodeAnswers(t *testing.T) {
	s0, s1 := t0.Unix(), t0.Unix()+1
	series := func(mode, v0, v1 string) string {
		return (`{"metric":{"__name__":"node_cpu_seconds_total","instance":"h","cpu":"0","mode":"` + mode + `"},"values":[[` +
			itoa(s0) + `,"` + v0 + `"],[` + itoa(s1) + `,"` + v1 + `"]]}`)
	}
	ok := func(result string) string {
		return `{"status":"success","data":{"resultType":"matrix","result":[` + result + `]}}`
	}
	tests := []struct {
		name string
		body string
		want string // busy of cpu0 in the one sample, or the error's text
	}{
		{"plain", ok(series("user", "1.5", "2") + "," + series("idle", "10", "10.5")), "0.5"},
		{"exponent and integers", ok(series("user", "1e2", "100.5") + "," + series("idle", "1000", "1000.5")), "0.5"},
		{"values before metric, escaped label, white space", `{ "status" : "success", "warnings": ["w"], "data" : { "resultType":"matrix", "result":[ ` +
			`{"values":[[` + itoa(s0) + `.000,"0"],[` + itoa(s1) + `,"1"]],"metric":{"__name__":"node_cpu_seconds_total","instance":"h","cpu":"0","mode":"user","x":"a\"b\u00e9"}},` +
			series("idle", "0", "3") + ` ] } }`, "0.25"},
		{"NaN", ok(series("user", "NaN", "2") + "," + series("idle", "10", "10.5")), "no sample"},
		{"Inf", ok(series("user", "1", "+Inf") + "," + series("idle", "10", "10.5")), "no sample"},
		{"truncated", ok(series("user", "1", "2"))[:60], "prom: range query answer: malformed JSON at byte 60"},
		{"not a number", ok(series("user", "1", "two")), `sample value "two"`},
		{"vector", `{"status":"success","data":{"resultType":"vector","result":[]}}`, "want a matrix"},
		{"histograms", ok(`{"metric":{"__name__":"node_cpu_seconds_total","instance":"h","cpu":"0","mode":"user"},"histograms":[]}`), "native histogram"},
		{"off the grid", ok(`{"metric":{"__name__":"node_cpu_seconds_total","instance":"h","cpu":"0","mode":"user"},"values":[[` + itoa(s0) + `.5,"1"]]}`), "off the query's grid"},
		{"status", `{"status":"error","data":{"resultType":"matrix","result":[]}}`, `status "error"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := prom.Source{Address: answerServer(t, tt.body), Step: time.Second}
			recs, err := src.Recordings(t.Context(), t0, t0.Add(time.Second))
			var got string
			switch {
			case err != nil:
				got = err.Error()
			case recs[0].Len() == 0:
				got = "no sample"
			default:
				got = trimFloat(recs[0].Sample(0).Cores[0].Busy())
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func trimFloat(f float64) string { return fmt.Sprintf("%.4g", f) }

// TestDecodeIsQueryRange checks that Source's own reading of the recorded
// answers of a real server gives exactly what client_golang's QueryRange
// and FromMatrix give.
func TestDecodeIsQueryRange(t *testing.T) {
	r, url := recordedServer(t)
	src := prom.Source{Address: url, Selector: `{job="node"}`, Step: r.Step}
	got, err := src.Recordings(t.Context(), r.Start, r.End)
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		t.Fatal(err)
	}
	var all model.Matrix
	for _, rec := range got {
		v, _, _, err := v1.NewAPI(c).QueryRange(t.Context(), `{instance="`+rec.DataID+`"}`, v1.Range{Start: r.Start, End: r.End, Step: r.Step})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, v.(model.Matrix)...)
	}
	want, err := prom.FromMatrix(all, r.Start, r.End, r.Step)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, viewRecordings); diff != "" {
		t.Errorf("Source differs from QueryRange + FromMatrix (-want +got):\n%s", diff)
	}
}
