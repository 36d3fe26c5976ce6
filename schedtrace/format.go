package schedtrace

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// field is one field of a tracepoint's raw record, as its format file
// describes it.
type field struct {
	offset, size int
	signed       bool
	// dataLoc marks a __data_loc field: a 32-bit word whose low half is
	// the offset and high half the length of the real data.
	dataLoc bool
}

// format is a parsed tracepoint format file: the event id perf needs and
// where each field lies in the raw record.
type format struct {
	name   string
	id     uint64
	fields map[string]field
}

// parseFormat parses the text of a tracefs events/<system>/<event>/format
// file. Offsets are never assumed: prev_state, for one, has been an int and
// a long on different kernels.
func parseFormat(data []byte) (*format, error) {
	f := &format{fields: make(map[string]field)}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	haveID := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "name:"):
			f.name = strings.TrimSpace(strings.TrimPrefix(line, "name:"))
		case strings.HasPrefix(line, "ID:"):
			id, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "ID:")), 10, 32)
			if err != nil {
				return nil, fmt.Errorf("schedtrace: format %q: bad ID line %q", f.name, line)
			}
			f.id, haveID = id, true
		case strings.HasPrefix(line, "field:"):
			name, fl, err := parseField(line)
			if err != nil {
				return nil, fmt.Errorf("schedtrace: format %q: %w", f.name, err)
			}
			f.fields[name] = fl
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("schedtrace: format %q: %w", f.name, err)
	}
	if !haveID {
		return nil, fmt.Errorf("schedtrace: format %q: no ID line", f.name)
	}
	if len(f.fields) == 0 {
		return nil, fmt.Errorf("schedtrace: format %q: no fields", f.name)
	}
	return f, nil
}

// parseField parses "field:pid_t prev_pid;	offset:24;	size:4;	signed:1;".
func parseField(line string) (string, field, error) {
	var fl field
	parts := strings.Split(line, ";")
	decl := strings.TrimSpace(strings.TrimPrefix(parts[0], "field:"))
	// The name is the declaration's last word, less any array suffix.
	name := decl
	if i := strings.LastIndexAny(decl, " \t*"); i >= 0 {
		name = decl[i+1:]
	}
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	if name == "" {
		return "", fl, fmt.Errorf("field line %q has no name", line)
	}
	fl.dataLoc = strings.Contains(decl, "__data_loc")
	have := 0
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(p), ":")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return "", fl, fmt.Errorf("field %s: bad %s %q", name, k, v)
		}
		switch k {
		case "offset":
			fl.offset, have = n, have|1
		case "size":
			fl.size, have = n, have|2
		case "signed":
			fl.signed = n != 0
		}
	}
	if have != 3 {
		return "", fl, fmt.Errorf("field %s: offset or size missing", name)
	}
	if fl.offset < 0 || fl.size <= 0 || fl.offset > 1<<16 || fl.size > 1<<16 {
		return "", fl, fmt.Errorf("field %s: offset %d size %d out of range", name, fl.offset, fl.size)
	}
	return name, fl, nil
}

// intField returns the named integer field, checking that it is one.
func (f *format) intField(name string) (field, error) {
	fl, ok := f.fields[name]
	if !ok {
		return fl, fmt.Errorf("schedtrace: format %q has no field %s", f.name, name)
	}
	switch fl.size {
	case 1, 2, 4, 8:
	default:
		return fl, fmt.Errorf("schedtrace: format %q: field %s has size %d, want 1, 2, 4 or 8", f.name, name, fl.size)
	}
	return fl, nil
}

// strField returns the named char array field (comm).
func (f *format) strField(name string) (field, error) {
	fl, ok := f.fields[name]
	if !ok {
		return fl, fmt.Errorf("schedtrace: format %q has no field %s", f.name, name)
	}
	return fl, nil
}

// int reads an integer field from raw, sign-extending signed ones. ok is
// false when raw is too short.
func (fl field) int(raw []byte) (int64, bool) {
	end := fl.offset + fl.size
	if end > len(raw) {
		return 0, false
	}
	b := raw[fl.offset:end]
	var u uint64
	switch fl.size {
	case 1:
		u = uint64(b[0])
	case 2:
		u = uint64(binary.NativeEndian.Uint16(b))
	case 4:
		u = uint64(binary.NativeEndian.Uint32(b))
	case 8:
		u = binary.NativeEndian.Uint64(b)
	default:
		return 0, false
	}
	if fl.signed && fl.size < 8 && u&(1<<(8*fl.size-1)) != 0 {
		u |= ^uint64(0) << (8 * fl.size)
	}
	return int64(u), true
}
