package prom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"golang.org/x/sync/errgroup"
)

// Defaults used for the zero fields of Source.
const (
	// DefaultAddress is where Prometheus listens out of the box.
	DefaultAddress = "http://localhost:9090"
	// DefaultStep is the resolution of a recording: node_exporter's usual
	// scrape interval.
	DefaultStep = 15 * time.Second
	// DefaultConcurrency is how many hosts are queried at once.
	DefaultConcurrency = 8
	// MaxPointsPerSeries is the server's limit: Prometheus refuses a range
	// query of more than 11,000 points per series.
	MaxPointsPerSeries = 11_000
)

// ErrNoSeries means no node_exporter cpu series matched the selector in the
// range asked for: a selector that names no target, a time when nothing
// was scraped, or a server that scrapes no node_exporter.
var ErrNoSeries = errors.New("prom: no series")

// Source reads per-core recordings of many hosts from a Prometheus server
// that scrapes node_exporter. The zero value reads every node_exporter of
// the server at DefaultAddress at a 15 s step.
type Source struct {
	// Address is the server's base URL, such as "http://prom:9090"; ""
	// means DefaultAddress. It is ignored when Client is set.
	Address string
	// Client, if not nil, sends the requests instead of a plain HTTP client
	// for Address: for authentication, TLS or a test server.
	Client api.Client
	// Selector narrows the targets read, as label matchers in braces such
	// as `{job="node"}` (the braces may be left out); "" reads every
	// target that exports node_cpu_seconds_total.
	Selector string
	// Step is the time between points, and the length of each sample;
	// zero means DefaultStep. A step shorter than the scrape interval
	// gives steps without a new scrape, which are left out.
	Step time.Duration
	// Concurrency bounds how many hosts are queried at once; zero means
	// DefaultConcurrency.
	Concurrency int
	// MaxPoints is the most points per series one query asks for; longer
	// ranges are split into several queries. Zero means
	// MaxPointsPerSeries, the server's limit.
	MaxPoints int
}

// Recordings queries the server for every host's cpu counters from start to
// end and returns one recording per instance, in [Less] order; see
// [FromMatrix] for how counters become samples. Hosts are queried
// Concurrency at a time, each in as many range queries as MaxPoints
// requires. The first failure cancels the other queries and is returned;
// so is ctx's error, wrapped, once ctx is done.
//
// The errors say what went wrong with the server, prefixed "prom: ": not
// reachable, an HTTP error with the server's own text (a bad selector, a
// query the server refused), an answer that is not a range of series, or
// series whose labels are not node_exporter's ([ErrLabels]). No matching
// series at all is [ErrNoSeries]. Warnings the server attaches to an
// answer go into the recordings' Host.Notes.
func (s *Source) Recordings(ctx context.Context, start, end time.Time) ([]*cpuwatch.Recording, error) {
	step := cmpOr(s.Step, DefaultStep)
	if err := checkRange(start, end, step); err != nil {
		return nil, err
	}
	maxPoints := cmpOr(s.MaxPoints, MaxPointsPerSeries)
	if maxPoints < 2 {
		return nil, fmt.Errorf("prom: MaxPoints %d, want at least 2", maxPoints)
	}
	inner, err := matchers(s.Selector)
	if err != nil {
		return nil, err
	}
	c, a, where, err := s.api()
	if err != nil {
		return nil, err
	}

	sel := "{" + join(`__name__=~"`+MetricSeconds+"|"+MetricGuestSeconds+`"`, inner) + "}"
	insts, warns, _, err := a.LabelValues(ctx, string(model.InstanceLabel),
		[]string{MetricSeconds + "{" + inner + "}"}, start, end)
	if err != nil {
		return nil, s.apiErr(ctx, where, "listing the instances", err)
	}
	if len(insts) == 0 {
		return nil, fmt.Errorf("%w: nothing at %s matches %s%s between %v and %v", ErrNoSeries, where, MetricSeconds, braced(inner), start.UTC(), end.UTC())
	}
	names := make([]string, len(insts))
	for i, v := range insts {
		names[i] = string(v)
	}
	slices.SortFunc(names, compareNatural)

	g := newGrid(start, end, step)
	recs := make([]*cpuwatch.Recording, len(names))
	eg, ectx := errgroup.WithContext(ctx)
	limit := cmpOr(s.Concurrency, DefaultConcurrency)
	eg.SetLimit(limit)
	// One answer buffer per worker, reused from host to host.
	bufs := make(chan *[]byte, limit)
	for range limit {
		bufs <- new([]byte)
	}
	for i, inst := range names {
		eg.Go(func() error {
			buf := <-bufs
			defer func() { bufs <- buf }()
			h := newHost(inst, g)
			q := strings.TrimSuffix(sel, "}") + `,instance=` + strconv.Quote(inst) + "}"
			for k0 := 0; k0 < g.n; k0 += maxPoints {
				k1 := min(k0+maxPoints, g.n) - 1
				w, err := queryRange(ectx, c, buf, h, q, g.at(k0), g.at(k1), step)
				if err != nil {
					return s.apiErr(ectx, where, "querying "+q, err)
				}
				for _, s := range w {
					h.notes = append(h.notes, "Prometheus warns: "+s)
				}
			}
			recs[i] = h.recording()
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	for _, w := range warns {
		for _, r := range recs {
			r.Host.Notes = append(r.Host.Notes, "Prometheus warns: "+w)
		}
	}
	return recs, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// api returns the client, its API and a name for the server in errors.
func (s *Source) api() (api.Client, v1.API, string, error) {
	if s.Client != nil {
		return s.Client, v1.NewAPI(s.Client), s.Client.URL("", nil).String(), nil
	}
	addr := cmpOr(s.Address, DefaultAddress)
	hc := &http.Client{Transport: api.DefaultRoundTripper}
	c, err := api.NewClient(api.Config{Address: addr, Client: hc})
	if err != nil {
		return nil, nil, addr, fmt.Errorf("prom: address %q: %w", addr, err)
	}
	return &plainClient{Client: c, hc: hc}, v1.NewAPI(c), addr, nil
}

// plainClient is the api.Client Source makes for an Address, with the
// HTTP client under it, which range queries use directly.
type plainClient struct {
	api.Client
	hc *http.Client
}

// readAll reads resp's body into buf, growing it once when the length is
// known, and closes the body.
func readAll(resp *http.Response, buf []byte) ([]byte, error) {
	defer resp.Body.Close()
	if n := resp.ContentLength; n > 0 && int64(cap(buf)) < n {
		buf = make([]byte, 0, n)
	}
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(cap(buf), 1<<20))
		}
		n, err := resp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// queryRange runs a range query through c, as v1's QueryRange does, and
// decodes the answer straight into h (see decode.go). An HTTP error comes
// back as a *v1.Error, with the server's error text where it sent one.
func queryRange(ctx context.Context, c api.Client, buf *[]byte, h *host, query string, start, end time.Time, step time.Duration) ([]string, error) {
	u := c.URL("/api/v1/query_range", nil)
	form := url.Values{}
	form.Set("query", query)
	form.Set("start", seconds(start.UnixMilli()))
	form.Set("end", seconds(end.UnixMilli()))
	form.Set("step", seconds(step.Milliseconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var resp *http.Response
	var body []byte
	if direct, ok := c.(*plainClient); ok {
		// Our own client: read the answer into buf, kept from the worker's
		// earlier answers, rather than the fresh, growing buffer of
		// api.Client.Do, whose clearing and page faults cost more than
		// decoding (BENCHMARKS.md).
		resp, err = direct.hc.Do(req)
		if err != nil {
			return nil, err
		}
		*buf, err = readAll(resp, (*buf)[:0])
		if err != nil {
			return nil, err
		}
		body = *buf
	} else if resp, body, err = c.Do(ctx, req); err != nil {
		return nil, err
	}
	if code := resp.StatusCode; code/100 != 2 {
		e := &v1.Error{Type: v1.ErrServer, Msg: fmt.Sprintf("server error: %d", code), Detail: string(body)}
		if code/100 == 4 {
			e.Type, e.Msg = v1.ErrClient, fmt.Sprintf("client error: %d", code)
		}
		var env struct {
			ErrorType v1.ErrorType `json:"errorType"`
			Error     string       `json:"error"`
		}
		if json.Unmarshal(body, &env) == nil && env.Error != "" {
			e.Type, e.Msg, e.Detail = env.ErrorType, env.Error, ""
		}
		return nil, e
	}
	return h.decode(body)
}

// seconds formats unix milliseconds as the API's seconds.
func seconds(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64) }

// apiErr explains an error of the client: the server's own message where
// it sent one.
func (s *Source) apiErr(ctx context.Context, where, doing string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("prom: %s: %w", doing, context.Cause(ctx))
	}
	var ae *v1.Error
	if errors.As(err, &ae) {
		msg := ae.Msg
		if d := serverText(ae.Detail); d != "" {
			msg += ": " + d
		}
		return fmt.Errorf("prom: %s at %s: %s: %w", doing, where, msg, err)
	}
	return fmt.Errorf("prom: Prometheus at %s not reachable (%s): %w", where, doing, err)
}

// serverText extracts the error text from the body of an HTTP error: the
// "error" of Prometheus's JSON, or the start of whatever else a proxy sent.
func serverText(body string) string {
	var r struct {
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(body), &r) == nil && r.Error != "" {
		return r.Error
	}
	body = strings.Join(strings.Fields(body), " ")
	if len(body) > 200 {
		body = body[:200] + "…"
	}
	return body
}

// matchers returns the label matchers inside a selector, without braces.
func matchers(sel string) (string, error) {
	sel = strings.TrimSpace(sel)
	if strings.HasPrefix(sel, "{") != strings.HasSuffix(sel, "}") || strings.HasPrefix(sel, MetricSeconds) {
		return "", fmt.Errorf("prom: selector %q: want label matchers in braces, such as {job=\"node\"}", sel)
	}
	sel = strings.TrimSuffix(strings.TrimPrefix(sel, "{"), "}")
	return strings.TrimSuffix(strings.TrimSpace(sel), ","), nil
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + "," + b
}

func braced(inner string) string {
	if inner == "" {
		return ""
	}
	return "{" + inner + "}"
}
