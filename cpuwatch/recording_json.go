package cpuwatch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// recordingJSON is a Recording's JSON shape: its fields in their order,
// with the samples as a list where the Samples field of earlier versions
// had them, so that files written then and now read alike.
type recordingJSON struct {
	DataID   string        `json:"data_id,omitempty"`
	Interval time.Duration `json:"interval"`
	Start    time.Time     `json:"start"`
	RunStart time.Time     `json:"run_start"`
	RunEnd   time.Time     `json:"run_end"`
	Samples  samplesJSON   `json:"samples"`
	Host     Host          `json:"host"`
}

// samplesJSON reads and writes a Recording's samples as a JSON list of
// Sample, one sample at a time.
type samplesJSON struct{ r *Recording }

// MarshalJSON writes the recording as an object with the fields of
// Recording and its samples in "samples", a list of Sample (null if it
// has none). It is a value method so that a Recording held by value is
// encoded whole too.
func (r Recording) MarshalJSON() ([]byte, error) {
	return json.Marshal(recordingJSON{DataID: r.DataID, Interval: r.Interval, Start: r.Start,
		RunStart: r.RunStart, RunEnd: r.RunEnd, Samples: samplesJSON{&r}, Host: r.Host})
}

// UnmarshalJSON reads what MarshalJSON writes, as encoding/json would read
// it into a struct: fields the data lacks keep their values, and the
// samples are replaced if it has "samples".
func (r *Recording) UnmarshalJSON(data []byte) error {
	a := recordingIn{DataID: r.DataID, Interval: r.Interval, Start: r.Start,
		RunStart: r.RunStart, RunEnd: r.RunEnd, Host: r.Host}
	if err := json.Unmarshal(data, &a); err != nil {
		return err
	}
	r.DataID, r.Interval, r.Start, r.RunStart, r.RunEnd, r.Host = a.DataID, a.Interval, a.Start, a.RunStart, a.RunEnd, a.Host
	if a.Samples == nil {
		return nil
	}
	// The samples are read last: Append needs the UserHZ, which may come
	// after them.
	r.store = sampleStore{}
	return decodeSamples(r, a.Samples)
}

// recordingIn is recordingJSON as it is read.
type recordingIn struct {
	DataID   string          `json:"data_id,omitempty"`
	Interval time.Duration   `json:"interval"`
	Start    time.Time       `json:"start"`
	RunStart time.Time       `json:"run_start"`
	RunEnd   time.Time       `json:"run_end"`
	Samples  json.RawMessage `json:"samples"`
	Host     Host            `json:"host"`
}

var samplesType = reflect.TypeFor[[]Sample]()

func (s samplesJSON) MarshalJSON() ([]byte, error) {
	r := s.r
	if r.Len() == 0 && !r.store.empty {
		return []byte("null"), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// The outer encoder escapes HTML, or not, as its caller chose.
	enc.SetEscapeHTML(false)
	buf.WriteByte('[')
	var smp Sample
	for i := range r.Len() {
		if i > 0 {
			buf.WriteByte(',')
		}
		r.SampleInto(i, &smp)
		if err := enc.Encode(smp); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// decodeSamples appends to r the samples of the JSON list data, one at a
// time.
func decodeSamples(r *Recording, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil // null: no samples
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return &json.UnmarshalTypeError{Value: fmt.Sprint(tok), Type: samplesType, Field: "samples"}
	}
	r.store.empty = true
	for dec.More() {
		var s Sample
		if err := dec.Decode(&s); err != nil {
			return err
		}
		r.Append(s)
	}
	_, err = dec.Token()
	return err
}
