package prom

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/prometheus/common/model"
)

// This file reads the body of a /api/v1/query_range answer straight into a
// host's arrays. client_golang's QueryRange decodes the same JSON with
// encoding/json, calling an UnmarshalJSON per point after decoding the
// envelope twice over; for a fleet (100 hosts × 64 cores × 10 series × 241
// points is 15 million points) that is most of the time a picture takes,
// so Source reads the answers itself (see BENCHMARKS.md). FromMatrix still
// takes what QueryRange returns.

// answer is a decoder over one body.
type answer struct {
	b []byte
	i int
}

var errSyntax = errors.New("malformed JSON")

func (a *answer) ws() {
	for a.i < len(a.b) {
		switch a.b[a.i] {
		case ' ', '\t', '\n', '\r':
			a.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, or 0 at the end.
func (a *answer) peek() byte {
	a.ws()
	if a.i == len(a.b) {
		return 0
	}
	return a.b[a.i]
}

func (a *answer) expect(c byte) error {
	if a.peek() != c {
		return a.errorf("want %q", c)
	}
	a.i++
	return nil
}

func (a *answer) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", errSyntax, a.i, fmt.Sprintf(format, args...))
}

// str reads a JSON string.
func (a *answer) str() (string, error) {
	if a.peek() != '"' {
		return "", a.errorf("want a string")
	}
	start := a.i
	a.i++
	escaped := false
	for ; a.i < len(a.b); a.i++ {
		switch a.b[a.i] {
		case '\\':
			escaped = true
			a.i++
		case '"':
			a.i++
			if !escaped {
				return string(a.b[start+1 : a.i-1]), nil
			}
			var s string
			if err := json.Unmarshal(a.b[start:a.i], &s); err != nil {
				return "", a.errorf("%v", err)
			}
			return s, nil
		}
	}
	return "", a.errorf("unterminated string")
}

// object calls field for each key of a JSON object, with the decoder at
// the key's value, which field must consume.
func (a *answer) object(field func(key string) error) error {
	if err := a.expect('{'); err != nil {
		return err
	}
	if a.peek() == '}' {
		a.i++
		return nil
	}
	for {
		k, err := a.str()
		if err != nil {
			return err
		}
		if err := a.expect(':'); err != nil {
			return err
		}
		if err := field(k); err != nil {
			return err
		}
		switch a.peek() {
		case ',':
			a.i++
		case '}':
			a.i++
			return nil
		default:
			return a.errorf("want ',' or '}'")
		}
	}
}

// array calls elem for each element of a JSON array.
func (a *answer) array(elem func() error) error {
	if err := a.expect('['); err != nil {
		return err
	}
	if a.peek() == ']' {
		a.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch a.peek() {
		case ',':
			a.i++
		case ']':
			a.i++
			return nil
		default:
			return a.errorf("want ',' or ']'")
		}
	}
}

// skip consumes any JSON value.
func (a *answer) skip() error {
	switch a.peek() {
	case '{':
		return a.object(func(string) error { return a.skip() })
	case '[':
		return a.array(a.skip)
	case '"':
		_, err := a.str()
		return err
	}
	start := a.i
	for a.i < len(a.b) {
		switch a.b[a.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if a.i == start {
				return a.errorf("want a value")
			}
			return nil
		}
		a.i++
	}
	return nil
}

// strings reads an array of strings.
func (a *answer) strings() ([]string, error) {
	var out []string
	err := a.array(func() error {
		s, err := a.str()
		out = append(out, s)
		return err
	})
	return out, err
}

// millis reads a timestamp in seconds, as the API writes it (such as
// 1764590400 or 1764590400.25), in milliseconds.
func (a *answer) millis() (int64, error) {
	a.ws()
	start := a.i
	var sec int64
	for a.i < len(a.b) && a.b[a.i] >= '0' && a.b[a.i] <= '9' && a.i-start < 15 {
		sec = sec*10 + int64(a.b[a.i]-'0')
		a.i++
	}
	if a.i == start {
		return 0, a.errorf("want a timestamp")
	}
	ms := sec * 1000
	if a.i < len(a.b) && a.b[a.i] == '.' {
		a.i++
		scale := int64(100)
		for a.i < len(a.b) && a.b[a.i] >= '0' && a.b[a.i] <= '9' {
			ms += int64(a.b[a.i]-'0') * scale
			scale /= 10
			a.i++
		}
	}
	if a.i < len(a.b) && (a.b[a.i] == 'e' || a.b[a.i] == 'E') {
		return 0, a.errorf("timestamp in exponent form")
	}
	return ms, nil
}

// pow10 are the exact powers of ten a float64 holds.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// value reads a sample value: a string holding a float, "NaN" or ±Inf.
// Plain decimals of up to 15 digits take a fast path whose result is
// exactly ParseFloat's (an exact integer divided by an exact power of ten,
// correctly rounded once); anything else goes to ParseFloat.
func (a *answer) value() (float64, error) {
	if a.peek() != '"' {
		return 0, a.errorf("want a quoted sample value")
	}
	a.i++
	start := a.i
	var m uint64
	digits, frac := 0, -1
	for ; a.i < len(a.b); a.i++ {
		c := a.b[a.i]
		if c >= '0' && c <= '9' {
			m = m*10 + uint64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
			continue
		}
		if c == '.' && frac < 0 {
			frac = 0
			continue
		}
		break
	}
	if a.i < len(a.b) && a.b[a.i] == '"' && digits > 0 && digits <= 15 && frac != 0 {
		a.i++
		v := float64(m)
		if frac > 0 {
			v /= pow10[frac]
		}
		return v, nil
	}
	// The slow path: find the closing quote and parse whatever is inside.
	for a.i < len(a.b) && a.b[a.i] != '"' {
		a.i++
	}
	if a.i == len(a.b) {
		return 0, a.errorf("unterminated sample value")
	}
	s := string(a.b[start:a.i])
	a.i++
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, a.errorf("sample value %q", s)
	}
	return v, nil
}

// decode reads the body of a successful range query answer into h. It
// returns the warnings the server sent with it.
func (h *host) decode(body []byte) (warnings []string, err error) {
	a := &answer{b: body}
	var status, resultType string
	err = a.object(func(k string) error {
		var err error
		switch k {
		case "status":
			status, err = a.str()
		case "warnings":
			warnings, err = a.strings()
		case "data":
			err = a.object(func(k string) error {
				switch k {
				case "resultType":
					var err error
					resultType, err = a.str()
					return err
				case "result":
					if resultType != "" && resultType != "matrix" {
						return fmt.Errorf("prom: range query answered with a %s, want a matrix", resultType)
					}
					return a.array(func() error { return h.decodeSeries(a) })
				}
				return a.skip()
			})
		default:
			err = a.skip()
		}
		return err
	})
	if err != nil {
		if errors.Is(err, errSyntax) {
			return nil, fmt.Errorf("prom: range query answer: %w", err)
		}
		return nil, err
	}
	if status != "success" {
		return nil, fmt.Errorf("prom: range query answer has status %q, want \"success\"", status)
	}
	if resultType != "matrix" {
		return nil, fmt.Errorf("prom: range query answered with a %q, want a matrix", resultType)
	}
	return warnings, nil
}

// decodeSeries reads one series of a matrix into h.
func (h *host) decodeSeries(a *answer) error {
	var (
		m      model.Metric
		vals   []float64
		values = -1 // offset of values seen before metric
	)
	points := func() error {
		return a.array(func() error {
			if err := a.expect('['); err != nil {
				return err
			}
			ms, err := a.millis()
			if err != nil {
				return err
			}
			if err := a.expect(','); err != nil {
				return err
			}
			v, err := a.value()
			if err != nil {
				return err
			}
			if err := h.set(vals, m, ms, v); err != nil {
				return err
			}
			return a.expect(']')
		})
	}
	err := a.object(func(k string) error {
		switch k {
		case "metric":
			m = model.Metric{}
			if err := a.object(func(k string) error {
				v, err := a.str()
				m[model.LabelName(k)] = model.LabelValue(v)
				return err
			}); err != nil {
				return err
			}
			var err error
			vals, err = h.target(m)
			return err
		case "values":
			if m == nil {
				values = a.i
				return a.skip()
			}
			return points()
		case "histograms":
			return fmt.Errorf("%w %v: native histogram samples, want counters", ErrLabels, m)
		}
		return a.skip()
	})
	if err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("%w: a series without labels", ErrLabels)
	}
	if values >= 0 {
		end := a.i
		a.i = values
		if err := points(); err != nil {
			return err
		}
		a.i = end
	}
	return nil
}
